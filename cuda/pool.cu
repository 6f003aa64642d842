// 2-D max and average pooling over compact NHWC tensors and their backward gathers. One thread
// per output (forward) or per input element (backward), channels fastest so that a warp reads
// contiguous memory; each thread runs the CPU's loop in the CPU's order, with no atomics.
#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

// ---- device functions ----

// The first maximum wins; a NaN replaces a number and then stays (as on the CPU).
template <class T>
__device__ __forceinline__ bool beats(T v, T best) {
  return v > best || (v != v && best == best);
}

// Splits a linear NHWC index of a tensor with spatial size (hh, ww) into (n, row, col, channel).
struct Pixel {
  int64_t n, r, q, c;
};
__device__ __forceinline__ Pixel split(int64_t t, int64_t hh, int64_t ww, int64_t cc) {
  Pixel p;
  p.c = t % cc;
  t /= cc;
  p.q = t % ww;
  t /= ww;
  p.r = t % hh;
  p.n = t / hh;
  return p;
}

// ---- kernels ----

template <class T, bool ARG>
__global__ void __launch_bounds__(kBlock) max_pool_kernel(PoolGeom g, T* out, int32_t* arg, const T* in,
                                                          int64_t total) {
  KT_GRID_LOOP(t, total) {
    const Pixel o = split(t, g.oh, g.ow, g.c);
    int64_t h0, h1, w0, w1;
    g.rows(o.r, &h0, &h1);
    g.cols(o.q, &w0, &w1);
    const T* img = in + o.n * g.h * g.w * g.c + o.c;
    T best = img[(h0 * g.w + w0) * g.c];
    int32_t at = (int32_t)(h0 * g.w + w0);
    for (int64_t i = h0; i < h1; ++i)
      for (int64_t j = i == h0 ? w0 + 1 : w0; j < w1; ++j) {
        const T v = img[(i * g.w + j) * g.c];
        if (beats(v, best)) {
          best = v;
          at = (int32_t)(i * g.w + j);
        }
      }
    out[t] = best;
    if constexpr (ARG) arg[t] = at;
  }
}

// Each input element adds the gradients of the windows whose maximum it was, in window order.
template <class T>
__global__ void __launch_bounds__(kBlock) max_pool_backward_kernel(PoolGeom g, T* dx, const T* dy,
                                                                   const int32_t* arg, int64_t total) {
  KT_GRID_LOOP(t, total) {
    const Pixel p = split(t, g.h, g.w, g.c);
    int64_t r0, r1, q0, q1;
    g.rows_covering(p.r, &r0, &r1);
    g.cols_covering(p.q, &q0, &q1);
    const int32_t pos = (int32_t)(p.r * g.w + p.q);
    T acc = T(0);
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t o = ((p.n * g.oh + r) * g.ow + q) * g.c + p.c;
        acc += arg[o] == pos ? dy[o] : T(0);
      }
    dx[t] = acc;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) avg_pool_kernel(PoolGeom g, T* out, const T* in, int64_t total) {
  KT_GRID_LOOP(t, total) {
    const Pixel o = split(t, g.oh, g.ow, g.c);
    int64_t h0, h1, w0, w1;
    g.rows(o.r, &h0, &h1);
    g.cols(o.q, &w0, &w1);
    const T* img = in + o.n * g.h * g.w * g.c + o.c;
    T acc = T(0);
    for (int64_t i = h0; i < h1; ++i)
      for (int64_t j = w0; j < w1; ++j) acc += img[(i * g.w + j) * g.c];
    out[t] = acc / T((h1 - h0) * (w1 - w0));
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) avg_pool_backward_kernel(PoolGeom g, T* dx, const T* dy, int64_t total) {
  KT_GRID_LOOP(t, total) {
    const Pixel p = split(t, g.h, g.w, g.c);
    int64_t r0, r1, q0, q1;
    g.rows_covering(p.r, &r0, &r1);
    g.cols_covering(p.q, &q0, &q1);
    T acc = T(0);
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t q = q0; q < q1; ++q) acc += dy[((p.n * g.oh + r) * g.ow + q) * g.c + p.c] / T(g.count(r, q));
    dx[t] = acc;
  }
}

}  // namespace

// ---- entries (launchers) ----

void max_pool2d(DType dt, const PoolGeom& g, void* out, int32_t* argmax, const void* in) {
  const int64_t total = g.n * g.oh * g.ow * g.c;
  if (total <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    if (argmax) max_pool_kernel<T, true><<<grid_for(total), kBlock>>>(g, (T*)out, argmax, (const T*)in, total);
    else max_pool_kernel<T, false><<<grid_for(total), kBlock>>>(g, (T*)out, nullptr, (const T*)in, total);
    KT_LAUNCH_CHECK();
  });
}

void max_pool2d_backward(DType dt, const PoolGeom& g, void* dx, const void* dy, const int32_t* argmax) {
  const int64_t total = g.n * g.h * g.w * g.c;
  if (total <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    max_pool_backward_kernel<T><<<grid_for(total), kBlock>>>(g, (T*)dx, (const T*)dy, argmax, total);
    KT_LAUNCH_CHECK();
  });
}

void avg_pool2d(DType dt, const PoolGeom& g, void* out, const void* in) {
  const int64_t total = g.n * g.oh * g.ow * g.c;
  if (total <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    avg_pool_kernel<T><<<grid_for(total), kBlock>>>(g, (T*)out, (const T*)in, total);
    KT_LAUNCH_CHECK();
  });
}

void avg_pool2d_backward(DType dt, const PoolGeom& g, void* dx, const void* dy) {
  const int64_t total = g.n * g.h * g.w * g.c;
  if (total <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    avg_pool_backward_kernel<T><<<grid_for(total), kBlock>>>(g, (T*)dx, (const T*)dy, total);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
