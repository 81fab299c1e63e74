#include "report/gbench_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "report/stats.h"
#include "results/result_json.h"

namespace perfkit::report {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

double UnitScale(const std::string& unit) {  // ns per unit
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 1;
}

ordered_json Number(double v) {
  // JSON has no NaN; Google Benchmark writes a bare NaN token, which strict
  // readers (Python's json does accept it) may not. null is safest.
  if (std::isnan(v) || std::isinf(v)) return nullptr;
  return v;
}

ordered_json Context(const RunRecord& run) {
  ordered_json caches = ordered_json::array();
  for (const auto& [name, bytes] : run.host.cache_bytes) {
    const std::string type = name.size() > 2 && name[2] == 'd'   ? "Data"
                             : name.size() > 2 && name[2] == 'i' ? "Instruction"
                                                                 : "Unified";
    caches.push_back(
        {{"type", type}, {"level", name[1] - '0'}, {"size", bytes}, {"num_sharing", 0}});
  }
  ordered_json roles = ordered_json::object(), suites = ordered_json::object();
  for (const auto& b : run.benchmarks) {
    if (b.role != Role::kUnknown) roles[b.name] = RoleName(b.role);
    if (!b.suite.empty()) suites[b.name] = b.suite;
  }
  return {
      {"date", run.started_at},
      {"host_name", run.host.hostname},
      {"executable", "perfkit"},
      {"num_cpus", run.host.logical_cpus},
      {"mhz_per_cpu", 0},
      {"cpu_scaling_enabled",
       run.host.governor != "performance" && run.host.governor != "unavailable"},
      {"caches", caches},
      {"load_avg", {run.host.load_average_1m}},
      {"library_build_type",
       run.host.benchmark_build_type.empty() ? "release" : run.host.benchmark_build_type},
      {"perfkit",
       {{"run_uuid", run.uuid},
        {"run_id", run.id},
        {"status", RunStatusName(run.status)},
        {"source", run.source},
        {"command_line", run.command_line},
        {"perfkit_version", run.perfkit_version},
        {"git_commit", run.git_commit},
        {"tags", run.tags},
        {"roles", roles},
        {"suites", suites},
        {"host", HostContextToJson(run.host)}}},
  };
}

ordered_json Entry(const BenchmarkResult& b, int64_t reps, const std::string& run_type) {
  ordered_json e;
  e["name"] = b.name;
  e["run_name"] = b.name;
  e["run_type"] = run_type;
  e["repetitions"] = reps;
  e["threads"] = b.threads;
  return e;
}

void AppendBenchmark(const BenchmarkResult& b, ordered_json& out) {
  const double scale = UnitScale(b.time_unit);
  const int64_t reps = static_cast<int64_t>(b.samples.size());
  if (!b.error.empty()) {
    ordered_json e = Entry(b, reps, "iteration");
    e["error_occurred"] = true;
    e["error_message"] = b.error;
    out.push_back(e);
    return;
  }
  std::vector<double> real, cpu;
  for (const Sample& s : b.samples) {
    ordered_json e = Entry(b, reps, "iteration");
    e["repetition_index"] = s.repetition_index;
    e["iterations"] = s.iterations;
    e["real_time"] = Number(s.real_time_ns / scale);
    e["cpu_time"] = Number(s.cpu_time_ns / scale);
    e["time_unit"] = b.time_unit;
    if (!b.label.empty()) e["label"] = b.label;
    for (const auto& [k, v] : s.counters) e[k] = Number(v);
    out.push_back(e);
    real.push_back(s.real_time_ns / scale);
    cpu.push_back(s.cpu_time_ns / scale);
  }
  if (reps < 2) return;
  const std::pair<const char*, double (*)(const std::vector<double>&)> aggs[] = {
      {"mean", [](const std::vector<double>& v) { return Mean(v); }},
      {"median", [](const std::vector<double>& v) { return Median(v); }},
      {"stddev", [](const std::vector<double>& v) { return StdDev(v); }},
      {"cv", [](const std::vector<double>& v) { return CvPercent(v) / 100; }},
  };
  for (const auto& [name, fn] : aggs) {
    ordered_json e = Entry(b, reps, "aggregate");
    e["name"] = b.name + "_" + name;
    e["aggregate_name"] = name;
    e["aggregate_unit"] = std::string(name) == "cv" ? "percentage" : "time";
    e["iterations"] = reps;
    e["real_time"] = Number(fn(real));
    e["cpu_time"] = Number(fn(cpu));
    e["time_unit"] = b.time_unit;
    out.push_back(e);
  }
}

// Google Benchmark writes NaN, -NaN, Infinity and -Infinity bare. They become
// null; `shifts` remembers where, to report error positions in the original.
std::string ReplaceNonFinite(const std::string& in, std::vector<std::pair<size_t, long>>& shifts) {
  static const char* const kTokens[] = {"-Infinity", "Infinity", "-NaN", "NaN"};
  std::string out;
  out.reserve(in.size());
  bool in_string = false;
  for (size_t i = 0; i < in.size();) {
    const char c = in[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < in.size())
        out += in[++i];
      else if (c == '"')
        in_string = false;
      ++i;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (const char* token : kTokens) {
      const size_t n = std::strlen(token);
      if (in.compare(i, n, token) == 0) {
        shifts.emplace_back(out.size(), static_cast<long>(n) - 4);
        out += "null";
        i += n;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += in[i++];
  }
  return out;
}

std::string Position(const std::string& text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

double NumberOr(const json& e, const char* key, double fallback) {
  auto it = e.find(key);
  if (it == e.end()) return fallback;
  if (it->is_null()) return std::numeric_limits<double>::quiet_NaN();
  return it->is_number() ? it->get<double>() : fallback;
}

const std::set<std::string> kTimeUnits = {"ns", "us", "ms", "s"};

const std::set<std::string> kKnownFields = {"name",
                                            "family_index",
                                            "per_family_instance_index",
                                            "run_name",
                                            "run_type",
                                            "repetitions",
                                            "repetition_index",
                                            "threads",
                                            "iterations",
                                            "real_time",
                                            "cpu_time",
                                            "time_unit",
                                            "aggregate_name",
                                            "aggregate_unit",
                                            "error_occurred",
                                            "error_message",
                                            "label",
                                            "big_o",
                                            "rms",
                                            "complexity_n"};

HostContext HostFromContext(const json& context) {
  if (auto p = context.find("perfkit"); p != context.end() && p->contains("host")) {
    return HostContextFromJson((*p)["host"]);
  }
  HostContext h;
  h.hostname = context.value("host_name", "");
  h.cpu_model = "unknown (imported)";
  h.logical_cpus = context.value("num_cpus", 0);
  h.benchmark_build_type = context.value("library_build_type", "");
  if (auto caches = context.find("caches"); caches != context.end() && caches->is_array()) {
    for (const auto& c : *caches) {
      std::string key = "L" + std::to_string(c.value("level", 0));
      const std::string type = c.value("type", "");
      if (type == "Data") key += "d";
      if (type == "Instruction") key += "i";
      h.cache_bytes[key] = c.value("size", int64_t{0});
    }
  }
  h.fingerprint = "import:" + h.hostname + ":" + std::to_string(h.logical_cpus);
  return h;
}

// nlohmann::json with Google Benchmark's bare NaN/Infinity tokens read as
// null, and parse errors placed at their line and column in the original.
Result<json> ParseTolerant(const std::string& text, const std::string& origin) {
  std::vector<std::pair<size_t, long>> shifts;
  const std::string cleaned = ReplaceNonFinite(text, shifts);
  try {
    return json::parse(cleaned);
  } catch (const json::parse_error& e) {
    const size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    long delta = 0;
    for (const auto& [pos, d] : shifts) {
      if (pos < offset) delta += d;
    }
    // "[json.exception.parse_error.101] parse error at line 1, column 1: WHY"
    std::string what = e.what();
    if (const size_t colon = what.find(": "); colon != std::string::npos)
      what = what.substr(colon + 2);
    return Status::Error("invalid JSON in " + origin + " at " + Position(text, offset + delta) +
                         ": " + what);
  } catch (const json::exception& e) {  // 1e999: out_of_range, no position
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    return Status::Error("invalid JSON in " + origin + ": " + what);
  }
}

// Folds the entries of a "benchmarks" array into a run, one benchmark per
// run_name, one sample per iteration entry.
struct EntryReader {
  const std::string& origin;
  RunRecord& run;
  std::map<std::string, std::string> roles;   // from a perfkit export
  std::map<std::string, std::string> suites;  // from a perfkit export
  std::map<std::string, size_t> index;
  // Registration order, which random interleaving scrambles in the file.
  std::vector<std::pair<int64_t, int64_t>> order;
  bool saw_aggregate;

  BenchmarkResult& Benchmark(const json& e, const std::string& name) {
    auto [it, inserted] = index.emplace(name, run.benchmarks.size());
    if (inserted) {
      BenchmarkResult b;
      b.name = name;
      b.suite = suites.count(name) ? suites[name] : "";
      b.role = roles.count(name) ? ParseRole(roles[name]) : Role::kUnknown;
      b.threads = e.value("threads", int64_t{1});
      b.time_unit = e.value("time_unit", "ns");
      b.label = e.value("label", "");
      run.benchmarks.push_back(std::move(b));
      order.emplace_back(e.value("family_index", int64_t{0}),
                         e.value("per_family_instance_index", int64_t{0}));
    }
    return run.benchmarks[it->second];
  }

  // A name is printed in terminal tables and reports: control bytes in it
  // (an escape sequence, BEL) would act on the reader's terminal.
  Status CheckName(const std::string& name) const {
    if (name.empty()) return Status::Error(origin + ": a benchmark has an empty \"name\"");
    for (const char c : name) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return Status::Error(
            fmt::format("{}: benchmark name {} holds a control byte (0x{:02x})", origin,
                        json(name).dump(-1, ' ', false, json::error_handler_t::replace), u));
      }
    }
    return OkStatus();
  }

  Status Add(const json& e) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
      return Status::Error(origin + ": a benchmark entry has no \"name\"");
    }
    if (e.value("run_type", "iteration") != "iteration") {
      saw_aggregate = true;
      return OkStatus();
    }
    const std::string name = e.value("run_name", e["name"].get<std::string>());
    if (Status s = CheckName(name); !s.ok()) return s;
    BenchmarkResult& b = Benchmark(e, name);
    if (e.value("error_occurred", false)) {
      b.error = e.value("error_message", "error");
      return OkStatus();
    }
    if (!e.contains("real_time") || !e.contains("cpu_time")) {
      return Status::Error(origin + ": benchmark '" + name + "' has no real_time/cpu_time");
    }
    if (Status s = CheckEntry(e, name); !s.ok()) return s;
    b.time_unit = e.value("time_unit", "ns");
    b.samples.push_back(ToSample(e, b.samples));
    return OkStatus();
  }

  // Values no benchmark can have are refused, naming the field: a file with
  // them is damaged or made up, and nothing of it is stored.
  Status CheckEntry(const json& e, const std::string& name) const {
    const std::string where = origin + ": benchmark '" + name + "': ";
    const json unit = e.value("time_unit", json("ns"));
    if (!unit.is_string() || !kTimeUnits.count(unit.get<std::string>())) {
      return Status::Error(where + "time_unit " + unit.dump() + " is not ns, us, ms or s");
    }
    const auto it = e.find("iterations");
    if (it == e.end() || !it->is_number() || !WholeInRange(*it)) {
      return Status::Error(where + "iterations " + (it == e.end() ? "missing" : it->dump()) +
                           " is not a whole number from 1 to 2^62");
    }
    const double real = NumberOr(e, "real_time", NAN), cpu = NumberOr(e, "cpu_time", NAN);
    if (!std::isfinite(real) || real <= 0) {
      return Status::Error(where + "real_time " + e["real_time"].dump() +
                           " is not a positive number");
    }
    // A benchmark that only waits can report no CPU time at all.
    if (!std::isfinite(cpu) || cpu < 0) {
      return Status::Error(where + "cpu_time " + e["cpu_time"].dump() +
                           " is not a number of at least 0");
    }
    return OkStatus();
  }

  static bool WholeInRange(const json& v) {
    if (v.is_number_unsigned()) {
      const uint64_t n = v.get<uint64_t>();
      return n >= 1 && n <= (uint64_t{1} << 62);
    }
    if (v.is_number_integer()) {
      const int64_t n = v.get<int64_t>();
      return n >= 1 && n <= (int64_t{1} << 62);
    }
    const double d = v.get<double>();
    return std::isfinite(d) && d >= 1 && d <= 4.611686018427388e18 && d == std::floor(d);
  }

  static Sample ToSample(const json& e, const std::vector<Sample>& earlier) {
    const double scale = UnitScale(e.value("time_unit", "ns"));
    Sample s;
    s.repetition_index = e.value("repetition_index", static_cast<int64_t>(earlier.size()));
    // Files glued together from several runs repeat indices; keep them apart.
    for (const Sample& other : earlier) {
      if (other.repetition_index == s.repetition_index) {
        s.repetition_index = static_cast<int64_t>(earlier.size());
        break;
      }
    }
    s.iterations = static_cast<int64_t>(NumberOr(e, "iterations", 0));
    s.real_time_ns = NumberOr(e, "real_time", 0) * scale;
    s.cpu_time_ns = NumberOr(e, "cpu_time", 0) * scale;
    for (const auto& [k, v] : e.items()) {
      if (kKnownFields.count(k) == 0 && (v.is_number() || v.is_null())) {
        s.counters[k] = NumberOr(e, k.c_str(), 0);
      }
    }
    return s;
  }

  void SortByRegistration() {
    std::vector<size_t> by_registration(run.benchmarks.size());
    for (size_t i = 0; i < by_registration.size(); ++i) by_registration[i] = i;
    std::stable_sort(by_registration.begin(), by_registration.end(),
                     [&](size_t a, size_t b) { return order[a] < order[b]; });
    std::vector<BenchmarkResult> sorted;
    for (size_t i : by_registration) sorted.push_back(std::move(run.benchmarks[i]));
    run.benchmarks = std::move(sorted);
  }
};

}  // namespace

std::string ToGbenchJson(const RunRecord& run) {
  ordered_json benchmarks = ordered_json::array();
  for (const BenchmarkResult& b : run.benchmarks) AppendBenchmark(b, benchmarks);
  ordered_json doc;
  doc["context"] = Context(run);
  doc["benchmarks"] = benchmarks;
  if (!run.claims.empty()) doc["perfkit_claims"] = ClaimsToJson(run.claims);
  return doc.dump(2) + "\n";
}

namespace {

Result<RunRecord> ReadGbenchJson(const std::string& text, const std::string& origin) {
  auto doc = ParseTolerant(text, origin);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object() || !doc->contains("benchmarks") || !(*doc)["benchmarks"].is_array()) {
    return Status::Error(origin + " is not Google Benchmark JSON (no \"benchmarks\" array)");
  }
  const json context = doc->value("context", json::object());
  RunRecord run;
  run.source = "import";
  run.status = RunStatus::kComplete;
  run.host = HostFromContext(context);
  run.started_at = context.value("date", "");
  run.raw_json = text;
  EntryReader reader{origin, run, {}, {}, {}, {}, false};
  if (auto p = context.find("perfkit"); p != context.end() && p->is_object()) {
    reader.roles = p->value("roles", std::map<std::string, std::string>());
    reader.suites = p->value("suites", std::map<std::string, std::string>());
  }
  for (const json& e : (*doc)["benchmarks"]) {
    if (Status s = reader.Add(e); !s.ok()) return s;
  }
  reader.SortByRegistration();
  if (auto claims = doc->find("perfkit_claims"); claims != doc->end()) {
    auto read = ClaimsFromJson(*claims);
    if (!read.ok()) return read.status().WithPrefix(origin + ": ");
    run.claims = std::move(*read);
  }
  const bool any_sample = std::any_of(run.benchmarks.begin(), run.benchmarks.end(),
                                      [](const BenchmarkResult& b) { return !b.samples.empty(); });
  if (!run.benchmarks.empty() && !any_sample) {
    return Status::Error(origin + ": every benchmark in it failed (error_occurred): " +
                         run.benchmarks[0].name + ": " + run.benchmarks[0].error);
  }
  if (run.benchmarks.empty()) {
    return Status::Error(origin + (reader.saw_aggregate ? " holds only aggregates; re-run without "
                                                          "--benchmark_report_aggregates_only"
                                                        : " holds no benchmark results"));
  }
  return run;
}

}  // namespace

Result<RunRecord> FromGbenchJson(const std::string& text, const std::string& origin) {
  try {
    return ReadGbenchJson(text, origin);
  } catch (const json::exception& e) {  // a field of the wrong type
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos) {
      what = what.substr(bracket + 2);
    }
    return Status::Error(origin + " is not Google Benchmark JSON as perfkit reads it: " + what);
  }
}

}  // namespace perfkit::report
