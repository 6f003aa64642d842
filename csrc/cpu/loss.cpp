// Fused softmax cross-entropy with logits: per-row loss, and its gradient in one pass.
#include <cmath>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

template <class T>
double row_lse(const T* x, int64_t c) {
  T m = x[0];
  for (int64_t k = 1; k < c; ++k) m = x[k] > m ? x[k] : m;
  double s = 0;
  for (int64_t k = 0; k < c; ++k) s += std::exp((double)(x[k] - m));
  return std::log(s) + (double)m;
}

}  // namespace

void xent_forward(DType dt, void* loss, const void* logits, const void* labels, bool sparse,
                  int64_t n, int64_t c, bool* label_ok) {
  *label_ok = true;
  if (sparse) {
    const int64_t* y = (const int64_t*)labels;
    for (int64_t i = 0; i < n; ++i)
      if (y[i] < 0 || y[i] >= c) { *label_ok = false; return; }
  }
  KT_DISPATCH_FLOAT(dt, T, {
    const T* x = (const T*)logits;
    T* l = (T*)loss;
    parallel_for(n, c * 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* xi = x + i * c;
        double lse = row_lse(xi, c);
        if (sparse) {
          l[i] = T(lse - xi[((const int64_t*)labels)[i]]);
        } else {
          const T* yi = (const T*)labels + i * c;
          double acc = 0;
          for (int64_t k = 0; k < c; ++k) acc += (double)yi[k] * (lse - xi[k]);
          l[i] = T(acc);
        }
      }
    });
  });
}

void xent_backward(DType dt, void* grad, const void* logits, const void* labels, bool sparse,
                   const void* g, int64_t n, int64_t c) {
  KT_DISPATCH_FLOAT(dt, T, {
    const T* x = (const T*)logits;
    T* gr = (T*)grad;
    parallel_for(n, c * 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* xi = x + i * c;
        T* gi = gr + i * c;
        const double lse = row_lse(xi, c), gv = (double)((const T*)g)[i];
        if (sparse) {
          const int64_t y = ((const int64_t*)labels)[i];
          for (int64_t k = 0; k < c; ++k) gi[k] = T(gv * (std::exp(xi[k] - lse) - (k == y ? 1.0 : 0.0)));
        } else {
          // d/dx of sum_k y_k (lse - x_k) = softmax * sum(y) - y
          const T* yi = (const T*)labels + i * c;
          double ys = 0;
          for (int64_t k = 0; k < c; ++k) ys += yi[k];
          for (int64_t k = 0; k < c; ++k) gi[k] = T(gv * (std::exp(xi[k] - lse) * ys - yi[k]));
        }
      }
    });
  });
}

}  // namespace cpu
}  // namespace kt
