// Sampling profiles kept with their runs.
#include "baselines/sqlite_util.h"
#include "baselines/store.h"

namespace perfkit::store {

using internal::Error;
using internal::Statement;
using internal::Transaction;

Status Store::SaveProfile(const StoredProfile& profile) {
  Transaction tx(db_);
  if (!tx.status().ok()) return tx.status();
  Statement insert(db_,
                   "INSERT INTO profiles(run_id, event, call_graph, samples, lost, complete) "
                   "VALUES(?, ?, ?, ?, ?, ?)");
  insert.Bind(1, profile.run_id)
      .Bind(2, profile.event)
      .Bind(3, profile.call_graph)
      .Bind(4, static_cast<int64_t>(profile.samples))
      .Bind(5, static_cast<int64_t>(profile.lost))
      .Bind(6, static_cast<int64_t>(profile.complete));
  if (Status s = insert.Run(); !s.ok()) return s;
  const int64_t id = sqlite3_last_insert_rowid(db_);
  for (const ProfileStack& stack : profile.stacks) {
    std::string joined;
    for (const std::string& frame : stack.frames) joined += (joined.empty() ? "" : ";") + frame;
    Statement row(db_, "INSERT INTO profile_stacks(profile_id, stack, count) VALUES(?, ?, ?)");
    row.Bind(1, id).Bind(2, joined).Bind(3, static_cast<int64_t>(stack.count));
    if (Status s = row.Run(); !s.ok()) return s;
  }
  return tx.Commit();
}

Result<std::vector<StoredProfile>> Store::LoadProfiles(int64_t run_id) {
  if (schema_version_ == 0)
    return std::vector<StoredProfile>();  // an empty database, opened read-only
  Statement q(db_,
              "SELECT id, event, call_graph, samples, lost, complete FROM profiles "
              "WHERE run_id = ? ORDER BY id");
  q.Bind(1, run_id);
  std::vector<StoredProfile> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    StoredProfile p;
    p.run_id = run_id;
    p.event = q.Text(1);
    p.call_graph = q.Text(2);
    p.samples = static_cast<uint64_t>(q.Int(3));
    p.lost = static_cast<uint64_t>(q.Int(4));
    p.complete = static_cast<uint64_t>(q.Int(5));
    Statement stacks(db_, "SELECT stack, count FROM profile_stacks WHERE profile_id = ?");
    stacks.Bind(1, q.Int(0));
    while (stacks.Step() == SQLITE_ROW) {
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
  if (rc != SQLITE_DONE) return Error(db_, "reading profiles");
  return out;
}

}  // namespace perfkit::store
