#include "subsystems/virtio/guest_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace perfkit::virtio {
namespace {

// [base, base + size) holds [addr, addr + len), without overflow anywhere.
bool Holds(uint64_t base, uint64_t size, uint64_t addr, uint64_t len) {
  return addr >= base && addr - base <= size && len <= size - (addr - base);
}

bool Overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

}  // namespace

GuestMemory::GuestMemory(GuestMemory&& other) noexcept
    : regions_(std::move(other.regions_)), mappings_(std::move(other.mappings_)) {
  other.regions_.clear();
  other.mappings_.clear();
}

GuestMemory& GuestMemory::operator=(GuestMemory&& other) noexcept {
  if (this != &other) {
    Unmap();
    regions_ = std::move(other.regions_);
    mappings_ = std::move(other.mappings_);
    other.regions_.clear();
    other.mappings_.clear();
  }
  return *this;
}

GuestMemory::~GuestMemory() { Unmap(); }

void GuestMemory::Unmap() {
  for (const Mapping& m : mappings_) munmap(m.base, m.bytes);
  mappings_.clear();
  regions_.clear();
}

void GuestMemory::AddBorrowed(const MemoryRegion& region) { regions_.push_back(region); }

Status GuestMemory::AddMapped(int fd, uint64_t guest_phys, uint64_t size, uint64_t user_addr,
                              uint64_t mmap_offset) {
  if (size == 0 || guest_phys + size < guest_phys || mmap_offset + size < mmap_offset) {
    return Status::Error("a memory region of " + std::to_string(size) + " bytes at " +
                         std::to_string(guest_phys) + " is empty or wraps");
  }
  for (const MemoryRegion& r : regions_) {
    if (Overlaps(r.guest_phys, r.size, guest_phys, size)) {
      return Status::Error("memory regions overlap at guest address " + std::to_string(guest_phys));
    }
  }
  // mmap wants a page-aligned offset: map from the start of the file.
  const size_t bytes = mmap_offset + size;
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return Status::Error(std::string("cannot map guest memory: ") + std::strerror(errno));
  }
  mappings_.push_back({base, bytes});
  regions_.push_back({guest_phys, size, user_addr, static_cast<uint8_t*>(base) + mmap_offset});
  return OkStatus();
}

uint8_t* GuestMemory::Translate(uint64_t addr, uint64_t len) const {
  for (const MemoryRegion& r : regions_) {
    if (Holds(r.guest_phys, r.size, addr, len)) return r.host + (addr - r.guest_phys);
  }
  return nullptr;
}

uint8_t* GuestMemory::TranslateUser(uint64_t addr, uint64_t len) const {
  for (const MemoryRegion& r : regions_) {
    if (Holds(r.user_addr, r.size, addr, len)) return r.host + (addr - r.user_addr);
  }
  return nullptr;
}

}  // namespace perfkit::virtio
