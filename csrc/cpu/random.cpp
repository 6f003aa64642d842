#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "philox.h"

namespace kt {
namespace cpu {

void random(DType dt, RandomKind kind, void* out, int64_t n, uint64_t seed, uint64_t offset, double a, double b) {
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    parallel_for(n, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = T(random_value(kind, seed, offset + (uint64_t)i, a, b));
    });
  });
}

}  // namespace cpu
}  // namespace kt
