// The result store: runs, their host and build context, benchmarks and one
// row per repetition, in a SQLite file (the embedded default) or on a
// PostgreSQL server shared by many machines. Depends only on the plain
// result structs.
//
// A run is written as it happens (BeginRun, AddResult per repetition,
// FinishRun), each step its own transaction, so a crash or SIGINT leaves the
// finished repetitions and a run that does not claim to be complete. On
// PostgreSQL a write that loses the server waits for it to come back and
// writes again.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "baselines/location.h"
#include "results/result.h"
#include "results/tuning.h"
#include "subsystems/base/status.h"

namespace perfkit::store {

namespace sql {
class Connection;
}  // namespace sql

struct RunListing {
  RunRecord run;  // without benchmarks or claims
  int64_t benchmarks = 0;
  int64_t samples = 0;
  std::map<ClaimStatus, int64_t> claims;  // how many of each status
};

struct BaselineListing {
  std::string name;
  std::string created_at;
  int64_t latest_run_id = 0;
  std::string latest_saved_at;
  int64_t saves = 0;
};

// A power model for one host: fitted by `power calibrate` against an
// energy source, or imported. The newest for a host is the one in use.
struct PowerProfile {
  std::string host_fingerprint;
  std::string created_at;
  std::string source;  // "powercap (package-0)", "reference meter log.csv", "imported from f.json"
  double p_idle_w = 0;
  double c_cpu_w_per_util = 0;
  double c_mem_w_per_gbps = 0;
  bool validated = false;
  std::string provenance_json;  // the loads, their figures and the validation
};

// One point of power history.
struct PowerSampleRow {
  double unix_time = 0;
  double watts = 0;
  bool measured = false;  // from an energy source; false: the model's estimate
  double u = 0;
  std::string origin;  // "record", "bench"
  int64_t run_id = 0;  // the bench run, or 0
};

struct BaselineSave {
  int64_t run_id = 0;
  std::string run_uuid;
  std::string run_started_at;
  std::string saved_at;
  std::string host_fingerprint;  // of the saved run
};

// A machine that has stored runs: one fingerprint (CPU, topology, caches,
// flags, kernel), named by the hostname its newest run recorded.
struct HostListing {
  std::string fingerprint;
  std::string name;
  std::string cpu_model;
  std::string kernel;
  int64_t runs = 0;
  std::string last_run_at;
};

// Letters, digits, '.', '_' and '-', starting with a letter or digit; not
// "latest" and not all digits, which would shadow run references.
Status ValidateBaselineName(const std::string& name);

// Commands that only read open the store read-only: they never create or
// change a file, and work in a read-only directory.
enum class OpenMode { kReadWrite, kReadOnly };

class Store {
 public:
  // A file path (":memory:" for tests) or a postgresql:// URI. Refused
  // without being touched: a file that is not a SQLite database, a database
  // that is not perfkit's (it has tables but no perfkit schema version), and
  // a schema version this perfkit does not know (newer, or negative).
  // Read-only, a missing file is an error and an older schema is read as it
  // is. Errors name the location without its password.
  static Result<std::unique_ptr<Store>> Open(const StoreLocation& location,
                                             OpenMode mode = OpenMode::kReadWrite);
  static Result<std::unique_ptr<Store>> Open(const std::string& location,
                                             OpenMode mode = OpenMode::kReadWrite) {
    return Open(StoreLocation(location), mode);
  }
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Inserts the run as "running" with the benchmarks it declares (samples
  // may be empty) and sets run.id.
  Status BeginRun(RunRecord& run);
  // Adds the result's samples (and its benchmark row on first sight).
  Status AddResult(int64_t run_id, const BenchmarkResult& result);
  Status FinishRun(int64_t run_id, RunStatus status, const std::string& ended_at);
  // The run's claims, replacing any stored before.
  Status SaveClaims(int64_t run_id, const std::vector<ClaimResult>& claims);
  // A whole run in one transaction (imports, external executables), with
  // profiles of it (sync).
  Status SaveRun(RunRecord& run, const std::vector<StoredProfile>& profiles = {});
  // Every stored run's uuid.
  Result<std::set<std::string>> RunUuids();

  // REF as ParseRunRef reads it: a run id, "latest", or a uuid prefix.
  Result<RunRecord> LoadRun(const std::string& ref);
  // Newest first. `host`: "" for every host, else a fingerprint (or a
  // prefix of at least 4 of its digits) or a hostname.
  Result<std::vector<RunListing>> ListRuns(int limit, const std::string& host = "");
  // Hosts, most recently used first.
  Result<std::vector<HostListing>> ListHosts();
  // Baselines name runs; saving again under a name appends to its history,
  // and the newest save is what the name means. Deleting a baseline keeps
  // its runs.
  Status SaveBaseline(const std::string& name, int64_t run_id, const std::string& now);
  Result<std::vector<BaselineListing>> ListBaselines();
  Result<std::vector<BaselineSave>> BaselineHistory(const std::string& name);  // newest first
  Status DeleteBaseline(const std::string& name);
  Result<bool> HasBaseline(const std::string& name);

  // A/A noise floors: the typical |log ratio| between runs of one build.
  Status SaveNoiseFloors(const std::string& host_fingerprint, const std::string& metric,
                         const std::map<std::string, double>& noise, int runs,
                         const std::string& now);
  Result<std::map<std::string, double>> LoadNoiseFloors(const std::string& host_fingerprint,
                                                        const std::string& metric);

  // perfkit tune's choices (schema 7; an older database opened read-only has
  // none): one per host, saved over the last. Loading one that does not
  // parse is an error naming the host, never a half-applied tuning.
  Status SaveTuning(const Tuning& tuning);
  Result<std::optional<Tuning>> LoadTuning(const std::string& host_fingerprint);
  Result<bool> DeleteTuning(const std::string& host_fingerprint);  // false: there was none

  // A profile of a stored run, in one transaction.
  Status SaveProfile(const StoredProfile& profile);
  Result<std::vector<StoredProfile>> LoadProfiles(int64_t run_id);

  // Power profiles and history (schema 5; an older database opened read-only
  // has none).
  Status SavePowerProfile(const PowerProfile& profile);
  Result<std::vector<PowerProfile>> LoadPowerProfiles(const std::string& host_fingerprint);
  Status SavePowerSamples(const std::vector<PowerSampleRow>& samples);
  Result<std::vector<PowerSampleRow>> LoadPowerSamples(double since_unix_time);
  // "ok" when SQLite's integrity_check passes (on PostgreSQL: when no
  // repetition or benchmark has lost what it belongs to).
  Result<std::string> IntegrityCheck();
  bool postgres() const;

 private:
  Store(std::unique_ptr<sql::Connection> db, OpenMode mode);
  Status CheckIdentity(const std::string& location);
  // `body` in one transaction; once more if the server went away and came
  // back while it ran. A commit whose answer was lost may have landed:
  // before a retry, `landed` (when given) looks for the transaction's own
  // rows, and if they are there the work is done.
  Status InTransaction(const std::function<Status()>& body,
                       const std::function<Result<bool>()>& landed = nullptr);
  Result<int64_t> ResolveRunId(const std::string& ref);
  Result<int64_t> UpsertHost(const HostContext& host);
  Status InsertRun(RunRecord& run);
  Status InsertResult(int64_t run_id, const BenchmarkResult& result);
  Status InsertClaims(int64_t run_id, const std::vector<ClaimResult>& claims);
  Status LoadClaims(RunRecord& run);
  Status InsertProfile(const StoredProfile& profile);
  Status LoadBenchmarks(RunRecord& run);
  Status Migrate();
  Status MigrateLocked();

  std::unique_ptr<sql::Connection> db_;
  OpenMode mode_;
  int schema_version_ = 0;
};

}  // namespace perfkit::store
