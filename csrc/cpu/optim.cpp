#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "optim_rules.h"

namespace kt {
namespace cpu {

void optim_step(DType dt, int kind, int64_t n, void* var, const void* grad, void* s1, void* s2,
                void* s3, const double* hp) {
  KT_DISPATCH_FLOAT(dt, T, {
    const OptimParams<T> p(hp);
    T *__restrict v = (T*)var, *__restrict a = (T*)s1, *__restrict b = (T*)s2, *__restrict c = (T*)s3;
    const T* __restrict g = (const T*)grad;
    optim_dispatch(kind, optim_flag_a(kind, hp), optim_flag_b(kind, hp), [&]<int K, bool FA, bool FB>() {
      parallel_for(n, 8, [&](int64_t lo, int64_t hi) {
        // Slots a kind does not use are never dereferenced (the flags are compile-time).
        for (int64_t i = lo; i < hi; ++i) optim_apply<K, FA, FB, T>(v[i], g[i], a + i, b + i, c + i, p);
      });
    });
  });
}

}  // namespace cpu
}  // namespace kt
