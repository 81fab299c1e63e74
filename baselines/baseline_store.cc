// Baselines and noise floors.
#include <cctype>

#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store {

using sql::Statement;

Status ValidateBaselineName(const std::string& name) {
  const bool digits = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
  const bool charset = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
                       name.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789._-") == std::string::npos;
  if (!charset || digits || name == "latest") {
    return Status::InvalidArgument("invalid baseline name '" + name +
                                   "' (letters, digits, '.', '_', '-'; not 'latest' or a number)");
  }
  return OkStatus();
}

Status Store::SaveBaseline(const std::string& name, int64_t run_id, const std::string& now) {
  if (Status s = ValidateBaselineName(name); !s.ok()) return s;
  return InTransaction([&] {
    Statement insert(*db_,
                     "INSERT INTO baselines(name, created_at) VALUES(?, ?) "
                     "ON CONFLICT(name) DO NOTHING");
    insert.Bind(1, name).Bind(2, now);
    if (Status s = insert.Run(); !s.ok()) return s;
    Statement save(*db_,
                   "INSERT INTO baseline_runs(baseline_id, run_id, saved_at) "
                   "SELECT id, ?, ? FROM baselines WHERE name = ?");
    save.Bind(1, run_id).Bind(2, now).Bind(3, name);
    return save.Run();
  });
}

Result<std::vector<BaselineListing>> Store::ListBaselines() {
  if (schema_version_ == 0)
    return std::vector<BaselineListing>();  // an empty database, opened read-only
  Statement q(
      *db_,
      "SELECT b.name, b.created_at, "
      "(SELECT run_id FROM baseline_runs r WHERE r.baseline_id = b.id ORDER BY r.id DESC LIMIT 1), "
      "(SELECT saved_at FROM baseline_runs r WHERE r.baseline_id = b.id ORDER BY r.id DESC LIMIT "
      "1), "
      "(SELECT COUNT(*) FROM baseline_runs r WHERE r.baseline_id = b.id) "
      "FROM baselines b ORDER BY b.name");
  std::vector<BaselineListing> out;
  while (q.Next()) out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Text(3), q.Int(4)});
  if (!q.status().ok()) return q.status().WithPrefix("listing baselines: ");
  return out;
}

Result<bool> Store::HasBaseline(const std::string& name) {
  if (schema_version_ == 0) return false;  // an empty database, opened read-only
  Statement q(*db_, "SELECT 1 FROM baselines WHERE name = ?");
  q.Bind(1, name);
  const bool found = q.Next();
  if (!q.status().ok()) return q.status().WithPrefix("reading baselines: ");
  return found;
}

Result<std::vector<BaselineSave>> Store::BaselineHistory(const std::string& name) {
  auto exists = HasBaseline(name);
  if (!exists.ok()) return exists.status();
  if (!*exists) return Status::Error("no baseline '" + name + "' (see 'perfkit baseline list')");
  Statement q(*db_,
              "SELECT r.run_id, u.uuid, u.started_at, r.saved_at, h.fingerprint "
              "FROM baseline_runs r JOIN baselines b ON r.baseline_id = b.id "
              "JOIN runs u ON u.id = r.run_id JOIN hosts h ON h.id = u.host_id "
              "WHERE b.name = ? ORDER BY r.id DESC");
  q.Bind(1, name);
  std::vector<BaselineSave> out;
  while (q.Next()) out.push_back({q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4)});
  if (!q.status().ok()) return q.status().WithPrefix("reading baselines: ");
  return out;
}

Status Store::DeleteBaseline(const std::string& name) {
  auto exists = HasBaseline(name);
  if (!exists.ok()) return exists.status();
  if (!*exists) return Status::Error("no baseline '" + name + "' (see 'perfkit baseline list')");
  return InTransaction([&] {
    Statement del(*db_, "DELETE FROM baselines WHERE name = ?");
    del.Bind(1, name);
    return del.Run();
  });
}

Status Store::SaveNoiseFloors(const std::string& host_fingerprint, const std::string& metric,
                              const std::map<std::string, double>& noise, int runs,
                              const std::string& now) {
  return InTransaction([&] {
    for (const auto& [benchmark, value] : noise) {
      Statement upsert(*db_,
                       "INSERT INTO noise_floors(host_fingerprint, benchmark, metric, noise, runs, "
                       "measured_at) VALUES(?, ?, ?, ?, ?, ?) "
                       "ON CONFLICT(host_fingerprint, benchmark, metric) DO UPDATE SET "
                       "noise = excluded.noise, runs = excluded.runs, "
                       "measured_at = excluded.measured_at");
      upsert.Bind(1, host_fingerprint)
          .Bind(2, benchmark)
          .Bind(3, metric)
          .Bind(4, value)
          .Bind(5, static_cast<int64_t>(runs))
          .Bind(6, now);
      if (Status s = upsert.Run(); !s.ok()) return s;
    }
    return OkStatus();
  });
}

Result<std::map<std::string, double>> Store::LoadNoiseFloors(const std::string& host_fingerprint,
                                                             const std::string& metric) {
  if (schema_version_ == 0)
    return std::map<std::string, double>();  // an empty database, opened read-only
  Statement q(
      *db_, "SELECT benchmark, noise FROM noise_floors WHERE host_fingerprint = ? AND metric = ?");
  q.Bind(1, host_fingerprint).Bind(2, metric);
  std::map<std::string, double> out;
  while (q.Next()) out[q.Text(0)] = q.Double(1);
  if (!q.status().ok()) return q.status().WithPrefix("reading noise floors: ");
  return out;
}

}  // namespace perfkit::store
