// Sampling profiles kept with their runs.
#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store {

using sql::Statement;

Status Store::SaveProfile(const StoredProfile& profile) {
  return InTransaction([&] { return InsertProfile(profile); });
}

Status Store::InsertProfile(const StoredProfile& profile) {
  Statement insert(*db_,
                   "INSERT INTO profiles(run_id, event, call_graph, samples, lost, complete) "
                   "VALUES(?, ?, ?, ?, ?, ?) RETURNING id");
  insert.Bind(1, profile.run_id)
      .Bind(2, profile.event)
      .Bind(3, profile.call_graph)
      .Bind(4, static_cast<int64_t>(profile.samples))
      .Bind(5, static_cast<int64_t>(profile.lost))
      .Bind(6, static_cast<int64_t>(profile.complete));
  if (!insert.Next()) return insert.Missing("writing the profile");
  const int64_t id = insert.Int(0);
  if (Status s = insert.Run(); !s.ok()) return s;
  for (const ProfileStack& stack : profile.stacks) {
    std::string joined;
    for (const std::string& frame : stack.frames) joined += (joined.empty() ? "" : ";") + frame;
    Statement row(*db_, "INSERT INTO profile_stacks(profile_id, stack, count) VALUES(?, ?, ?)");
    row.Bind(1, id).Bind(2, joined).Bind(3, static_cast<int64_t>(stack.count));
    if (Status s = row.Run(); !s.ok()) return s;
  }
  return OkStatus();
}

Result<std::vector<StoredProfile>> Store::LoadProfiles(int64_t run_id) {
  if (schema_version_ == 0)
    return std::vector<StoredProfile>();  // an empty database, opened read-only
  Statement q(*db_,
              "SELECT id, event, call_graph, samples, lost, complete FROM profiles "
              "WHERE run_id = ? ORDER BY id");
  q.Bind(1, run_id);
  std::vector<StoredProfile> out;
  while (q.Next()) {
    StoredProfile p;
    p.run_id = run_id;
    p.event = q.Text(1);
    p.call_graph = q.Text(2);
    p.samples = static_cast<uint64_t>(q.Int(3));
    p.lost = static_cast<uint64_t>(q.Int(4));
    p.complete = static_cast<uint64_t>(q.Int(5));
    Statement stacks(*db_, "SELECT stack, count FROM profile_stacks WHERE profile_id = ?");
    stacks.Bind(1, q.Int(0));
    while (stacks.Next()) {
      ProfileStack stack;
      const std::string joined = stacks.Text(0);
      for (size_t from = 0;;) {
        const size_t semi = joined.find(';', from);
        stack.frames.push_back(joined.substr(from, semi - from));
        if (semi == std::string::npos) break;
        from = semi + 1;
      }
      stack.count = static_cast<uint64_t>(stacks.Int(1));
      p.stacks.push_back(std::move(stack));
    }
    out.push_back(std::move(p));
  }
  if (!q.status().ok()) return q.status().WithPrefix("reading profiles: ");
  return out;
}

}  // namespace perfkit::store
