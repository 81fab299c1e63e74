// One way to stop on a broken invariant: PERFKIT_CHECK aborts with file:line in
// every build type (Google Benchmark's BM_CHECK). Expected failures use Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#define PERFKIT_CHECK(cond)                                                         \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
