// DPDK's rte_ring as a peer: its enqueue and dequeue are inline in
// rte_ring.h (so this file is built with DPDK's headers), and the ring is
// laid out on our own memory by rte_ring_init, loaded from librte_ring.so.23
// with dlopen like the jit suite's rte_bpf: no EAL, no hugepages.
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "suites/rings_queues.h"

#if PERFKIT_HAVE_DPDK
#include <rte_ring.h>
#endif

namespace perfkit::suites {

#if PERFKIT_HAVE_DPDK
namespace {

struct Api {
  ssize_t (*memsize)(unsigned);
  int (*init)(rte_ring*, const char*, unsigned, unsigned);
  std::string missing;
};

const Api& Dpdk() {
  static const Api api = [] {
    Api a{};
    void* h = dlopen("librte_ring.so.23", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      a.missing =
          std::string("librte_ring.so.23 not found (apt-get install librte-ring23): ") + dlerror();
      return a;
    }
    a.memsize = reinterpret_cast<decltype(a.memsize)>(dlsym(h, "rte_ring_get_memsize"));
    a.init = reinterpret_cast<decltype(a.init)>(dlsym(h, "rte_ring_init"));
    if (!a.memsize || !a.init) a.missing = "librte_ring.so.23 lacks rte_ring_init";
    return a;
  }();
  return api;
}

void FreeRing(void* r) { std::free(r); }

// Single-producer/single-consumer and multi/multi variants: the ring's
// flags choose, the calls are the same.
const QueueOps kOps = {
    [](void* r, uint64_t v) {
      void* obj = reinterpret_cast<void*>(v);
      return rte_ring_enqueue(static_cast<rte_ring*>(r), obj) == 0;
    },
    [](void* r, uint64_t* v) {
      return rte_ring_dequeue(static_cast<rte_ring*>(r), reinterpret_cast<void**>(v)) == 0;
    },
    [](void* r, const uint64_t* v, size_t n) -> size_t {
      return rte_ring_enqueue_burst(static_cast<rte_ring*>(r), reinterpret_cast<void* const*>(v),
                                    static_cast<unsigned>(n), nullptr);
    },
    [](void* r, uint64_t* v, size_t n) -> size_t {
      return rte_ring_dequeue_burst(static_cast<rte_ring*>(r), reinterpret_cast<void**>(v),
                                    static_cast<unsigned>(n), nullptr);
    },
};

}  // namespace

std::unique_ptr<Queue> MakeDpdkRing(QueueKind kind, size_t capacity, std::string* why) {
  const Api& api = Dpdk();
  if (!api.missing.empty()) {
    *why = api.missing;
    return nullptr;
  }
  // RING_F_EXACT_SZ: room for exactly `capacity`, as the others have; it
  // needs the next power of two above capacity in slots.
  const unsigned flags =
      RING_F_EXACT_SZ | (kind == QueueKind::kSpsc ? RING_F_SP_ENQ | RING_F_SC_DEQ : 0);
  const ssize_t bytes = api.memsize(static_cast<unsigned>(capacity * 2));
  void* memory = nullptr;
  if (bytes <= 0 || posix_memalign(&memory, 64, static_cast<size_t>(bytes)) != 0) {
    *why = "cannot size an rte_ring";
    return nullptr;
  }
  auto* ring = static_cast<rte_ring*>(memory);
  if (api.init(ring, "perfkit", static_cast<unsigned>(capacity), flags) != 0) {
    std::free(memory);
    *why = "rte_ring_init failed";
    return nullptr;
  }
  return std::make_unique<Queue>(ring, &kOps, &FreeRing);
}

#else

std::unique_ptr<Queue> MakeDpdkRing(QueueKind, size_t, std::string* why) {
  *why = "not built (apt-get install libdpdk-dev)";
  return nullptr;
}

#endif

}  // namespace perfkit::suites
