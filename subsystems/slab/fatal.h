// Misuse of an allocator (double free, foreign pointer) is a bug in the
// caller, not an expected failure: it aborts with one clear line.
#pragma once

namespace perfkit::slab::internal {

[[noreturn]] void Fatal(const char* what, const void* p);

}  // namespace perfkit::slab::internal
