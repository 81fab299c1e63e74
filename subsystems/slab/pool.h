// A typed object pool: Acquire() hands out a T from a LIFO free list over
// chunks the pool keeps, and the returned handle gives it back on scope exit.
// For buffers that are taken and returned at a high rate (4 KiB I/O buffers),
// where a general-purpose malloc would do the same bookkeeping every time.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace perfkit::slab {

// Thread-compatible: one pool per thread, or the caller locks.
template <typename T>
class ObjectPool {
 public:
  class Handle {
   public:
    Handle() = default;
    Handle(Handle&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)),
          object_(std::exchange(other.object_, nullptr)) {}
    Handle& operator=(Handle&& other) noexcept {
      if (this != &other) {
        reset();
        pool_ = std::exchange(other.pool_, nullptr);
        object_ = std::exchange(other.object_, nullptr);
      }
      return *this;
    }
    ~Handle() { reset(); }

    T* get() const { return object_; }
    T& operator*() const { return *object_; }
    T* operator->() const { return object_; }
    explicit operator bool() const { return object_ != nullptr; }
    void reset() {
      if (object_ != nullptr) pool_->Release(object_);
      object_ = nullptr;
    }

   private:
    friend class ObjectPool;
    Handle(ObjectPool* pool, T* object) : pool_(pool), object_(object) {}
    ObjectPool* pool_ = nullptr;
    T* object_ = nullptr;
  };

  explicit ObjectPool(size_t objects_per_chunk = 64)
      : per_chunk_(objects_per_chunk ? objects_per_chunk : 1) {}
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;
  // Every handle must have been released: the chunks go with the pool.
  ~ObjectPool() = default;

  // Default-initialises T (a buffer of bytes is not zeroed); with arguments,
  // constructs T from them.
  Handle Acquire() { return Handle(this, new (TakeSlot()) T); }
  template <typename... Args>
  Handle Acquire(Args&&... args) {
    return Handle(this, new (TakeSlot()) T(std::forward<Args>(args)...));
  }

  size_t live() const { return live_; }
  size_t capacity() const { return chunks_.size() * per_chunk_; }

 private:
  union Slot {
    Slot* next;
    alignas(T) unsigned char storage[sizeof(T)];
  };

  void* TakeSlot() {
    if (free_ == nullptr) Grow();
    Slot* slot = free_;
    free_ = slot->next;
    ++live_;
    return slot->storage;
  }
  void Release(T* object) {
    object->~T();
    auto* slot = reinterpret_cast<Slot*>(object);
    slot->next = free_;
    free_ = slot;
    --live_;
  }
  void Grow() {
    chunks_.push_back(std::make_unique_for_overwrite<Slot[]>(per_chunk_));
    Slot* chunk = chunks_.back().get();
    for (size_t i = per_chunk_; i-- > 0;) {
      chunk[i].next = free_;
      free_ = &chunk[i];
    }
  }

  size_t per_chunk_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Slot* free_ = nullptr;
  size_t live_ = 0;
};

}  // namespace perfkit::slab
