// The queues the rings suite races, behind one set of function pointers so
// the compiler cannot fold any of them into the benchmark loop: perfkit's
// SPSC ring and MPMC queue, Boost.Lockfree's spsc_queue and queue,
// moodycamel's ConcurrentQueue and DPDK's rte_ring (SP/SC and MP/MC).
// Messages are 64-bit words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "results/result.h"

namespace perfkit::suites {

struct QueueOps {
  bool (*push)(void* q, uint64_t v);
  bool (*pop)(void* q, uint64_t* v);
  // Moves up to n in one call; falls back to the single calls when null.
  size_t (*push_bulk)(void* q, const uint64_t* v, size_t n);
  size_t (*pop_bulk)(void* q, uint64_t* v, size_t n);
};

class Queue {
 public:
  Queue(void* q, const QueueOps* ops, void (*destroy)(void*))
      : q_(q), ops_(ops), destroy_(destroy) {}
  ~Queue() { destroy_(q_); }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  bool Push(uint64_t v) { return ops_->push(q_, v); }
  bool Pop(uint64_t* v) { return ops_->pop(q_, v); }
  size_t PushBulk(const uint64_t* v, size_t n);
  size_t PopBulk(uint64_t* v, size_t n);

 private:
  void* q_;
  const QueueOps* ops_;
  void (*destroy_)(void*);
};

enum class QueueKind { kSpsc, kMpmc };

struct QueueMaker {
  std::string name;  // "ours", "boost", "dpdk", "moodycamel"
  Role role;
  std::unique_ptr<Queue> (*make)(QueueKind kind, size_t capacity);
  std::string missing;  // why it cannot run here, with its apt line
};

// Every implementation of `kind`, ours first.
std::vector<QueueMaker> QueueMakers(QueueKind kind);

// DPDK's rte_ring on memory of ours (no EAL): rings_dpdk.cc.
std::unique_ptr<Queue> MakeDpdkRing(QueueKind kind, size_t capacity, std::string* why);

}  // namespace perfkit::suites
