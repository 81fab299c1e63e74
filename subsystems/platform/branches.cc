#include "subsystems/platform/branches.h"

namespace perfkit::platform {

// The branchy forms carry an empty asm so the compiler keeps the branch
// (it would otherwise turn it into the cmov this file compares against).
void MinBranchy(const int32_t* a, const int32_t* b, int32_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] < b[i]) {
      out[i] = a[i];
      __asm__ volatile("");
    } else {
      out[i] = b[i];
    }
  }
}

void MinBranchless(const int32_t* a, const int32_t* b, int32_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t less = -static_cast<int32_t>(a[i] < b[i]);  // all ones when a < b
    out[i] = (a[i] & less) | (b[i] & ~less);
  }
}

void SelectBranchy(const int32_t* v, const int32_t* a, const int32_t* b, int32_t* out, size_t n,
                   int32_t pivot) {
  for (size_t i = 0; i < n; ++i) {
    if (v[i] < pivot) {
      out[i] = a[i];
      __asm__ volatile("");
    } else {
      out[i] = b[i];
    }
  }
}

void SelectBranchless(const int32_t* v, const int32_t* a, const int32_t* b, int32_t* out, size_t n,
                      int32_t pivot) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t mask = -static_cast<int32_t>(v[i] < pivot);
    out[i] = (a[i] & mask) | (b[i] & ~mask);
  }
}

size_t PartitionBranchy(const int32_t* v, int32_t* out, size_t n, int32_t pivot) {
  size_t lo = 0, hi = n;
  for (size_t i = 0; i < n; ++i) {
    if (v[i] < pivot) {
      out[lo++] = v[i];
      __asm__ volatile("");
    } else {
      out[--hi] = v[i];
    }
  }
  return lo;
}

size_t PartitionBranchless(const int32_t* v, int32_t* out, size_t n, int32_t pivot) {
  size_t lo = 0, hi = n;
  for (size_t i = 0; i < n; ++i) {
    const size_t below = v[i] < pivot;
    // Write to both ends; only the cursor that moves keeps its value.
    out[lo] = v[i];
    out[hi - 1] = v[i];
    lo += below;
    hi -= 1 - below;
  }
  return lo;
}

}  // namespace perfkit::platform
