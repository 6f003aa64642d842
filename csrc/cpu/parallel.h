// parallel_for: splits [0, n) into contiguous ranges over OpenMP threads when the work is big
// enough to pay for it. Ranges never decide arithmetic order, so results do not depend on threads.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace kt {
namespace cpu {

constexpr int64_t kParallelGrain = 32768;  // elements of simple work below which one thread is faster

inline int64_t num_threads_hint() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Rows per chunk of a fixed-order column reduction over [rows, width] (norm, bias gradients):
// about 16K elements, so a chunk stays in cache between its passes, at most 4096 chunks. Set by
// the shape alone, so the sums never depend on the thread count.
inline int64_t chunk_rows(int64_t rows, int64_t width) {
  const int64_t by_size = std::max<int64_t>(1, 16384 / std::max<int64_t>(width, 1));
  return std::max<int64_t>(by_size, (rows + 4095) / 4096);
}

template <class F>
void parallel_for(int64_t n, int64_t work_per_item, F&& f) {
#ifdef _OPENMP
  int nt = omp_get_max_threads();
  // Inside another parallel region (a kernel called per chunk by a parallel op) run inline.
  if (nt > 1 && n > 1 && n * work_per_item >= kParallelGrain && !omp_in_parallel()) {
    nt = (int)std::min<int64_t>(nt, n);
#pragma omp parallel num_threads(nt)
    {
      // The team may be smaller than asked for; split over the threads actually there.
      const int t = omp_get_thread_num(), team = omp_get_num_threads();
      int64_t begin = n * t / team, end = n * (t + 1) / team;
      if (begin < end) f(begin, end);
    }
    return;
  }
#endif
  f(0, n);
}

// Scratch memory that is written before it is read: no zero-fill.
template <class T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[std::max<int64_t>(n, 1)]);
}

// Runs body(i, scratch) for items i in [0, n). With at least one item per thread the items
// are spread over the threads, each with its own scratch buffer, in one parallel region (the
// kernels called inside then run on their thread: far fewer fork/joins than one region per
// chunk per step); else they run in turn with the kernels parallel inside. Either way each
// item computes the same numbers.
template <class T, class F>
void over_items(int64_t n, int64_t scratch_elems, F&& body) {
  const int64_t threads = num_threads_hint();
  if (threads > 1 && n >= threads) {
    parallel_for(n, kParallelGrain, [&](int64_t i0, int64_t i1) {
      auto buf = scratch<T>(scratch_elems);
      for (int64_t i = i0; i < i1; ++i) body(i, buf.get());
    });
  } else {
    auto buf = scratch<T>(scratch_elems);
    for (int64_t i = 0; i < n; ++i) body(i, buf.get());
  }
}

// How many partial results a fixed-order sum over `items` keeps, each of `part_bytes`: at most
// 16 (work for the threads) and at most 64 MiB in all (wide kernels' gradients), at least one.
// Set by the shape alone, so the sums never depend on the thread count.
inline int64_t sum_parts_count(int64_t items, int64_t part_bytes) {
  const int64_t by_memory = (int64_t(64) << 20) / std::max<int64_t>(part_bytes, 1);
  return std::max<int64_t>(1, std::min({items, int64_t(16), by_memory}));
}

// dst[e] = part 0 + part 1 + ... at e, in part order: the fixed-order sum of per-part partial
// results (`count` parts of n values, `stride` apart; dst may be part 0 itself).
template <class T>
void sum_parts(const T* parts, int64_t count, int64_t stride, int64_t n, T* dst) {
  parallel_for(n, count, [&](int64_t e0, int64_t e1) {
    if (dst != parts) std::copy(parts + e0, parts + e1, dst + e0);
    for (int64_t p = 1; p < count; ++p) {
      const T* src = parts + p * stride;
#pragma omp simd
      for (int64_t e = e0; e < e1; ++e) dst[e] += src[e];
    }
  });
}

}  // namespace cpu
}  // namespace kt
