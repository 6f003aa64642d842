// Random fills: element i is kt::random_value(seed, offset + i), the very function the CPU
// uses, so a draw depends only on (seed, offset) and matches across devices. This file is
// compiled with -fmad=false (CMakeLists.txt) so its double arithmetic rounds like the CPU's.
#include "common.cuh"
#include "philox.h"

namespace kt {
namespace cuda {
namespace {

template <class T>
__global__ void __launch_bounds__(kBlock) random_kernel(T* out, int64_t n, RandomKind kind, uint64_t seed,
                                                        uint64_t offset, double a, double b) {
  KT_GRID_LOOP(i, n) out[i] = T(random_value(kind, seed, offset + (uint64_t)i, a, b));
}

}  // namespace

void random(DType dt, RandomKind kind, void* out, int64_t n, uint64_t seed, uint64_t offset,
            double a, double b) {
  if (n <= 0) return;
  KT_DISPATCH(dt, T, {
    random_kernel<T><<<grid_for(n), kBlock>>>((T*)out, n, kind, seed, offset, a, b);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
