// 2-D max and average pooling over compact NHWC tensors, and their backward passes written as
// gathers over input pixels (each input gradient sums its covering windows in a fixed order).
// Threads take ranges of pixels; the innermost loops run over channels, contiguous, so they vectorise.
#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

// The first maximum wins; a NaN replaces a number and then stays (as in the reductions).
// Bitwise operators keep the test branch-free, so the channel loop vectorises.
template <class T>
inline bool beats(T v, T best) {
  return (v > best) | ((v != v) & (best == best));
}

template <class T, bool ARG>
void max_pool_t(const PoolGeom& g, T* out, int32_t* arg, const T* in) {
  const int64_t C = g.c;
  parallel_for(g.n * g.oh * g.ow, g.kh * g.kw * C, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t q = t % g.ow, r = (t / g.ow) % g.oh, n = t / (g.ow * g.oh);
      int64_t h0, h1, w0, w1;
      g.rows(r, &h0, &h1);
      g.cols(q, &w0, &w1);
      const T* img = in + n * g.h * g.w * C;
      T* y = out + t * C;
      int32_t* a = ARG ? arg + t * C : nullptr;
      const T* first = img + (h0 * g.w + w0) * C;
      for (int64_t c = 0; c < C; ++c) y[c] = first[c];
      if constexpr (ARG)
        for (int64_t c = 0; c < C; ++c) a[c] = (int32_t)(h0 * g.w + w0);
      for (int64_t i = h0; i < h1; ++i)
        for (int64_t j = i == h0 ? w0 + 1 : w0; j < w1; ++j) {
          const T* p = img + (i * g.w + j) * C;
          const int32_t pos = (int32_t)(i * g.w + j);
          for (int64_t c = 0; c < C; ++c) {
            const bool take = beats(p[c], y[c]);
            y[c] = take ? p[c] : y[c];
            if constexpr (ARG) a[c] = take ? pos : a[c];
          }
        }
    }
  });
}

// The backward passes gather: each input pixel zeroes its gradient, then every window covering it
// (in window order, so the sum order is fixed) adds its share via add(d, offset of the window's
// output row, r, q, flat position of the pixel).
template <class T, class Add>
void pool_backward_gather(const PoolGeom& g, T* dx, Add add) {
  const int64_t C = g.c;
  const int64_t per_pixel = C * ((g.kh + g.sh - 1) / g.sh) * ((g.kw + g.sw - 1) / g.sw);
  parallel_for(g.n * g.h * g.w, per_pixel, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t j = t % g.w, i = (t / g.w) % g.h, n = t / (g.w * g.h);
      int64_t r0, r1, q0, q1;
      g.rows_covering(i, &r0, &r1);
      g.cols_covering(j, &q0, &q1);
      T* d = dx + t * C;
      for (int64_t c = 0; c < C; ++c) d[c] = T(0);
      const int32_t pos = (int32_t)(i * g.w + j);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t q = q0; q < q1; ++q) add(d, ((n * g.oh + r) * g.ow + q) * C, r, q, pos);
    }
  });
}

// Each input pixel adds the gradients of the windows whose maximum it was.
template <class T>
void max_pool_backward_t(const PoolGeom& g, T* dx, const T* dy, const int32_t* arg) {
  const int64_t C = g.c;
  pool_backward_gather(g, dx, [&](T* d, int64_t o, int64_t, int64_t, int32_t pos) {
    const int32_t* a = arg + o;
    const T* gy = dy + o;
    for (int64_t c = 0; c < C; ++c) d[c] += a[c] == pos ? gy[c] : T(0);
  });
}

// Sum of the valid elements (row by row) divided by their count, as TensorFlow and Keras.
template <class T>
void avg_pool_t(const PoolGeom& g, T* out, const T* in) {
  const int64_t C = g.c;
  parallel_for(g.n * g.oh * g.ow, g.kh * g.kw * C, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t q = t % g.ow, r = (t / g.ow) % g.oh, n = t / (g.ow * g.oh);
      int64_t h0, h1, w0, w1;
      g.rows(r, &h0, &h1);
      g.cols(q, &w0, &w1);
      const T* img = in + n * g.h * g.w * C;
      T* y = out + t * C;
      for (int64_t c = 0; c < C; ++c) y[c] = T(0);
      for (int64_t i = h0; i < h1; ++i)
        for (int64_t j = w0; j < w1; ++j) {
          const T* p = img + (i * g.w + j) * C;
          for (int64_t c = 0; c < C; ++c) y[c] += p[c];
        }
      const T cnt = T((h1 - h0) * (w1 - w0));
      for (int64_t c = 0; c < C; ++c) y[c] = y[c] / cnt;
    }
  });
}

template <class T>
void avg_pool_backward_t(const PoolGeom& g, T* dx, const T* dy) {
  const int64_t C = g.c;
  pool_backward_gather(g, dx, [&](T* d, int64_t o, int64_t r, int64_t q, int32_t) {
    const T cnt = T(g.count(r, q));
    const T* gy = dy + o;
    for (int64_t c = 0; c < C; ++c) d[c] += gy[c] / cnt;
  });
}

}  // namespace

void max_pool2d(DType dt, const PoolGeom& g, void* out, int32_t* argmax, const void* in) {
  KT_DISPATCH_FLOAT(dt, T, {
    if (argmax) max_pool_t<T, true>(g, (T*)out, argmax, (const T*)in);
    else max_pool_t<T, false>(g, (T*)out, nullptr, (const T*)in);
  });
}

void max_pool2d_backward(DType dt, const PoolGeom& g, void* dx, const void* dy, const int32_t* argmax) {
  KT_DISPATCH_FLOAT(dt, T, max_pool_backward_t<T>(g, (T*)dx, (const T*)dy, argmax));
}

void avg_pool2d(DType dt, const PoolGeom& g, void* out, const void* in) {
  KT_DISPATCH_FLOAT(dt, T, avg_pool_t<T>(g, (T*)out, (const T*)in));
}

void avg_pool2d_backward(DType dt, const PoolGeom& g, void* dx, const void* dy) {
  KT_DISPATCH_FLOAT(dt, T, avg_pool_backward_t<T>(g, (T*)dx, (const T*)dy));
}

}  // namespace cpu
}  // namespace kt
