#include "suites/rings_queues.h"

#include "subsystems/rings/mpmc_queue.h"
#include "subsystems/rings/spsc_ring.h"

#if PERFKIT_HAVE_BOOST_LOCKFREE
#include <boost/lockfree/queue.hpp>
#include <boost/lockfree/spsc_queue.hpp>
#endif
#if PERFKIT_HAVE_MOODYCAMEL
#include <concurrentqueue/concurrentqueue.h>
#endif

namespace perfkit::suites {
namespace {

using rings::MpmcQueue;
using rings::OwnedSpscRing;

template <typename Q>
void Destroy(void* q) {
  delete static_cast<Q*>(q);
}

// perfkit's SPSC ring.
using OurSpsc = OwnedSpscRing<uint64_t>;
const QueueOps kOurSpsc = {
    [](void* q, uint64_t v) { return (*static_cast<OurSpsc*>(q))->TryPush(v); },
    [](void* q, uint64_t* v) { return (*static_cast<OurSpsc*>(q))->TryPop(v); },
    [](void* q, const uint64_t* v, size_t n) {
      return (*static_cast<OurSpsc*>(q))->PushBulk(v, n);
    },
    [](void* q, uint64_t* v, size_t n) { return (*static_cast<OurSpsc*>(q))->PopBulk(v, n); },
};

// perfkit's MPMC queue.
using OurMpmc = MpmcQueue<uint64_t>;
const QueueOps kOurMpmc = {
    [](void* q, uint64_t v) { return static_cast<OurMpmc*>(q)->TryPush(v); },
    [](void* q, uint64_t* v) { return static_cast<OurMpmc*>(q)->TryPop(v); },
    nullptr,
    nullptr,
};

std::unique_ptr<Queue> MakeOurs(QueueKind kind, size_t capacity) {
  if (kind == QueueKind::kSpsc) {
    return std::make_unique<Queue>(new OurSpsc(capacity), &kOurSpsc, &Destroy<OurSpsc>);
  }
  return std::make_unique<Queue>(new OurMpmc(capacity), &kOurMpmc, &Destroy<OurMpmc>);
}

#if PERFKIT_HAVE_BOOST_LOCKFREE
using BoostSpsc = boost::lockfree::spsc_queue<uint64_t>;
const QueueOps kBoostSpsc = {
    [](void* q, uint64_t v) { return static_cast<BoostSpsc*>(q)->push(v); },
    [](void* q, uint64_t* v) { return static_cast<BoostSpsc*>(q)->pop(*v); },
    [](void* q, const uint64_t* v, size_t n) { return static_cast<BoostSpsc*>(q)->push(v, n); },
    [](void* q, uint64_t* v, size_t n) { return static_cast<BoostSpsc*>(q)->pop(v, n); },
};
// Fixed-size: nodes come from a preallocated freelist, never from malloc.
using BoostMpmc = boost::lockfree::queue<uint64_t, boost::lockfree::fixed_sized<true>>;
const QueueOps kBoostMpmc = {
    [](void* q, uint64_t v) { return static_cast<BoostMpmc*>(q)->bounded_push(v); },
    [](void* q, uint64_t* v) { return static_cast<BoostMpmc*>(q)->pop(*v); },
    nullptr,
    nullptr,
};

std::unique_ptr<Queue> MakeBoost(QueueKind kind, size_t capacity) {
  if (kind == QueueKind::kSpsc) {
    return std::make_unique<Queue>(new BoostSpsc(capacity), &kBoostSpsc, &Destroy<BoostSpsc>);
  }
  return std::make_unique<Queue>(new BoostMpmc(capacity), &kBoostMpmc, &Destroy<BoostMpmc>);
}
#endif

#if PERFKIT_HAVE_MOODYCAMEL
using Moody = moodycamel::ConcurrentQueue<uint64_t>;
const QueueOps kMoody = {
    [](void* q, uint64_t v) { return static_cast<Moody*>(q)->try_enqueue(v); },
    [](void* q, uint64_t* v) { return static_cast<Moody*>(q)->try_dequeue(*v); },
    [](void* q, const uint64_t* v, size_t n) {
      return static_cast<Moody*>(q)->try_enqueue_bulk(v, n) ? n : size_t{0};
    },
    [](void* q, uint64_t* v, size_t n) { return static_cast<Moody*>(q)->try_dequeue_bulk(v, n); },
};

std::unique_ptr<Queue> MakeMoody(QueueKind, size_t capacity) {
  // Room for `capacity` items in preallocated blocks: try_enqueue never
  // allocates, so it is bounded like the others.
  return std::make_unique<Queue>(new Moody(capacity), &kMoody, &Destroy<Moody>);
}
#endif

std::unique_ptr<Queue> MakeDpdk(QueueKind kind, size_t capacity) {
  std::string why;
  return MakeDpdkRing(kind, capacity, &why);
}

}  // namespace

size_t Queue::PushBulk(const uint64_t* v, size_t n) {
  if (ops_->push_bulk != nullptr) return ops_->push_bulk(q_, v, n);
  size_t done = 0;
  while (done < n && ops_->push(q_, v[done])) ++done;
  return done;
}

size_t Queue::PopBulk(uint64_t* v, size_t n) {
  if (ops_->pop_bulk != nullptr) return ops_->pop_bulk(q_, v, n);
  size_t done = 0;
  while (done < n && ops_->pop(q_, &v[done])) ++done;
  return done;
}

std::vector<QueueMaker> QueueMakers(QueueKind kind) {
  std::vector<QueueMaker> makers = {{"ours", Role::kOurs, &MakeOurs, ""}};
#if PERFKIT_HAVE_BOOST_LOCKFREE
  makers.push_back({"boost", Role::kPeer, &MakeBoost, ""});
#else
  makers.push_back({"boost", Role::kPeer, nullptr, "not built (apt-get install libboost-dev)"});
#endif
  std::string why;
  MakeDpdkRing(kind, 16, &why);
  makers.push_back({"dpdk", Role::kPeer, why.empty() ? &MakeDpdk : nullptr, why});
  if (kind == QueueKind::kMpmc) {
#if PERFKIT_HAVE_MOODYCAMEL
    makers.push_back({"moodycamel", Role::kPeer, &MakeMoody, ""});
#else
    makers.push_back(
        {"moodycamel", Role::kPeer, nullptr, "not built (apt-get install libconcurrentqueue-dev)"});
#endif
  }
  return makers;
}

}  // namespace perfkit::suites
