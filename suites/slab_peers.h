// The general-purpose allocators the slab suite races: glibc malloc plus
// mimalloc, jemalloc and tcmalloc loaded with dlopen(RTLD_LOCAL) and called
// through their own prefixed entry points, so none replaces another's malloc.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace perfkit::suites {

struct AllocatorPeer {
  std::string name;
  void* (*allocate)(size_t);
  void (*free)(void*, size_t);
};

struct AllocatorPeers {
  std::vector<AllocatorPeer> available;
  std::vector<std::string> skipped;  // "jemalloc: <why>"
};

// Loads the peers once per process.
const AllocatorPeers& LoadAllocatorPeers();

}  // namespace perfkit::suites
