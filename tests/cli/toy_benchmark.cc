// A minimal Google Benchmark executable for `perfkit bench --exec` and `ab`
// tests; toy_benchmark_slow is the same built to do TOY_PASSES times the work,
// a real regression for the gate to find.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

static void BM_Sum(benchmark::State& state) {
  std::vector<int> v(static_cast<size_t>(state.range(0)), 1);
#ifndef TOY_PASSES
#define TOY_PASSES 1
#endif
  for (auto _ : state) {
    for (int pass = 0; pass < TOY_PASSES; ++pass) {
      benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0));
      benchmark::ClobberMemory();
    }
  }
  state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(sizeof(int)));
}
BENCHMARK(BM_Sum)->Arg(64)->Arg(4096);

BENCHMARK_MAIN();
