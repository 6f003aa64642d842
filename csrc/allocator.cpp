#include <cstdlib>
#include <map>
#include <mutex>

#include "error.h"
#include "storage.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace kt {
namespace {

// Large host blocks are kept for reuse instead of going back to the system: malloc returns big
// blocks to the kernel (munmap / heap trim), and every fresh page of the next step's buffers
// then costs a page fault and a zeroing (a training step allocates the same sizes each time;
// for an LSTM step that was a third of its time). Sizes are rounded so that near sizes share
// blocks; the cache holds at most kMaxCached bytes. Contents are uninitialised either way.
constexpr size_t kCacheMin = size_t(1) << 20, kCacheRound = size_t(1) << 16, kMaxCached = size_t(1) << 29;

struct HostCache {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // by size
  size_t cached = 0;

  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = free_blocks.find(size);
    if (it == free_blocks.end()) return nullptr;
    void* p = it->second;
    free_blocks.erase(it);
    cached -= size;
    return p;
  }
  void give(void* p, size_t size) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (cached + size <= kMaxCached) {
        free_blocks.emplace(size, p);
        cached += size;
        return;
      }
    }
    std::free(p);
  }
};

// Never destroyed: storages freed during interpreter shutdown still find it.
HostCache& host_cache() {
  static HostCache* cache = new HostCache();
  return *cache;
}

}  // namespace

std::shared_ptr<Storage> allocate(size_t nbytes, Device device) {
  if (device.is_cuda()) {
#ifdef KT_WITH_CUDA
    void* p = cuda::malloc(nbytes, device.index);
    int idx = device.index;
    return std::make_shared<Storage>(p, nbytes, device, [idx](void* q) { cuda::free(q, idx); });
#else
    throw RuntimeError("ktensor was built without CUDA support; cannot allocate on " + device.str());
#endif
  }
  if (nbytes >= kCacheMin) {
    const size_t size = (nbytes + kCacheRound - 1) / kCacheRound * kCacheRound;
    void* p = host_cache().take(size);
    if (!p) p = std::aligned_alloc(64, size);
    KT_CHECK(p != nullptr, OutOfMemory, "out of host memory allocating ", nbytes, " bytes");
    return std::make_shared<Storage>(p, nbytes, device, [size](void* q) { host_cache().give(q, size); });
  }
  size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  KT_CHECK(p != nullptr, OutOfMemory, "out of host memory allocating ", nbytes, " bytes");
  return std::make_shared<Storage>(p, nbytes, device, [](void* q) { std::free(q); });
}

}  // namespace kt
