// Bias add + activation over compact rows [m, c] (bias per column) and its backward. The dbias
// column sums are taken per chunk of rows by one thread each (chunks sized by the shape alone),
// then each column's chunks are added in chunk order by one thread: no atomics, so the result
// is bitwise stable run to run. Sums accumulate in double, as on the CPU.
#include "common.cuh"
#include "bias_act_codes.h"
#include "scalar_ops.h"

namespace kt {
namespace cuda {
namespace {

// ---- kernels ----

template <UnaryOp A, class T>
__global__ void __launch_bounds__(kBlock) forward_kernel(const T* x, const T* bias, int64_t n, int64_t c, T* y) {
  KT_GRID_LOOP(i, n) y[i] = T(unary_apply<A, T>(T(x[i] + bias[i % c]), 0.0));
}

// Thread (chunk j, column k): dx over the chunk's rows of column k (G == Add: linear, dx not
// written) and their sum.
template <BinaryOp G, class T>
__global__ void __launch_bounds__(kBlock) chunk_kernel(const T* g, const T* y, int64_t m, int64_t c, int64_t rows,
                                                       int64_t nch, T* dx, double* part) {
  KT_GRID_LOOP(t, nch * c) {
    const int64_t k = t % c, j = t / c, r1 = min(m, (j + 1) * rows);
    double s = 0;
    for (int64_t r = j * rows; r < r1; ++r) {
      const int64_t i = r * c + k;
      if constexpr (G == BinaryOp::Add) {
        s += (double)g[i];
      } else {
        const T d = binary_apply<G, T>(g[i], y[i]);
        dx[i] = d;
        s += (double)d;
      }
    }
    part[t] = s;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) merge_kernel(const double* part, int64_t c, int64_t nch, T* dbias) {
  KT_GRID_LOOP(k, c) {
    double s = 0;
    for (int64_t j = 0; j < nch; ++j) s += part[j * c + k];
    dbias[k] = T(s);
  }
}

// ---- launchers ----

template <UnaryOp A, class T>
void forward_t(int64_t m, int64_t c, const T* x, const T* bias, T* y) {
  forward_kernel<A, T><<<grid_for(m * c), kBlock>>>(x, bias, m * c, c, y);
  KT_LAUNCH_CHECK();
}

template <BinaryOp G, class T>
void backward_t(int64_t m, int64_t c, const T* g, const T* y, T* dx, T* dbias) {
  const int64_t rows = chunk_rows(m, c), nch = (m + rows - 1) / rows;
  DeviceBuffer part(nch * c * sizeof(double));
  chunk_kernel<G, T><<<grid_for(nch * c), kBlock>>>(g, y, m, c, rows, nch, dx, part.as<double>());
  KT_LAUNCH_CHECK();
  merge_kernel<T><<<grid_for(c), kBlock>>>(part.as<double>(), c, nch, dbias);
  KT_LAUNCH_CHECK();
}

}  // namespace

// ---- entries ----

void bias_act(UnaryOp act, DType dt, int64_t m, int64_t c, const void* x, const void* bias, void* y) {
  if (m <= 0 || c <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, with_bias_act(act, [&](auto a) {
    forward_t<decltype(a)::act, T>(m, c, (const T*)x, (const T*)bias, (T*)y);
  }));
}

void bias_act_backward(UnaryOp act, DType dt, int64_t m, int64_t c, const void* g, const void* y, void* dx,
                       void* dbias) {
  if (m <= 0 || c <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, with_bias_act(act, [&](auto a) {
    backward_t<decltype(a)::grad, T>(m, c, (const T*)g, (const T*)y, (T*)dx, (T*)dbias);
  }));
}

}  // namespace cuda
}  // namespace kt
