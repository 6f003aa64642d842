// Fused softmax cross-entropy with logits, as csrc/cpu/loss.cpp: per-row loss and its gradient,
// one group of threads per row, the row's log-sum-exp accumulated in double in a fixed order.
#include <cmath>
#include <limits>

#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

// ---- device functions ----

__device__ __forceinline__ double add(double a, double b) { return a + b; }

// log(sum_k exp(x_k - m)) + m over a row of c values, shared by the group's threads.
template <class T>
__device__ double row_lse(const T* x, int64_t c, int lane, int tpr) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t k = lane; k < c; k += tpr) m = x[k] > m ? x[k] : m;
  m = group_allreduce(m, [](T a, T b) { return max_keep(a, b); }, tpr);
  double s = 0;
  for (int64_t k = lane; k < c; k += tpr) s += std::exp((double)(x[k] - m));
  s = group_allreduce(s, add, tpr);
  return std::log(s) + (double)m;
}

// ---- kernels ----

__global__ void __launch_bounds__(kBlock) check_labels_kernel(const int64_t* y, int64_t n, int64_t c, int* bad) {
  KT_GRID_LOOP(i, n) {
    if (y[i] < 0 || y[i] >= c) *bad = 1;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) xent_forward_kernel(T* loss, const T* logits, const void* labels,
                                                              bool sparse, int64_t n, int64_t c, int tpr) {
  KT_ROW_LOOP(i, lane, n, tpr) {
    const T* xi = logits + i * c;
    const double lse = row_lse(xi, c, lane, tpr);
    if (sparse) {
      if (lane == 0) loss[i] = T(lse - xi[((const int64_t*)labels)[i]]);
    } else {
      const T* yi = (const T*)labels + i * c;
      double acc = 0;
      for (int64_t k = lane; k < c; k += tpr) acc += (double)yi[k] * (lse - xi[k]);
      acc = group_allreduce(acc, add, tpr);
      if (lane == 0) loss[i] = T(acc);
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) xent_backward_kernel(T* grad, const T* logits, const void* labels,
                                                               bool sparse, const T* g, int64_t n, int64_t c, int tpr) {
  KT_ROW_LOOP(i, lane, n, tpr) {
    const T* xi = logits + i * c;
    T* gi = grad + i * c;
    const double lse = row_lse(xi, c, lane, tpr), gv = (double)g[i];
    if (sparse) {
      const int64_t y = ((const int64_t*)labels)[i];
      for (int64_t k = lane; k < c; k += tpr) gi[k] = T(gv * (std::exp(xi[k] - lse) - (k == y ? 1.0 : 0.0)));
    } else {
      // d/dx of sum_k y_k (lse - x_k) = softmax * sum(y) - y
      const T* yi = (const T*)labels + i * c;
      double ys = 0;
      for (int64_t k = lane; k < c; k += tpr) ys += yi[k];
      ys = group_allreduce(ys, add, tpr);
      for (int64_t k = lane; k < c; k += tpr) gi[k] = T(gv * (std::exp(xi[k] - lse) * ys - yi[k]));
    }
  }
}

}  // namespace

// ---- entries ----

void xent_forward(DType dt, void* loss, const void* logits, const void* labels, bool sparse,
                  int64_t n, int64_t c, bool* label_ok) {
  *label_ok = true;
  if (n <= 0) return;
  if (sparse) {
    DeviceFlag bad;
    check_labels_kernel<<<grid_for(n), kBlock>>>((const int64_t*)labels, n, c, bad.get());
    KT_LAUNCH_CHECK();
    if (bad.raised()) {
      *label_ok = false;
      return;
    }
  }
  const int tpr = row_group(n, c);
  KT_DISPATCH_FLOAT(dt, T, {
    xent_forward_kernel<T><<<row_grid(n, tpr), kBlock>>>((T*)loss, (const T*)logits, labels, sparse, n, c, tpr);
    KT_LAUNCH_CHECK();
  });
}

void xent_backward(DType dt, void* grad, const void* logits, const void* labels, bool sparse,
                   const void* g, int64_t n, int64_t c) {
  if (n <= 0 || c <= 0) return;
  const int tpr = row_group(n, c);
  KT_DISPATCH_FLOAT(dt, T, {
    xent_backward_kernel<T><<<row_grid(n, tpr), kBlock>>>((T*)grad, (const T*)logits, labels, sparse, (const T*)g,
                                                          n, c, tpr);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
