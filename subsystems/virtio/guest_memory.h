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
  // mapping. Refuses overlapping or empty regions, and regions past the end
  // of their file. A front end that could shrink the file later (it is not
  // sealed against it, and cannot be) would turn the next access into
  // SIGBUS: such a mapping is guarded, and a fault in it replaces it with
  // zeros and marks the memory broken() instead.
  Status AddMapped(int fd, uint64_t guest_phys, uint64_t size, uint64_t user_addr,
                   uint64_t mmap_offset);
  // Whether a guarded region lost its backing: nothing read from it since
  // can be trusted, and nothing more may be served.
  bool broken() const;
  // Touches every page of `len` bytes at `data` (inside a region) so that a
  // shrunk backing faults here, in the open, not inside a system call that
  // would half-complete; then says whether the memory is still whole.
  bool StillBacked(const uint8_t* data, size_t len) const;
  bool guarded() const { return guarded_; }

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
    void* guard;  // its slot in the SIGBUS guard, or nullptr when sealed
  };
  void Unmap();
  std::vector<MemoryRegion> regions_;
  std::vector<Mapping> mappings_;
  bool guarded_ = false;
};

}  // namespace perfkit::virtio
