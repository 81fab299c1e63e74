// The same work written with branches and without: minimum, select (a
// choice per element) and partition. On predictable (sorted) data the
// branches cost nothing; on random data each mispredict costs ~15-20 cycles,
// which the branchless forms trade for always doing both sides.
#pragma once

#include <cstddef>
#include <cstdint>

namespace perfkit::platform {

// out[i] = min(a[i], b[i])
void MinBranchy(const int32_t* a, const int32_t* b, int32_t* out, size_t n);
void MinBranchless(const int32_t* a, const int32_t* b, int32_t* out, size_t n);

// out[i] = v[i] < pivot ? a[i] : b[i]
void SelectBranchy(const int32_t* v, const int32_t* a, const int32_t* b, int32_t* out, size_t n,
                   int32_t pivot);
void SelectBranchless(const int32_t* v, const int32_t* a, const int32_t* b, int32_t* out, size_t n,
                      int32_t pivot);

// Copies the elements below pivot to the front of out and the rest to the
// back; returns how many were below.
size_t PartitionBranchy(const int32_t* v, int32_t* out, size_t n, int32_t pivot);
size_t PartitionBranchless(const int32_t* v, int32_t* out, size_t n, int32_t pivot);

}  // namespace perfkit::platform
