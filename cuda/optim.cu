// Fused optimizer step: one pass over (var, grad, slots) applying kt::optim_apply per element,
// specialised per optimizer kind like the CPU loop.
#include "common.cuh"
#include "optim_rules.h"

namespace kt {
namespace cuda {
namespace {

// The parameters travel by value (the caller's hp is a host pointer), converted once on the host.
template <int KIND, class T>
__global__ void __launch_bounds__(kBlock) optim_kernel(int64_t n, T* var, const T* grad, T* s1, T* s2, T* s3,
                                                       const OptimParams<T> p) {
  T dummy = 0;  // unused slots point here, as on the CPU
  KT_GRID_LOOP(i, n) {
    optim_apply<KIND, T>(var[i], grad[i], s1 ? s1 + i : &dummy, s2 ? s2 + i : &dummy, s3 ? s3 + i : &dummy, p);
  }
}

template <int KIND, class T>
void step(int64_t n, void* var, const void* grad, void* s1, void* s2, void* s3, const OptimParams<T>& p) {
  optim_kernel<KIND, T><<<grid_for(n), kBlock>>>(n, (T*)var, (const T*)grad, (T*)s1, (T*)s2, (T*)s3, p);
  KT_LAUNCH_CHECK();
}

}  // namespace

void optim_step(DType dt, int kind, int64_t n, void* var, const void* grad, void* s1, void* s2,
                void* s3, const double* hp) {
  if (n <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    const OptimParams<T> p = optim_params<T>(kind, hp);
    switch (kind) {
      case kSGD: step<kSGD, T>(n, var, grad, s1, s2, s3, p); break;
      case kRMSprop: step<kRMSprop, T>(n, var, grad, s1, s2, s3, p); break;
      case kAdam: step<kAdam, T>(n, var, grad, s1, s2, s3, p); break;
      case kAdagrad: step<kAdagrad, T>(n, var, grad, s1, s2, s3, p); break;
      default: break;
    }
  });
}

}  // namespace cuda
}  // namespace kt
