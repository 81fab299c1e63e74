#include "app/decide.h"

#include <fmt/format.h>

#include <chrono>
#include <set>

#include "app/database.h"
#include "app/run_record.h"
#include "app/run_ref.h"

namespace perfkit::app {

Result<RunRecord> LoadBase(const BenchRequest& bench, const std::string& base) {
  if (IsFileRef(base)) return ResolveRun(nullptr, base);
  if (!bench.db.MayHoldRuns()) {
    return Status::Error("no run, baseline or file '" + base + "' (there are no runs at " +
                         bench.db.shown() + ")");
  }
  auto store = OpenStore(bench.db, store::OpenMode::kReadOnly);
  if (!store.ok()) return store.status();
  return ResolveRun(store->get(), base);
}

Result<DecidedRun> MeasureUntilDecided(Measurement& m, const BenchRequest& bench,
                                       const UntilDecidedRequest& r) {
  const RunRecord* base = &r.base;
  DecidedRun out;
  RunRecord here = NewRunRecord({}, "perfkit");
  here.status = RunStatus::kComplete;  // for the guard: only its host matters here
  if (Status s = GuardRuns(*base, here, r.gate, &out.gate); !s.ok()) return s;
  const SequentialPlan& plan = r.gate.plan;
  report::SequentialOptions options{r.gate.compare, /*paired=*/false, plan.first_block,
                                    plan.max_repetitions};
  if (r.gate.use_noise) {
    auto noise = m.store->LoadNoiseFloors(here.host.fingerprint, options.compare.metric);
    if (noise.ok()) options.compare.noise = *noise;
  }
  report::SequentialGate gate(options);
  std::set<std::string> selected, gated;
  for (const auto& b : m.selection.benchmarks) selected.insert(b.name);
  size_t fewest_base = SIZE_MAX;
  for (const BenchmarkResult& b : base->benchmarks) {
    if (!selected.count(b.name)) continue;
    const auto values = report::MetricValues(b, options.compare.metric);
    if (values.empty()) continue;
    gate.SetBase(b.name, values);
    gated.insert(b.name);
    fewest_base = std::min(fewest_base, values.size());
  }
  if (gated.empty()) {
    return Status::InvalidArgument("'" + r.base_ref + "' has no " + options.compare.metric +
                                   " for any selected benchmark");
  }

  BenchRequest request = bench;
  request.run.repetitions = plan.max_repetitions;
  request.run.progress = false;  // rounds shrink; on_look says how far it got
  const std::string metric = options.compare.metric;
  const auto observe = [&](const BenchmarkResult& result) {
    if (!gated.count(result.name)) return;
    for (double v : report::MetricValues(result, metric)) gate.AddCandidate(result.name, v);
  };
  const auto start = std::chrono::steady_clock::now();
  bool out_of_time = false;
  const auto next_round = [&](int done) -> std::vector<std::string> {
    if (done < plan.first_block) return {selected.begin(), selected.end()};
    gate.Look();
    if (r.on_look) r.on_look(done, gate.decided(), gate.size());
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= plan.budget_s) {
      out_of_time = true;
      return {};
    }
    return gate.Undecided();
  };
  auto measured = MeasureIntoStore(*m.store, m.selection, request, next_round, observe);
  if (!measured.ok()) return measured.status();
  out.measured = std::move(*measured);
  gate.LastLook();
  out.gate.comparison = gate.Result(BudgetSpent(plan, out_of_time));
  out.gate.comparison.claim_changes =
      report::ClaimChanges(*base, out.measured.run, &out.gate.comparison.claims_compared);
  for (const std::string& name : selected) {
    if (!gated.count(name)) out.gate.comparison.only_in_candidate.push_back(name);
  }
  const size_t undecided = gate.size() - gate.decided();
  if (undecided > 0 && fewest_base < static_cast<size_t>(plan.max_repetitions)) {
    out.gate.warnings.push_back(fmt::format(
        "{} benchmark(s) undecided: the base's {} repetitions bound how narrow an interval can "
        "get, however many the candidate takes; save a baseline with more (bench --repetitions "
        "40), or compare two builds with perfkit ab --rounds auto",
        undecided, fewest_base));
  }
  out.gate.exit_code = GateExitCode(out.gate.comparison, r.gate);
  return out;
}

}  // namespace perfkit::app
