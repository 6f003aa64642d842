#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "optim_rules.h"

namespace kt {
namespace cpu {
namespace {

template <int KIND, class T>
void step(int64_t n, T* __restrict v, const T* __restrict g, T* __restrict a, T* __restrict b, T* __restrict c,
          const OptimParams<T>& p) {
  parallel_for(n, 8, [&](int64_t lo, int64_t hi) {
    T dummy = 0;  // unused slots point here, so the loop body has no null checks
    for (int64_t i = lo; i < hi; ++i)
      optim_apply<KIND, T>(v[i], g[i], a ? a + i : &dummy, b ? b + i : &dummy, c ? c + i : &dummy, p);
  });
}

}  // namespace

void optim_step(DType dt, int kind, int64_t n, void* var, const void* grad, void* s1, void* s2,
                void* s3, const double* hp) {
  KT_DISPATCH_FLOAT(dt, T, {
    auto p = optim_params<T>(kind, hp);
    T *v = (T*)var, *a = (T*)s1, *b = (T*)s2, *c = (T*)s3;
    const T* g = (const T*)grad;
    switch (kind) {
      case kSGD: step<kSGD, T>(n, v, g, a, b, c, p); break;
      case kRMSprop: step<kRMSprop, T>(n, v, g, a, b, c, p); break;
      case kAdam: step<kAdam, T>(n, v, g, a, b, c, p); break;
      case kAdagrad: step<kAdagrad, T>(n, v, g, a, b, c, p); break;
    }
  });
}

}  // namespace cpu
}  // namespace kt
