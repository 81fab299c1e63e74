// The virtqueue alone, in one process: a driver (the benchmark thread)
// makes requests available in batches and a device thread on the other CPU
// completes them. Two ways to run it:
//  - polled (virtio/queue-*): both sides poll their ring for a while before
//    they ask to be notified and sleep on an eventfd, as a vhost back end
//    and a polling driver do: requests per second, the ring's own speed;
//  - interrupt-driven (virtio/notify-*): the driver sleeps until the device
//    interrupts it, as a guest's virtio-blk does, and the device completes
//    requests one at a time, as asynchronous I/O finishes: notifications
//    per request, where EVENT_IDX's thresholds differ from the old flags.
#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <thread>
#include <vector>

#include "subsystems/virtio/device_queue.h"
#include "subsystems/virtio/driver_queue.h"
#include "suites/rings_threads.h"
#include "suites/suite.h"

namespace perfkit::suites {
namespace {

using Clock = std::chrono::steady_clock;
using virtio::QueueFeatures;

// How long a polling side polls its ring before it asks to be notified and
// sleeps: a few wake-ups' worth on a virtual CPU.
constexpr auto kSpin = std::chrono::microseconds(50);

enum class Mode { kPolled, kInterruptDriven };

// A virtio-blk-shaped request: a 16-byte header the device reads and a
// status byte it writes.
struct alignas(64) Request {
  uint8_t header[16];
  uint8_t status;
};

void Signal(int fd) {
  const uint64_t one = 1;
  (void)!write(fd, &one, sizeof one);
}

void Drain(int fd) {
  uint64_t count;
  (void)!read(fd, &count, sizeof count);
}

template <typename Ready>
bool SpinFor(Ready ready) {
  const auto until = Clock::now() + kSpin;
  do {
    if (ready()) return true;
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  } while (Clock::now() < until);
  return false;
}

class NullDevice {
 public:
  NullDevice(virtio::DeviceQueue* queue, int kick, int call, int cpu, Mode mode)
      : queue_(queue), kick_(kick), call_(call), mode_(mode), thread_([this, cpu] { Loop(cpu); }) {}
  ~NullDevice() {
    stop_ = true;
    Signal(kick_);
    thread_.join();
  }
  uint64_t interrupts() const { return interrupts_.load(); }

 private:
  void Loop(int cpu) {
    if (cpu >= 0) PinThisThread(cpu);
    virtio::Chain chain;
    while (!stop_) {
      queue_->DisableKicks();
      bool any = false;
      while (queue_->Pop(&chain)) {
        any = true;
        chain.segments.back().data[0] = 0;  // status: OK
        queue_->Push(chain.head, 1);
        if (mode_ == Mode::kInterruptDriven) Complete();
      }
      if (any && mode_ == Mode::kPolled) Complete();
      if (SpinFor([&] { return queue_->HasAvailable(); })) continue;
      queue_->EnableKicks();
      if (queue_->HasAvailable() || stop_) continue;
      Drain(kick_);
    }
  }
  void Complete() {
    queue_->Publish();
    if (queue_->ShouldNotify()) {
      interrupts_.fetch_add(1, std::memory_order_relaxed);
      Signal(call_);
    }
  }
  virtio::DeviceQueue* queue_;
  int kick_, call_;
  Mode mode_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> interrupts_{0};
  std::thread thread_;
};

void Queue(benchmark::State& state, uint16_t size, int batch, bool event_idx, Mode mode) {
  if (StopRequested()) return;
  const std::vector<int> cpus = AllowedCpus();
  const QueueFeatures features{event_idx, /*indirect=*/true};
  virtio::DriverQueue driver(size, features, 4);
  std::vector<Request> requests(static_cast<size_t>(size));
  virtio::GuestMemory memory;
  memory.AddBorrowed(driver.ring_region());
  const auto base = reinterpret_cast<uint64_t>(requests.data());
  memory.AddBorrowed(
      {base, requests.size() * sizeof(Request), base, reinterpret_cast<uint8_t*>(requests.data())});
  virtio::DeviceQueue device(driver.addresses(), &memory, features);
  const int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
  AffinityGuard guard;
  if (!cpus.empty()) PinThisThread(cpus[0]);
  uint64_t done_total = 0, waits = 0;
  {
    NullDevice null(&device, kick, call, cpus.size() > 1 ? cpus[1] : -1, mode);
    driver.DisableInterrupts();
    // A stream, an iteration being `batch` completions. Polled: the driver
    // keeps the ring full, making up to `batch` requests available per
    // publish (and kick, when the device asked for one). Interrupt-driven:
    // `batch` is the queue depth, at most that many in flight.
    uint64_t next = 0, completed = 0;
    const uint64_t depth =
        mode == Mode::kPolled ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(batch);
    for (auto _ : state) {
      int done = 0;
      while (done < batch) {
        bool any = false;
        for (int k = 0; k < batch && driver.free_descriptors() > 0 && next - completed < depth;
             ++k) {
          Request& r = requests[next % requests.size()];
          const virtio::Buffer chain[2] = {{r.header, sizeof r.header, false},
                                           {&r.status, 1, true}};
          if (!driver.Add(chain, 2)) break;
          ++next;
          any = true;
        }
        if (any && driver.PublishAndNeedKick()) Signal(kick);
        uint16_t head;
        uint32_t written;
        const auto reap = [&] {
          bool got = false;
          while (done < batch && driver.PopUsed(&head, &written)) {
            ++done;
            ++completed;
            got = true;
          }
          return got;
        };
        if (reap() || (mode == Mode::kPolled && SpinFor(reap))) continue;
        if (driver.EnableInterrupts()) {
          driver.DisableInterrupts();
          continue;
        }
        ++waits;
        Drain(call);
        driver.DisableInterrupts();
      }
      done_total += static_cast<uint64_t>(done);
    }
    const double requests_done = static_cast<double>(std::max<uint64_t>(done_total, 1));
    state.counters["kicks_per_req"] = static_cast<double>(driver.kicks()) / requests_done;
    state.counters["irqs_per_req"] = static_cast<double>(null.interrupts()) / requests_done;
    state.counters["notify_per_req"] =
        static_cast<double>(driver.kicks() + null.interrupts()) / requests_done;
  }
  close(kick);
  close(call);
  state.SetItemsProcessed(static_cast<int64_t>(done_total));
  (void)waits;
}

}  // namespace

void AddVirtioQueueBenchmarks(SuiteSpec& suite) {
  const bool quick = QuickMode();
  for (Mode mode : {Mode::kPolled, Mode::kInterruptDriven}) {
    for (uint16_t size : {uint16_t{16}, uint16_t{128}, uint16_t{256}}) {
      if ((quick || mode == Mode::kInterruptDriven) && size != 128) continue;
      for (int batch : {1, 8, 32}) {
        for (bool event_idx : {true, false}) {
          BenchmarkSpec spec{
              fmt::format("virtio/{}-q{}/{}/{}", mode == Mode::kPolled ? "queue" : "notify", size,
                          event_idx ? "evidx" : "flags", batch),
              event_idx ? Role::kOurs : Role::kPeer,
              [size, batch, event_idx, mode](benchmark::State& s) {
                Queue(s, size, batch, event_idx, mode);
              }};
          spec.real_time = true;
          suite.benchmarks.push_back(std::move(spec));
        }
      }
    }
  }
}

}  // namespace perfkit::suites
