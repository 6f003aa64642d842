// Gather along an axis, its deterministic scatter-add backward, and one_hot.
#include <cstring>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {

bool take(DType dt, void* out, const void* src, const int64_t* idx, int64_t outer, int64_t d,
          int64_t n, int64_t inner) {
  for (int64_t j = 0; j < n; ++j)
    if (idx[j] < 0 || idx[j] >= d) return false;
  const size_t es = dtype_size(dt), row = inner * es;
  parallel_for(outer * n, inner, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / n, j = t % n;
      std::memcpy((char*)out + t * row, (const char*)src + (o * d + idx[j]) * row, row);
    }
  });
  return true;
}

void take_backward(DType dt, void* out, const void* grad, const int64_t* idx, int64_t outer,
                   int64_t d, int64_t n, int64_t inner) {
  // out is zeroed by the caller. Each thread owns whole output slices, and adds the
  // gradient rows in index order, so the sum order never changes.
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    const T* g = (const T*)grad;
    if (outer > 1) {
      parallel_for(outer, n * inner, [&](int64_t b, int64_t e) {
        for (int64_t oo = b; oo < e; ++oo)
          for (int64_t j = 0; j < n; ++j)
            for (int64_t i = 0; i < inner; ++i) o[(oo * d + idx[j]) * inner + i] += g[(oo * n + j) * inner + i];
      });
    } else {
      parallel_for(inner, n, [&](int64_t b, int64_t e) {
        for (int64_t j = 0; j < n; ++j)
          for (int64_t i = b; i < e; ++i) o[idx[j] * inner + i] += g[j * inner + i];
      });
    }
  });
}

void one_hot(DType dt, void* out, const int64_t* idx, int64_t n, int64_t depth, double on, double off) {
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    parallel_for(n, depth, [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j)
        for (int64_t k = 0; k < depth; ++k) o[j * depth + k] = T(idx[j] == k ? on : off);
    });
  });
}

}  // namespace cpu
}  // namespace kt
