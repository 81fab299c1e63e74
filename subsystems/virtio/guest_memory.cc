#include "subsystems/virtio/guest_memory.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
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

// Mappings a SIGBUS may hit: read by the signal handler, so fixed slots of
// atomics, no allocation.
struct Guarded {
  std::atomic<uintptr_t> base{0};
  std::atomic<size_t> bytes{0};
  std::atomic<bool> lost{false};
};
constexpr size_t kMaxGuarded = 64;
Guarded g_guarded[kMaxGuarded];
struct sigaction g_previous_bus;

void OnBus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Guarded& g : g_guarded) {
    const uintptr_t base = g.base.load();
    const size_t bytes = g.bytes.load();
    if (base != 0 && addr >= base && addr - base < bytes) {
      // Zeros where the front end's memory was; the access retries on them.
      (void)mmap(reinterpret_cast<void*>(base), bytes, PROT_READ | PROT_WRITE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      g.lost = true;
      return;
    }
  }
  // Not guest memory: whatever happened is not ours to hide.
  sigaction(SIGBUS, &g_previous_bus, nullptr);
  (void)sig;
  (void)context;
}

Guarded* Guard(void* base, size_t bytes) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &OnBus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, &g_previous_bus);
  });
  for (Guarded& g : g_guarded) {
    uintptr_t expected = 0;
    if (g.base.load() != 0) continue;
    g.bytes = bytes;
    if (g.base.compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(base))) {
      g.lost = false;
      return &g;
    }
  }
  return nullptr;
}

void Unguard(void* base) {
  for (Guarded& g : g_guarded) {
    uintptr_t expected = reinterpret_cast<uintptr_t>(base);
    if (g.base.compare_exchange_strong(expected, 0)) return;
  }
}

// QEMU seals its memfd against shrinking (memory-backend-memfd's default);
// a front end that did not may still let us add the seal.
bool SealedAgainstShrinking(int fd) {
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) return false;
  if (seals & F_SEAL_SHRINK) return true;
  return !(seals & F_SEAL_SEAL) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
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
  for (const Mapping& m : mappings_) {
    if (m.guard != nullptr) Unguard(m.base);
    munmap(m.base, m.bytes);
  }
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
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return Status::Error(std::string("a memory region's descriptor: ") + std::strerror(errno));
  }
  if (S_ISREG(st.st_mode) && bytes > static_cast<uint64_t>(st.st_size)) {
    return Status::Error("a memory region of " + std::to_string(size) + " bytes at offset " +
                         std::to_string(mmap_offset) + " passes the end of its file (" +
                         std::to_string(st.st_size) + " bytes)");
  }
  const bool sealed = !S_ISREG(st.st_mode) || SealedAgainstShrinking(fd);
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    return Status::Error(std::string("cannot map guest memory: ") + std::strerror(errno));
  }
  Guarded* guard = nullptr;
  if (!sealed && (guard = Guard(base, bytes)) == nullptr) {
    munmap(base, bytes);
    return Status::Error("too many guest memory regions that their front end could shrink");
  }
  guarded_ |= guard != nullptr;
  mappings_.push_back({base, bytes, guard});
  regions_.push_back({guest_phys, size, user_addr, static_cast<uint8_t*>(base) + mmap_offset});
  return OkStatus();
}

bool GuestMemory::broken() const {
  for (const Mapping& m : mappings_) {
    if (m.guard != nullptr && static_cast<Guarded*>(m.guard)->lost) return true;
  }
  return false;
}

bool GuestMemory::StillBacked(const uint8_t* data, size_t len) const {
  if (!guarded_) return true;
  const auto* page = reinterpret_cast<const volatile uint8_t*>(reinterpret_cast<uintptr_t>(data) &
                                                               ~uintptr_t{4095});
  for (; page < data + len; page += 4096) (void)*page;
  return !broken();
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
