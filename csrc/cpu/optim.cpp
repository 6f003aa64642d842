#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "optim_rules.h"

namespace kt {
namespace cpu {

void optim_step(DType dt, int kind, int64_t n, void* var, const void* grad, void* s1, void* s2,
                void* s3, const double* hp) {
  KT_DISPATCH_FLOAT(dt, T, {
    T* v = (T*)var;
    const T* g = (const T*)grad;
    T *a = (T*)s1, *b = (T*)s2, *c = (T*)s3;
    parallel_for(n, 8, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        optim_apply<T>(kind, v[i], g[i], a ? a + i : nullptr, b ? b + i : nullptr, c ? c + i : nullptr, hp);
    });
  });
}

}  // namespace cpu
}  // namespace kt
