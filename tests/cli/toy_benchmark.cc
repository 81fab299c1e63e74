// A minimal Google Benchmark executable for `perfkit bench --exec` tests.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

static void BM_Sum(benchmark::State& state) {
  std::vector<int> v(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * static_cast<int64_t>(sizeof(int)));
}
BENCHMARK(BM_Sum)->Arg(64)->Arg(4096);

BENCHMARK_MAIN();
