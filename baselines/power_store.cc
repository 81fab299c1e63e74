// Power profiles and power history.
#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store {

using sql::Statement;

namespace {
constexpr int kPowerSchema = 5;
}  // namespace

Status Store::SavePowerProfile(const PowerProfile& p) {
  return InTransaction([&] {
    Statement insert(*db_,
                     "INSERT INTO power_profiles(host_fingerprint, created_at, source, p_idle_w, "
                     "c_cpu_w_per_util, c_mem_w_per_gbps, validated, provenance_json) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(1, p.host_fingerprint)
        .Bind(2, p.created_at)
        .Bind(3, p.source)
        .Bind(4, p.p_idle_w)
        .Bind(5, p.c_cpu_w_per_util)
        .Bind(6, p.c_mem_w_per_gbps)
        .Bind(7, static_cast<int64_t>(p.validated))
        .Bind(8, p.provenance_json);
    return insert.Run();
  });
}

Result<std::vector<PowerProfile>> Store::LoadPowerProfiles(const std::string& host_fingerprint) {
  std::vector<PowerProfile> out;
  if (schema_version_ < kPowerSchema) return out;
  Statement q(*db_,
              "SELECT created_at, source, p_idle_w, c_cpu_w_per_util, c_mem_w_per_gbps, "
              "validated, provenance_json FROM power_profiles WHERE host_fingerprint = ? "
              "ORDER BY id DESC");
  q.Bind(1, host_fingerprint);
  while (q.Next()) {
    PowerProfile p;
    p.host_fingerprint = host_fingerprint;
    p.created_at = q.Text(0);
    p.source = q.Text(1);
    p.p_idle_w = q.Double(2);
    p.c_cpu_w_per_util = q.Double(3);
    p.c_mem_w_per_gbps = q.Double(4);
    p.validated = q.Int(5) != 0;
    p.provenance_json = q.Text(6);
    out.push_back(std::move(p));
  }
  if (!q.status().ok()) return q.status().WithPrefix("reading power profiles: ");
  return out;
}

Status Store::SavePowerSamples(const std::vector<PowerSampleRow>& samples) {
  return InTransaction([&] {
    for (const PowerSampleRow& s : samples) {
      Statement insert(*db_,
                       "INSERT INTO power_samples(unix_time, watts, measured, u, origin, run_id) "
                       "VALUES(?, ?, ?, ?, ?, NULLIF(?, 0))");
      insert.Bind(1, s.unix_time)
          .Bind(2, s.watts)
          .Bind(3, static_cast<int64_t>(s.measured))
          .Bind(4, s.u)
          .Bind(5, s.origin)
          .Bind(6, s.run_id);
      if (Status st = insert.Run(); !st.ok()) return st;
    }
    return OkStatus();
  });
}

Result<std::vector<PowerSampleRow>> Store::LoadPowerSamples(double since_unix_time) {
  std::vector<PowerSampleRow> out;
  if (schema_version_ < kPowerSchema) return out;
  Statement q(
      *db_,
      "SELECT unix_time, watts, measured, u, origin, COALESCE(run_id, 0) FROM power_samples "
      "WHERE unix_time >= ? ORDER BY unix_time");
  q.Bind(1, since_unix_time);
  while (q.Next()) {
    PowerSampleRow s;
    s.unix_time = q.Double(0);
    s.watts = q.Double(1);
    s.measured = q.Int(2) != 0;
    s.u = q.Double(3);
    s.origin = q.Text(4);
    s.run_id = q.Int(5);
    out.push_back(std::move(s));
  }
  if (!q.status().ok()) return q.status().WithPrefix("reading power samples: ");
  return out;
}

}  // namespace perfkit::store
