// The virtio suite: perfkit's split virtqueue in one process
// (virtio_queue.cc), its vhost-user-blk device inside a real guest against
// QEMU's devices (virtio_guest.cc) and its vhost-user-net device carrying
// the guest's UDP and TCP beside QEMU's own network back ends
// (virtio_net_guest.cc), with one line per question the
// suite answers, each a ratio with its interval or the reason it has none.
#include <fmt/format.h>

#include "suites/claims.h"
#include "suites/suite.h"
#include "suites/virtio_guest.h"

namespace perfkit::suites {
namespace {

// "TOPIC: COUNTER is X with A, Y with B (N% fewer)" from counter medians.
Claim CounterChange(const std::string& topic, const std::string& counter, const std::string& a,
                    const std::string& b, const std::string& a_label, const std::string& b_label) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    if (const std::string error = FirstError(m, {a, b}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto x = m.counters.find(a), y = m.counters.find(b);
    if (x == m.counters.end() || y == m.counters.end() || !x->second.count(counter) ||
        !y->second.count(counter)) {
      return std::nullopt;
    }
    const double with = x->second.at(counter), without = y->second.at(counter);
    const double change = without > 0 ? (1 - with / without) * 100 : 0;
    ClaimResult r = Said(topic, fmt::format("{}: {} {:.3f} with {}, {:.3f} with {} ({:.0f}% {})",
                                            topic, counter, with, a_label, without, b_label,
                                            std::abs(change), change >= 0 ? "fewer" : "more"));
    r.value = change;
    r.has_value = true;
    r.unit = "% fewer " + counter + " with " + a_label;
    r.target = "fewer with " + a_label;
    r.status = change > 0 ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {a, b};
    return r;
  };
}

// "TOPIC: N M requests/s" from the median time of `requests` requests.
Claim Throughput(const std::string& topic, const std::string& name, int requests) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    if (const std::string error = FirstError(m, {name}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto t = m.medians.find(name);
    if (t == m.medians.end() || !(t->second > 0)) return std::nullopt;
    const double mrps = requests / t->second * 1e3;
    ClaimResult r = Said(topic, fmt::format("{}: {:.1f} M requests/s (target: 10 M)", topic, mrps));
    r.value = mrps;
    r.has_value = true;
    r.unit = "M requests/s";
    r.target = ">= 10";
    r.status = mrps >= 10 ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {name};
    return r;
  };
}

// "TOPIC: N Mbps (target: >= 500)" from a benchmark's mbps counter.
Claim NetThroughput(const std::string& topic, const std::string& name, double target_mbps) {
  return [=](const Measured& m) -> std::optional<ClaimResult> {
    if (const std::string error = FirstError(m, {name}); !error.empty()) {
      return Unmeasured(topic, error);
    }
    const auto c = m.counters.find(name);
    if (c == m.counters.end() || !c->second.count("mbps")) return std::nullopt;
    const double mbps = c->second.at("mbps");
    ClaimResult r = Said(topic, fmt::format("{}: {:.1f} Mbps (the documents' target: {:.0f})",
                                            topic, mbps, target_mbps));
    r.value = mbps;
    r.has_value = true;
    r.unit = "Mbps";
    r.target = fmt::format(">= {:.0f}", target_mbps);
    r.status = mbps >= target_mbps ? ClaimStatus::kMet : ClaimStatus::kNotMet;
    r.benchmarks = {name};
    return r;
  };
}

void AddNetClaims(SuiteSpec& suite) {
  const std::string udp64 = "virtio/net-udp64/", udp1472 = "virtio/net-udp1472/";
  const std::string stream = "virtio/net-tcp-stream/";
  suite.claims.push_back(NetThroughput("UDP 1472 B through perfkit's device, 1 queue pair, echoed",
                                       udp1472 + "perfkit-q1", 500));
  suite.claims.push_back(NetThroughput("TCP stream from the host through perfkit's device on a TAP",
                                       stream + "perfkit-tap-q1", 500));
  for (const char* test : {"net-udp64", "net-udp1472", "net-tcp-rr64", "net-tcp-stream"}) {
    const std::string t = std::string("virtio/") + test + "/";
    suite.claims.push_back(IntervalRatio(fmt::format("{}, on a TAP, 1 queue pair", test),
                                         t + "perfkit-tap-q1", t + "qemu-tap-q1",
                                         "perfkit's device", "QEMU's virtio-net"));
    suite.claims.push_back(IntervalRatio(fmt::format("{}, on a TAP, 4 queue pairs", test),
                                         t + "perfkit-tap-q4", t + "qemu-tap-q4",
                                         "perfkit's device", "QEMU's virtio-net"));
  }
  suite.claims.push_back(IntervalRatio("net-tcp-stream, perfkit on a TAP vs QEMU's user network",
                                       stream + "perfkit-tap-q1", stream + "qemu-user-q1",
                                       "perfkit's device", "QEMU's user-mode network"));
  suite.claims.push_back(IntervalRatio("UDP 64 B, 4 queue pairs (4 vCPUs, 4 flows) vs 1",
                                       udp64 + "perfkit-q4", udp64 + "perfkit-q1", "4 queue pairs",
                                       "1"));
  suite.claims.push_back(IntervalRatio("TCP stream on a TAP, 4 queue pairs (4 vCPUs, 4 flows) vs 1",
                                       stream + "perfkit-tap-q4", stream + "perfkit-tap-q1",
                                       "4 queue pairs", "1"));
  // Notifications both ways: the device's interrupts and the driver's kicks.
  const std::pair<const char*, const char*> counts[] = {
      {"notifications (interrupts and kicks)", "notify_per_pkt"},
      {"guest interrupts", "irqs_per_pkt"},
      {"driver kicks", "kicks_per_pkt"}};
  // With one pair under TCG the device drains each kick before the guest
  // queues its next datagram, so either way nearly every datagram kicks;
  // four pairs on two host CPUs make the device lag behind the driver, the
  // high rate where EVENT_IDX keeps a driver from kicking a device that has
  // a kick pending (the flag is only up while the device is running).
  for (const char* pairs : {"q1", "q4"}) {
    for (const auto& [what, counter] : counts) {
      const std::string with = udp64 + "perfkit-" + pairs;
      suite.claims.push_back(CounterChange(fmt::format("{} per UDP datagram, 64 B, {} queue pair{}",
                                                       what, pairs + 1, pairs[1] == '1' ? "" : "s"),
                                           counter, with, with + "-no-evidx", "EVENT_IDX",
                                           "no EVENT_IDX"));
    }
  }
}

}  // namespace

SuiteSpec MakeVirtioSuite() {
  SuiteSpec suite{"virtio",
                  "a split virtqueue in process, perfkit's vhost-user-blk device in a QEMU "
                  "guest against QEMU's own, and its vhost-user-net device carrying the guest's "
                  "UDP and TCP against QEMU's network back ends",
                  {},
                  {}};
  AddVirtioQueueBenchmarks(suite);
  AddVirtioGuestBenchmarks(suite);
  AddVirtioNetBenchmarks(suite);
  suite.claims.push_back([](const Measured&) -> std::optional<ClaimResult> {
    const std::string environment = GuestEnvironment();
    if (environment.empty()) return std::nullopt;
    return Said("guest environment", environment);
  });
  for (const char* test :
       {"randread-4k-qd1", "randread-4k-qd32", "randwrite-4k-qd1", "seqread-1m-qd1"}) {
    const std::string t = std::string("virtio/") + test + "/";
    for (const char* peer : {"qsd", "builtin"}) {
      suite.claims.push_back(IntervalRatio(
          fmt::format("{}, perfkit vs {}", test, peer), t + "perfkit", t + peer, "perfkit's device",
          peer == std::string("qsd") ? "qemu-storage-daemon" : "QEMU's virtio-blk"));
    }
  }
  const std::string qd32 = "virtio/randread-4k-qd32/";
  suite.claims.push_back(CounterChange("guest interrupts per request at QD32", "irqs_per_req",
                                       qd32 + "perfkit", qd32 + "perfkit-no-evidx", "EVENT_IDX",
                                       "no EVENT_IDX"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, EVENT_IDX", qd32 + "perfkit",
                                       qd32 + "perfkit-no-evidx", "EVENT_IDX", "no EVENT_IDX"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, indirect descriptors", qd32 + "perfkit",
                                       qd32 + "perfkit-no-indirect", "indirect tables",
                                       "direct chains only"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, QEMU queue size", qd32 + "builtin",
                                       qd32 + "builtin-q16", "a queue of 128", "of 16"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, 4 queues (4 vCPUs, 4 jobs of 8) vs 1",
                                       qd32 + "perfkit-mq4", qd32 + "perfkit", "4 queues", "1"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, 4 queues, perfkit vs builtin",
                                       qd32 + "perfkit-mq4", qd32 + "builtin-mq4",
                                       "perfkit's device", "QEMU's virtio-blk"));
  suite.claims.push_back(IntervalRatio("randread-4k-qd32, QEMU iothread", qd32 + "builtin-iothread",
                                       qd32 + "builtin", "an iothread", "none"));
  suite.claims.push_back(CounterChange(
      "in-process, interrupt-driven driver, queue of 128, 32 in flight", "notify_per_req",
      "virtio/notify-q128/evidx/32", "virtio/notify-q128/flags/32", "EVENT_IDX", "flags"));
  suite.claims.push_back(Throughput("in-process, polled, queue of 128, batches of 32",
                                    "virtio/queue-q128/evidx/32", 32));
  AddNetClaims(suite);
  return suite;
}

}  // namespace perfkit::suites
