#include "report/exports.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "report/stats.h"

namespace perfkit::report {
namespace {

std::vector<double> Real(const BenchmarkResult& b) {
  std::vector<double> v;
  for (const Sample& s : b.samples) {
    if (std::isfinite(s.real_time_ns)) v.push_back(s.real_time_ns);
  }
  return v;
}

std::vector<double> Counter(const BenchmarkResult& b, const std::string& name) {
  std::vector<double> v;
  for (const Sample& s : b.samples) {
    if (auto it = s.counters.find(name); it != s.counters.end() && std::isfinite(it->second)) {
      v.push_back(it->second);
    }
  }
  return v;
}

nlohmann::ordered_json Measure(const std::vector<double>& v) {
  return {{"value", Median(v)},
          {"lower_value", *std::min_element(v.begin(), v.end())},
          {"upper_value", *std::max_element(v.begin(), v.end())}};
}

std::string CsvNumber(double v) {
  if (!std::isfinite(v)) return "";
  return fmt::format("{}", v);
}

}  // namespace

std::string CsvField(const std::string& text) {
  // A cell a spreadsheet would run as a formula is neutralised with a
  // leading apostrophe, as spreadsheet-safe CSV writers do (OWASP).
  const bool formula = !text.empty() && std::strchr("=+-@\t\r", text[0]) != nullptr;
  std::string s = formula ? "'" + text : text;
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string ToBencherJson(const RunRecord& run) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::object();
  for (const BenchmarkResult& b : run.benchmarks) {
    const auto real = Real(b);
    if (real.empty()) continue;
    doc[b.name]["latency"] = Measure(real);
    if (const auto bps = Counter(b, "bytes_per_second"); !bps.empty()) {
      doc[b.name]["throughput"] = Measure(bps);
    }
  }
  return doc.dump(2) + "\n";
}

std::string ToGithubActionJson(const RunRecord& run) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::array();
  for (const BenchmarkResult& b : run.benchmarks) {
    const auto real = Real(b);
    if (real.empty()) continue;
    doc.push_back(
        {{"name", b.name},
         {"unit", "ns"},
         {"value", Median(real)},
         {"range", fmt::format("± {:.4g}", StdDev(real))},
         {"extra", fmt::format("{} repetitions; CV {:.1f}%", real.size(), CvPercent(real))}});
  }
  return doc.dump(2) + "\n";
}

std::string ToRepetitionCsv(const std::vector<const RunRecord*>& runs,
                            const std::vector<std::string>& labels) {
  std::set<std::string> counter_names;
  for (const RunRecord* run : runs) {
    for (const auto& b : run->benchmarks) {
      for (const auto& s : b.samples) {
        for (const auto& [k, v] : s.counters) counter_names.insert(k);
      }
    }
  }
  std::string out =
      "side,run_id,run_uuid,benchmark,role,repetition,iterations,real_time_ns,cpu_time_ns";
  for (const auto& c : counter_names) out += "," + CsvField(c);
  out += "\n";
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& run = *runs[i];
    for (const auto& b : run.benchmarks) {
      for (const auto& s : b.samples) {
        out += fmt::format("{},{},{},{},{},{},{},{},{}", CsvField(labels[i]), run.id, run.uuid,
                           CsvField(b.name), RoleName(b.role), s.repetition_index, s.iterations,
                           CsvNumber(s.real_time_ns), CsvNumber(s.cpu_time_ns));
        for (const auto& c : counter_names) {
          auto it = s.counters.find(c);
          out += "," + (it == s.counters.end() ? std::string() : CsvNumber(it->second));
        }
        out += "\n";
      }
    }
  }
  return out;
}

std::string ToClaimsCsv(const RunRecord& run) {
  std::string out = "id,suite,value,unit,target,status,reason,benchmarks,text\n";
  for (const ClaimResult& c : run.claims) {
    std::string benchmarks;
    for (const std::string& b : c.benchmarks) benchmarks += (benchmarks.empty() ? "" : " ") + b;
    out += fmt::format("{},{},{},{},{},{},{},{},{}\n", CsvField(c.id), CsvField(c.suite),
                       c.has_value ? fmt::format("{}", c.value) : "", CsvField(c.unit),
                       CsvField(c.target), ClaimStatusName(c.status), CsvField(c.reason),
                       CsvField(benchmarks), CsvField(c.text));
  }
  return out;
}

}  // namespace perfkit::report
