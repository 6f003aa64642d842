// Caching device allocator: freed blocks are kept per device in size-keyed free lists and
// handed out again, so steady-state training does no cudaMalloc/cudaFree at all. Blocks are
// never split; sizes are rounded so that repeated shapes land on the same block size.
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

constexpr size_t kSmallGranule = 512;
constexpr size_t kLargeGranule = size_t(2) << 20;
constexpr size_t kLargeFrom = size_t(1) << 20;
constexpr size_t kMaxRequest = size_t(1) << 48;  // keeps the rounding below from overflowing

size_t round_size(size_t n) {
  if (n < kLargeFrom) return std::max(kSmallGranule, (n + kSmallGranule - 1) / kSmallGranule * kSmallGranule);
  return (n + kLargeGranule - 1) / kLargeGranule * kLargeGranule;
}

// A cached block serves a request only if it wastes little: at most 2x for small sizes,
// a quarter for large ones (a bigger block stays cached for a request that fits it better).
bool fits(size_t block, size_t want) {
  return block <= want + (want < kLargeFrom ? want : want / 4);
}

struct Heap {
  std::unordered_map<void*, size_t> live;  // pointer -> block size
  std::multimap<size_t, void*> cached;     // free blocks by size
  size_t allocated = 0, peak = 0, reserved = 0;
};

struct State {
  std::mutex mu;
  std::vector<Heap> heaps;
  Heap* heap(int device) {
    if (device < 0) return nullptr;
    if ((size_t)device >= heaps.size()) {
      if (device >= device_count()) return nullptr;
      heaps.resize(device_count());
    }
    return &heaps[device];
  }
};

// Never destroyed: freeing device memory after the CUDA runtime has shut down would fail.
State& state() {
  static State* s = new State();
  return *s;
}

// Returns the device's cached blocks to CUDA; the caller holds the lock.
void release_cached(Heap& h, int device) {
  if (h.cached.empty()) return;
  int prev = -1;
  const bool switched = cudaGetDevice(&prev) == cudaSuccess && prev != device && cudaSetDevice(device) == cudaSuccess;
  for (auto& kv : h.cached) {
    if (cudaFree(kv.second) == cudaSuccess) h.reserved -= kv.first;
    else (void)cudaGetLastError();
  }
  h.cached.clear();
  if (switched) (void)cudaSetDevice(prev);
}

}  // namespace

void* malloc(size_t nbytes, int device) {
  check_device(device);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  Heap& h = *s.heap(device);
  auto oom = [&]() {
    return OutOfMemory(str("CUDA out of memory on cuda:", device, ": tried to allocate ", nbytes, " bytes (",
                           h.allocated, " bytes in use by ktensor, ", h.reserved, " reserved)"));
  };
  if (nbytes > kMaxRequest) throw oom();
  const size_t want = round_size(nbytes);  // size 0 still gets a real, distinct block

  void* ptr = nullptr;
  size_t size = want;
  auto it = h.cached.lower_bound(want);
  if (it != h.cached.end() && fits(it->first, want)) {
    ptr = it->second;
    size = it->first;
    h.cached.erase(it);
  } else {
    DeviceGuard guard(device);
    cudaError_t e = cudaMalloc(&ptr, want);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      release_cached(h, device);  // the cache may hold what we need in other sizes
      e = cudaMalloc(&ptr, want);
    }
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      throw oom();
    }
    CUDA_CHECK(e);
    h.reserved += want;
  }
  h.live.emplace(ptr, size);
  h.allocated += size;
  h.peak = std::max(h.peak, h.allocated);
  return ptr;
}

// Called from Storage destructors: must never throw.
void free(void* ptr, int device) {
  if (!ptr) return;
  try {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    Heap* h = s.heap(device);
    if (!h) return;
    auto it = h->live.find(ptr);
    if (it == h->live.end()) return;
    h->allocated -= it->second;
    h->cached.emplace(it->second, ptr);
    h->live.erase(it);
  } catch (...) {
  }
}

namespace {
// Reads one counter of a device's heap under the lock (0 for a device never used).
size_t heap_stat(int device, size_t Heap::*field) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  Heap* h = s.heap(device);
  return h ? h->*field : 0;
}
}  // namespace

size_t memory_allocated(int device) { return heap_stat(device, &Heap::allocated); }
size_t max_memory_allocated(int device) { return heap_stat(device, &Heap::peak); }
size_t memory_reserved(int device) { return heap_stat(device, &Heap::reserved); }

void reset_peak(int device) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (Heap* h = s.heap(device)) h->peak = h->allocated;
}

void empty_cache() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  for (size_t d = 0; d < s.heaps.size(); ++d) release_cached(s.heaps[d], (int)d);
}

}  // namespace cuda
}  // namespace kt
