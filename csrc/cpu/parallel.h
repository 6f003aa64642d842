// parallel_for: splits [0, n) into contiguous ranges over OpenMP threads when the work is big
// enough to pay for it. Ranges never decide arithmetic order, so results do not depend on threads.
#pragma once
#include <algorithm>
#include <cstdint>
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

}  // namespace cpu
}  // namespace kt
