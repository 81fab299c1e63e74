// libFuzzer target: any bytes as a guest's memory holding a split ring of 8
// entries and whatever descriptors, indirect tables and requests the bytes
// say. The device pops every chain and serves each as a virtio-blk request
// from a small disk; every segment it hands out must lie inside the guest's
// memory (ASan checks every access the handling makes), and nothing crashes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "subsystems/virtio/blk_device.h"
#include "subsystems/virtio/device_queue.h"
#include "subsystems/virtio/guest_memory.h"

namespace {

using namespace perfkit::virtio;

constexpr size_t kMemory = 16384;
constexpr uint64_t kBase = 0x100000;

// The disk: a memfd, reopened by path like any file.
BlkBackend& Disk() {
  static std::optional<BlkBackend> disk = [] {
    const int fd = memfd_create("perfkit-fuzz-disk", 0);
    if (fd < 0 || ftruncate(fd, 64 * 1024) != 0) std::abort();
    auto blk = BlkBackend::Open("/proc/self/fd/" + std::to_string(fd));
    if (!blk.ok()) std::abort();
    return std::optional<BlkBackend>(std::move(*blk));
  }();
  return *disk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const QueueFeatures features{(data[0] & 1) != 0, (data[0] & 2) != 0};
  std::vector<uint8_t> memory(kMemory, 0);
  std::memcpy(memory.data(), data + 1, std::min(size - 1, kMemory));
  GuestMemory guest;
  guest.AddBorrowed({kBase, memory.size(), kBase, memory.data()});
  constexpr uint16_t kSize = 8;
  DeviceQueue queue({kSize, memory.data(), memory.data() + 256, memory.data() + 512}, &guest,
                    features);
  Chain chain;
  for (int popped = 0; popped < 64 && queue.Pop(&chain); ++popped) {
    for (const Segment& s : chain.segments) {
      if (s.data < memory.data() || s.len > kMemory ||
          s.data + s.len > memory.data() + memory.size()) {
        std::abort();
      }
    }
    if (!chain.head_valid) continue;
    queue.Push(chain.head, Disk().Handle(chain));
    queue.Publish();
    (void)queue.ShouldNotify();
  }
  return 0;
}
