// A reference-counted block of memory on one device, freed by whoever allocated it.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>

#include "device.h"

namespace kt {

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  std::function<void(void*)> release;  // frees `data`; empty for borrowed memory

  Storage(void* d, size_t n, Device dev, std::function<void(void*)> r)
      : data(d), nbytes(n), device(dev), release(std::move(r)) {}
  ~Storage() { if (release) release(data); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

// Allocates `nbytes` on `device` (host memory is 64-byte aligned; CUDA memory comes from the
// caching allocator). Throws OutOfMemory naming the size when it cannot.
std::shared_ptr<Storage> allocate(size_t nbytes, Device device);

}  // namespace kt
