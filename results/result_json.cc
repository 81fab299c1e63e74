#include "results/result_json.h"

#include <set>

namespace perfkit {
namespace {

template <typename T>
void Get(const nlohmann::json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) {
    try {
      out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
      // A field of the wrong type keeps its default: context is advisory.
    }
  }
}

}  // namespace

nlohmann::json HostContextToJson(const HostContext& h) {
  return {
      {"fingerprint", h.fingerprint},
      {"hostname", h.hostname},
      {"cpu_vendor", h.cpu_vendor},
      {"cpu_model", h.cpu_model},
      {"cpu_family", h.cpu_family},
      {"cpu_model_number", h.cpu_model_number},
      {"cpu_stepping", h.cpu_stepping},
      {"cpu_features", h.cpu_features},
      {"logical_cpus", h.logical_cpus},
      {"physical_cores", h.physical_cores},
      {"smt", h.smt},
      {"cache_bytes", h.cache_bytes},
      {"cache_line_bytes", h.cache_line_bytes},
      {"cache_source", h.cache_source},
      {"cache_note", h.cache_note},
      {"tlbs", h.tlbs},
      {"pause_cycles", h.pause_cycles},
      {"pause_ns", h.pause_ns},
      {"numa_nodes", h.numa_nodes},
      {"huge_page_sizes", h.huge_page_sizes},
      {"huge_pages_reserved", h.huge_pages_reserved},
      {"huge_pages_free", h.huge_pages_free},
      {"thp_mode", h.thp_mode},
      {"kernel", h.kernel},
      {"hypervisor", h.hypervisor},
      {"governor", h.governor},
      {"boost", h.boost},
      {"aslr", h.aslr},
      {"perf_event_paranoid", h.perf_event_paranoid},
      {"hardware_pmu", h.hardware_pmu},
      {"pmu_detail", h.pmu_detail},
      {"load_average_1m", h.load_average_1m},
      {"compiler", h.compiler},
      {"build_type", h.build_type},
      {"build_flags", h.build_flags},
      {"benchmark_version", h.benchmark_version},
      {"benchmark_build_type", h.benchmark_build_type},
  };
}

HostContext HostContextFromJson(const nlohmann::json& j) {
  HostContext h;
  if (!j.is_object()) return h;
  Get(j, "fingerprint", h.fingerprint);
  Get(j, "hostname", h.hostname);
  Get(j, "cpu_vendor", h.cpu_vendor);
  Get(j, "cpu_model", h.cpu_model);
  Get(j, "cpu_family", h.cpu_family);
  Get(j, "cpu_model_number", h.cpu_model_number);
  Get(j, "cpu_stepping", h.cpu_stepping);
  Get(j, "cpu_features", h.cpu_features);
  Get(j, "logical_cpus", h.logical_cpus);
  Get(j, "physical_cores", h.physical_cores);
  Get(j, "smt", h.smt);
  Get(j, "cache_bytes", h.cache_bytes);
  Get(j, "cache_line_bytes", h.cache_line_bytes);
  Get(j, "cache_source", h.cache_source);
  Get(j, "cache_note", h.cache_note);
  Get(j, "tlbs", h.tlbs);
  Get(j, "pause_cycles", h.pause_cycles);
  Get(j, "pause_ns", h.pause_ns);
  Get(j, "numa_nodes", h.numa_nodes);
  Get(j, "huge_page_sizes", h.huge_page_sizes);
  Get(j, "huge_pages_reserved", h.huge_pages_reserved);
  Get(j, "huge_pages_free", h.huge_pages_free);
  Get(j, "thp_mode", h.thp_mode);
  Get(j, "kernel", h.kernel);
  Get(j, "hypervisor", h.hypervisor);
  Get(j, "governor", h.governor);
  Get(j, "boost", h.boost);
  Get(j, "aslr", h.aslr);
  Get(j, "perf_event_paranoid", h.perf_event_paranoid);
  Get(j, "hardware_pmu", h.hardware_pmu);
  Get(j, "pmu_detail", h.pmu_detail);
  Get(j, "load_average_1m", h.load_average_1m);
  Get(j, "compiler", h.compiler);
  Get(j, "build_type", h.build_type);
  Get(j, "build_flags", h.build_flags);
  Get(j, "benchmark_version", h.benchmark_version);
  Get(j, "benchmark_build_type", h.benchmark_build_type);
  return h;
}

nlohmann::json ClaimsToJson(const std::vector<ClaimResult>& claims) {
  nlohmann::json out = nlohmann::json::array();
  for (const ClaimResult& c : claims) {
    out.push_back({{"id", c.id},
                   {"suite", c.suite},
                   {"text", c.text},
                   {"value", c.has_value ? nlohmann::json(c.value) : nlohmann::json(nullptr)},
                   {"unit", c.unit},
                   {"target", c.target},
                   {"status", ClaimStatusName(c.status)},
                   {"reason", c.reason},
                   {"benchmarks", c.benchmarks}});
  }
  return out;
}

Result<std::vector<ClaimResult>> ClaimsFromJson(const nlohmann::json& j) {
  if (!j.is_array()) return Status::Error("\"perfkit_claims\" is not an array");
  std::vector<ClaimResult> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& e = j[i];
    const std::string where = "perfkit_claims[" + std::to_string(i) + "]";
    if (!e.is_object() || !e.contains("id") || !e["id"].is_string() ||
        e["id"].get<std::string>().empty()) {
      return Status::Error(where + " is not an object with a string \"id\"");
    }
    ClaimResult c;
    for (auto [key, field] : {std::pair{"id", &c.id},
                              {"suite", &c.suite},
                              {"text", &c.text},
                              {"unit", &c.unit},
                              {"target", &c.target},
                              {"reason", &c.reason}}) {
      if (!e.contains(key)) continue;
      if (!e[key].is_string()) return Status::Error(where + "." + key + " is not a string");
      *field = e[key].get<std::string>();
    }
    if (e.contains("value") && !e["value"].is_null()) {
      if (!e["value"].is_number()) return Status::Error(where + ".value is not a number");
      c.value = e["value"].get<double>();
      c.has_value = true;
    }
    if (e.contains("status")) {
      const std::string status = e["status"].is_string() ? e["status"].get<std::string>() : "";
      c.status = ParseClaimStatus(status);
      if (ClaimStatusName(c.status) != status) {
        return Status::Error(where + ".status is not met, not met, measured or not measurable");
      }
    }
    if (e.contains("benchmarks")) {
      if (!e["benchmarks"].is_array()) return Status::Error(where + ".benchmarks is not an array");
      for (const auto& b : e["benchmarks"]) {
        if (!b.is_string()) return Status::Error(where + ".benchmarks holds a non-string");
        c.benchmarks.push_back(b.get<std::string>());
      }
    }
    if (!ids.insert(c.id).second) {
      return Status::Error(where + ": the id '" + c.id + "' appears twice");
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace perfkit
