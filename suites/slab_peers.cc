#include "suites/slab_peers.h"

#include <dlfcn.h>

#include <cstring>

namespace perfkit::suites {
namespace {

// The libraries' entry points, filled in by LoadAllocatorPeers(). The
// adapters give every peer one signature; each pays the same indirect call.
using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using MallocxFn = void* (*)(size_t, int);
using DallocxFn = void (*)(void*, int);

MallocFn g_glibc_malloc, g_mi_malloc, g_tc_malloc;
FreeFn g_glibc_free, g_mi_free, g_tc_free;
MallocxFn g_je_mallocx;
DallocxFn g_je_dallocx;

void* GlibcAllocate(size_t n) { return g_glibc_malloc(n); }
void GlibcFree(void* p, size_t) { g_glibc_free(p); }
void* MiAllocate(size_t n) { return g_mi_malloc(n); }
void MiFree(void* p, size_t) { g_mi_free(p); }
void* JeAllocate(size_t n) { return g_je_mallocx(n, 0); }
void JeFree(void* p, size_t) { g_je_dallocx(p, 0); }
void* TcAllocate(size_t n) { return g_tc_malloc(n); }
void TcFree(void* p, size_t) { g_tc_free(p); }

// Returns an error message, or empty on success.
template <typename A, typename F>
std::string Load(const char* path, const char* apt, const char* alloc_name, const char* free_name,
                 A* alloc, F* free) {
  if (path == nullptr || *path == '\0')
    return std::string("not installed (apt-get install ") + apt + ")";
  // RTLD_LOCAL keeps the library's `malloc` out of the global scope, so
  // glibc's stays the process allocator.
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return dlerror();
  *alloc = reinterpret_cast<A>(dlsym(handle, alloc_name));
  *free = reinterpret_cast<F>(dlsym(handle, free_name));
  if (*alloc == nullptr || *free == nullptr) {
    return std::string(path) + " lacks " + alloc_name + "/" + free_name;
  }
  return "";
}

AllocatorPeers Discover() {
  AllocatorPeers peers;
  void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  g_glibc_malloc = reinterpret_cast<MallocFn>(dlsym(libc ? libc : RTLD_DEFAULT, "malloc"));
  g_glibc_free = reinterpret_cast<FreeFn>(dlsym(libc ? libc : RTLD_DEFAULT, "free"));
  peers.available.push_back({"glibc", &GlibcAllocate, &GlibcFree});

  struct Candidate {
    const char* name;
    std::string error;
    void* (*allocate)(size_t);
    void (*free)(void*, size_t);
  };
  const Candidate candidates[] = {
      {"mimalloc",
       Load(PERFKIT_MIMALLOC_SO, "libmimalloc-dev", "mi_malloc", "mi_free", &g_mi_malloc,
            &g_mi_free),
       &MiAllocate, &MiFree},
      // jemalloc keeps 2.6 KiB of initial-exec TLS, more than glibc's 512 B
      // of spare static TLS for dlopen; the suite declares the need
      // (registry.cc) and the process running it re-executes itself with
      // more, so this fails only when that was not possible.
      {"jemalloc",
       Load(PERFKIT_JEMALLOC_SO, "libjemalloc-dev", "mallocx", "dallocx", &g_je_mallocx,
            &g_je_dallocx),
       &JeAllocate, &JeFree},
      {"tcmalloc",
       Load(PERFKIT_TCMALLOC_SO, "libgoogle-perftools-dev", "tc_malloc", "tc_free", &g_tc_malloc,
            &g_tc_free),
       &TcAllocate, &TcFree},
  };
  for (const Candidate& c : candidates) {
    if (c.error.empty()) {
      peers.available.push_back({c.name, c.allocate, c.free});
    } else {
      peers.skipped.push_back(std::string(c.name) + ": " + c.error);
    }
  }
  return peers;
}

}  // namespace

const AllocatorPeers& LoadAllocatorPeers() {
  static const AllocatorPeers peers = Discover();
  return peers;
}

}  // namespace perfkit::suites
