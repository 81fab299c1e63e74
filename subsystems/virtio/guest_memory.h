// A guest's memory as the device sees it: regions, each with a guest-
// physical base, the front end's (QEMU's) virtual address of the same bytes,
// and where they are mapped in this process. Every address the guest hands
// over goes through Translate, which refuses anything not wholly inside one
// region: a guest never gets the device to touch memory outside its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "subsystems/base/status.h"

namespace perfkit::virtio {

struct MemoryRegion {
  uint64_t guest_phys = 0;
  uint64_t size = 0;
  uint64_t user_addr = 0;  // the front end's virtual address
  uint8_t* host = nullptr;
};

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;
  GuestMemory(GuestMemory&& other) noexcept;
  GuestMemory& operator=(GuestMemory&& other) noexcept;
  ~GuestMemory();

  // Memory this process already has (tests, the in-process suite): guest
  // addresses are `guest_phys`-based, and nothing is unmapped.
  void AddBorrowed(const MemoryRegion& region);
  // Maps `size` bytes at `mmap_offset` of `fd` (shared) and owns the
  // mapping. Refuses overlapping or empty regions.
  Status AddMapped(int fd, uint64_t guest_phys, uint64_t size, uint64_t user_addr,
                   uint64_t mmap_offset);

  // Host pointer to `len` bytes at guest address `addr`, or nullptr when
  // they are not all inside one region.
  uint8_t* Translate(uint64_t addr, uint64_t len) const;
  // The same for the front end's virtual addresses (vhost-user ring
  // addresses are given so).
  uint8_t* TranslateUser(uint64_t addr, uint64_t len) const;
  const std::vector<MemoryRegion>& regions() const { return regions_; }

 private:
  struct Mapping {
    void* base;
    size_t bytes;
  };
  void Unmap();
  std::vector<MemoryRegion> regions_;
  std::vector<Mapping> mappings_;
};

}  // namespace perfkit::virtio
