#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "error.h"
#include "storage.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace kt {
namespace {

// Host cache of large blocks. A fresh large allocation is mmap'd by malloc and its pages fault
// in (and are zeroed by the kernel) on first touch: a training step that allocates the same
// activation sizes every step paid that each step. Freed blocks of at least kCacheMin bytes
// are kept per exact (page-rounded) size and handed out again; the cache holds at most
// kCacheMax bytes. Small blocks stay with malloc.
constexpr size_t kPage = 4096;
constexpr size_t kCacheMin = 64 * 1024;
constexpr size_t kCacheMax = size_t(512) << 20;

struct HostCache {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;  // rounded size -> block
  size_t cached = 0;

  void* take(size_t rounded) {
    std::lock_guard<std::mutex> lock(mu);
    auto it = free_blocks.find(rounded);
    if (it == free_blocks.end()) return nullptr;
    void* p = it->second;
    free_blocks.erase(it);
    cached -= rounded;
    return p;
  }

  // The newest block is kept: when the cache is full, the largest cached blocks make room (so
  // sizes that stopped recurring, e.g. an old batch size, do not hold the budget forever).
  // Returns every cached block to the system (before giving up on an allocation).
  void release_all() {
    std::multimap<size_t, void*> blocks;
    {
      std::lock_guard<std::mutex> lock(mu);
      blocks.swap(free_blocks);
      cached = 0;
    }
    for (auto& [size, q] : blocks) std::free(q);
  }

  void give(void* p, size_t rounded) {
    std::vector<void*> evicted;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (rounded > kCacheMax) {
        evicted.push_back(p);
      } else {
        while (cached + rounded > kCacheMax) {
          auto last = std::prev(free_blocks.end());
          cached -= last->first;
          evicted.push_back(last->second);
          free_blocks.erase(last);
        }
        free_blocks.emplace(rounded, p);
        cached += rounded;
      }
    }
    for (void* q : evicted) std::free(q);
  }
};

// Never destroyed: storages freed during interpreter shutdown may still return blocks to it.
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
    const size_t rounded = (nbytes + kPage - 1) / kPage * kPage;
    void* p = host_cache().take(rounded);
    if (p == nullptr) p = std::aligned_alloc(kPage, rounded);
    if (p == nullptr) {
      host_cache().release_all();
      p = std::aligned_alloc(kPage, rounded);
    }
    KT_CHECK(p != nullptr, OutOfMemory, "out of host memory allocating ", nbytes, " bytes");
    return std::make_shared<Storage>(p, nbytes, device, [rounded](void* q) { host_cache().give(q, rounded); });
  }
  size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  KT_CHECK(p != nullptr, OutOfMemory, "out of host memory allocating ", nbytes, " bytes");
  return std::make_shared<Storage>(p, nbytes, device, [](void* q) { std::free(q); });
}

}  // namespace kt
