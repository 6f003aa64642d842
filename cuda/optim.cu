// Fused optimizer step: one pass over (var, grad, slots) applying kt::optim_apply per element,
// specialised per optimizer kind and flags like the CPU loop.
#include "common.cuh"
#include "optim_rules.h"

namespace kt {
namespace cuda {
namespace {

// The parameters travel by value (the caller's hp is a host pointer), converted once on the host.
template <int KIND, bool FA, bool FB, class T>
__global__ void __launch_bounds__(kBlock) optim_kernel(int64_t n, T* var, const T* grad, T* s1, T* s2, T* s3,
                                                       const OptimParams<T> p) {
  KT_GRID_LOOP(i, n) { optim_apply<KIND, FA, FB, T>(var[i], grad[i], s1 + i, s2 + i, s3 + i, p); }
}

}  // namespace

void optim_step(DType dt, int kind, int64_t n, void* var, const void* grad, void* s1, void* s2,
                void* s3, const double* hp) {
  if (n <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    const OptimParams<T> p(hp);
    optim_dispatch(kind, optim_flag_a(kind, hp), optim_flag_b(kind, hp), [&]<int K, bool FA, bool FB>() {
      optim_kernel<K, FA, FB, T><<<grid_for(n), kBlock>>>(n, (T*)var, (const T*)grad, (T*)s1, (T*)s2, (T*)s3, p);
      KT_LAUNCH_CHECK();
    });
  });
}

}  // namespace cuda
}  // namespace kt
