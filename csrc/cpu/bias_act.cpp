// Bias add + activation over compact rows [m, c] (bias per column, the channels-last axis), and
// its backward: dx = g * act'(y) and dbias = column sums of dx, in one pass over g and y.
// Column sums are taken per chunk of rows (chunks sized by the shape alone) in double, then the
// chunks are added in chunk order: dbias never depends on the number of threads.
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "bias_act_codes.h"
#include "scalar_ops.h"

namespace kt {
namespace cpu {
namespace {

template <UnaryOp A, class T>
void forward_t(int64_t m, int64_t c, const T* x, const T* bias, T* y) {
  parallel_for(m, c, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* p = x + r * c;
      T* q = y + r * c;
#pragma omp simd
      for (int64_t k = 0; k < c; ++k) q[k] = T(unary_apply<A, T>(T(p[k] + bias[k]), 0.0));
    }
  });
}

// G is the gradient formula (g, y) -> dx; Add stands for linear (dx = g, not written: dx null).
template <BinaryOp G, class T>
void backward_t(int64_t m, int64_t c, const T* g, const T* y, T* dx, T* dbias) {
  const int64_t R = chunk_rows(m, c), nch = (m + R - 1) / R;
  std::vector<double> part(nch * c);
  parallel_for(nch, R * c, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      double* s = &part[j * c];
      for (int64_t k = 0; k < c; ++k) s[k] = 0;
      for (int64_t r = j * R, r1 = std::min(m, r + R); r < r1; ++r) {
        const T* gr = g + r * c;
        if constexpr (G == BinaryOp::Add) {
#pragma omp simd
          for (int64_t k = 0; k < c; ++k) s[k] += gr[k];
        } else {
          const T* yr = y + r * c;
          T* o = dx + r * c;
          // Two loops over the row (it stays in L1): each vectorises on its own.
#pragma omp simd
          for (int64_t k = 0; k < c; ++k) o[k] = binary_apply<G, T>(gr[k], yr[k]);
#pragma omp simd
          for (int64_t k = 0; k < c; ++k) s[k] += o[k];
        }
      }
    }
  });
  for (int64_t k = 0; k < c; ++k) {
    double t = 0;
    for (int64_t j = 0; j < nch; ++j) t += part[j * c + k];
    dbias[k] = T(t);
  }
}

}  // namespace

void bias_act(UnaryOp act, DType dt, int64_t m, int64_t c, const void* x, const void* bias, void* y) {
  KT_DISPATCH_FLOAT(dt, T, with_bias_act(act, [&](auto a) {
    forward_t<decltype(a)::act, T>(m, c, (const T*)x, (const T*)bias, (T*)y);
  }));
}

void bias_act_backward(UnaryOp act, DType dt, int64_t m, int64_t c, const void* g, const void* y, void* dx,
                       void* dbias) {
  KT_DISPATCH_FLOAT(dt, T, with_bias_act(act, [&](auto a) {
    backward_t<decltype(a)::grad, T>(m, c, (const T*)g, (const T*)y, (T*)dx, (T*)dbias);
  }));
}

}  // namespace cpu
}  // namespace kt
