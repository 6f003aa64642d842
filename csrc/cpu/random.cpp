#include <cmath>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "philox.h"

namespace kt {
namespace cpu {
namespace {

// Bernoulli draws (the Dropout masks) without doubles: u = k / 2^53 for the 53-bit integer k of
// philox_unit, so u < p exactly when k < ceil(p * 2^53) (p * 2^53 is exact). An integer-only
// loop with the kind fixed outside it lets the compiler vectorise the Philox rounds; the values
// are those of random_value.
template <class T>
void bernoulli(T* o, int64_t n, uint64_t seed, uint64_t offset, double p) {
  const double scaled = std::ceil(p * 9007199254740992.0);
  const uint64_t limit = !(p > 0) ? 0 : p >= 1 ? (uint64_t(1) << 53) : (uint64_t)scaled;
  parallel_for(n, 64, [&](int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; ++i) {
      const Philox4 r = philox(seed, offset + (uint64_t)i, 0);
      const uint64_t k = ((uint64_t)r.v[0] << 21) ^ (uint64_t)(r.v[1] >> 11);
      o[i] = k < limit ? T(1) : T(0);
    }
  });
}

}  // namespace

void random(DType dt, RandomKind kind, void* out, int64_t n, uint64_t seed, uint64_t offset, double a, double b) {
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    if (kind == RandomKind::Bernoulli) return bernoulli<T>(o, n, seed, offset, a);
    parallel_for(n, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = T(random_value(kind, seed, offset + (uint64_t)i, a, b));
    });
  });
}

}  // namespace cpu
}  // namespace kt
