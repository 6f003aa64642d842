// Depthwise convolution on the CPU (one input channel per group, `mult` outputs per channel):
// output channel j reads input channel j / mult, so every loop runs over the output channels,
// contiguous in NHWC images and in the kernel, and vectorises. For mult > 1 each input row is
// first widened to the output channels (value of channel j / mult at j). Each output row, input
// row or kernel-gradient part is summed over the taps in (ky, kx) order, pixels in order. At
// stride 1 with one output per channel, the input gradient is the forward of the turned kernel.
#include "cpu/depthwise.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

// acc[0, oc) += a[0, oc) * b[0, oc)
template <class T>
inline void fma_row(T* __restrict acc, const T* __restrict a, const T* __restrict b, int64_t oc) {
#pragma omp simd
  for (int64_t j = 0; j < oc; ++j) acc[j] += a[j] * b[j];
}

// Input row (img, iy) over the output channels: the row itself when mult is 1, else widened
// into buf.
template <int M, class T>
void widen(const T* __restrict row, int64_t n, T* __restrict buf) {  // M copies of each value
#pragma omp simd
  for (int64_t e = 0; e < n; ++e)
#pragma GCC unroll 4
    for (int m = 0; m < M; ++m) buf[e * M + m] = row[e];
}

template <class T>
const T* wide_row(const ConvShape& s, const T* x, int64_t img, int64_t iy, T* buf) {
  const T* row = x + (img * s.h + iy) * s.w * s.c;
  const int64_t mult = s.ocg(), n = s.w * s.c;
  switch (mult) {
    case 1: return row;
    case 2: widen<2>(row, n, buf); break;
    case 3: widen<3>(row, n, buf); break;
    case 4: widen<4>(row, n, buf); break;
    default:
      for (int64_t e = 0; e < n; ++e) std::fill_n(buf + e * mult, mult, row[e]);
  }
  return buf;
}

// The output columns [lo, hi) whose input column ix = in_x(ox, kx) lies inside the image.
inline void columns_inside(const ConvShape& s, int64_t kx, int64_t& lo, int64_t& hi) {
  lo = 0;
  while (lo < s.ow && s.in_x(lo, kx) < 0) ++lo;
  hi = lo;
  while (hi < s.ow && s.in_x(hi, kx) < s.w) ++hi;
}

// Register blocks of the forward: 64 bytes of channels times kDwPixels output pixels.
template <class T>
constexpr int64_t kDwChannels = 64 / sizeof(T);
constexpr int64_t kDwPixels = 4;

// o[q * ostep + (0, B)] = sum over taps t of xt[t][q * xstep + (0, B)] * wt[t][0, B), q < Q, taps
// in order, the Q x B sums in registers (each weight vector loaded once for the Q pixels).
template <class T, int64_t Q, int64_t B>
inline void dw_block(const T* const* xt, const T* const* wt, int64_t taps, int64_t xstep, T* o, int64_t ostep) {
  T acc[Q][B];
#pragma GCC unroll 4
  for (int64_t q = 0; q < Q; ++q)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) acc[q][j] = T(0);
  for (int64_t t = 0; t < taps; ++t) {
    const T* __restrict xp = xt[t];
    const T* __restrict wp = wt[t];
#pragma GCC unroll 4
    for (int64_t q = 0; q < Q; ++q)
#pragma omp simd
      for (int64_t j = 0; j < B; ++j) acc[q][j] += xp[q * xstep + j] * wp[j];
  }
#pragma GCC unroll 4
  for (int64_t q = 0; q < Q; ++q)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) o[q * ostep + j] = acc[q][j];
}

// Per-thread buffers of the forward: widened input rows (mult > 1), and per tap its input row,
// the tap's column offset from output column 0, and its weights.
template <class T>
struct RowTaps {
  std::vector<T> wide;
  std::vector<const T*> row, w, xs, ws;
  std::vector<int64_t> off, ky;
  explicit RowTaps(const ConvShape& s)
      : wide(s.ocg() > 1 ? s.kh * s.w * s.oc : 0), row(s.kh * s.kw), w(s.kh * s.kw), xs(s.kh * s.kw),
        ws(s.kh * s.kw), off(s.kh * s.kw), ky(s.kh * s.kw) {}
};

// Output row r: pixels whose windows lie inside the width in register blocks (full channel
// blocks), the rest (edge pixels, the last channels) tap by tap into the zeroed row. Every
// output sums its taps in (ky, kx) order either way.
template <class T>
void forward_row(const ConvShape& s, int64_t r, T* orow, const T* x, const T* w, RowTaps<T>& b) {
  constexpr int64_t B = kDwChannels<T>, Q = kDwPixels;
  const int64_t oc = s.oc, img = r / s.oh, oy = r % s.oh, xstep = s.sw * oc;
  int64_t taps = 0, nrows = 0;
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    const int64_t iy = s.in_y(oy, ky);
    if (iy < 0 || iy >= s.h) continue;
    const T* xr = wide_row(s, x, img, iy, b.wide.data() + (s.ocg() > 1 ? nrows++ * s.w * oc : 0));
    for (int64_t kx = 0; kx < s.kw; ++kx, ++taps) {
      b.row[taps] = xr, b.off[taps] = s.in_x(0, kx) * oc, b.ky[taps] = ky;
      b.w[taps] = w + (ky * s.kw + kx) * oc;
    }
  }
  int64_t lo, hi;
  s.inner_columns(lo, hi);
  const int64_t jb = oc / B * B;  // channels in register blocks
  std::fill(orow, orow + s.ow * oc, T(0));
  auto block = [&](int64_t ox, auto q_tag) {
    constexpr int64_t QQ = decltype(q_tag)::value;
    for (int64_t j0 = 0; j0 < jb; j0 += B) {
      for (int64_t t = 0; t < taps; ++t) b.xs[t] = b.row[t] + (b.off[t] + ox * xstep + j0), b.ws[t] = b.w[t] + j0;
      dw_block<T, QQ, B>(b.xs.data(), b.ws.data(), taps, xstep, orow + ox * oc + j0, oc);
    }
  };
  int64_t ox = lo;
  for (; ox + Q <= hi; ox += Q) block(ox, std::integral_constant<int64_t, Q>{});
  for (; ox < hi; ++ox) block(ox, std::integral_constant<int64_t, 1>{});
  // Tap by tap: every channel of the edge pixels, the channels past jb of the inner ones.
  for (int64_t t = 0; t < taps; ++t) {
    const int64_t kx = t % s.kw;
    int64_t clo, chi;
    columns_inside(s, kx, clo, chi);
    for (int64_t c = clo; c < chi; ++c) {
      const int64_t j0 = c >= lo && c < hi ? jb : 0;
      if (j0 < oc) fma_row(orow + c * oc + j0, b.row[t] + s.in_x(c, kx) * oc + j0, b.w[t] + j0, oc - j0);
    }
  }
}

template <class T>
void forward_t(const ConvShape& s, T* out, const T* x, const T* w, DType dt, const void* bias, UnaryOp act) {
  const int64_t oc = s.oc;
  parallel_for(s.n * s.oh, s.ow * s.kh * s.kw * oc, [&](int64_t r0, int64_t r1) {
    RowTaps<T> buffers(s);
    for (int64_t r = r0; r < r1; ++r) {
      T* orow = out + r * s.ow * oc;
      forward_row(s, r, orow, x, w, buffers);
      if (bias) bias_act(act, dt, s.ow, oc, orow, bias, orow);  // the epilogue, while the row is in cache
    }
  });
}

template <class T>
void backward_input_t(const ConvShape& s, T* dx, const T* gy, const T* w) {
  const int64_t oc = s.oc, mult = s.ocg();
  if (s.sh == 1 && s.sw == 1 && mult == 1) {
    // Stride 1, one output per channel: dx is the forward over gy of the turned kernel, padded so
    // that output row iy reads gy rows iy + pt - ky * dh.
    std::vector<T> turned(s.kh * s.kw * oc);
    for (int64_t k = 0; k < s.kh * s.kw; ++k)
      std::copy(w + (s.kh * s.kw - 1 - k) * oc, w + (s.kh * s.kw - k) * oc, turned.begin() + k * oc);
    ConvShape b = s;
    b.h = s.oh, b.w = s.ow, b.oh = s.h, b.ow = s.w;
    b.pt = (s.kh - 1) * s.dh - s.pt, b.pl = (s.kw - 1) * s.dw - s.pl;
    const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
    return forward_t(b, dx, gy, turned.data(), dt, nullptr, UnaryOp::Copy);  // no epilogue
  }
  parallel_for(s.n * s.h, s.w * s.kh * s.kw * oc, [&](int64_t r0, int64_t r1) {
    std::vector<T> wide(s.w * oc);  // the row's gradient over the output channels
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / s.h, iy = r % s.h;
      std::fill(wide.begin(), wide.end(), T(0));
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t oy = s.out_y(iy, ky);
        if (oy < 0) continue;
        const T* grow = gy + (img * s.oh + oy) * s.ow * oc;
        for (int64_t kx = 0; kx < s.kw; ++kx) {
          const T* wk = w + (ky * s.kw + kx) * oc;
          for (int64_t ix = 0; ix < s.w; ++ix) {
            const int64_t ox = s.out_x(ix, kx);
            if (ox >= 0) fma_row(wide.data() + ix * oc, grow + ox * oc, wk, oc);
          }
        }
      }
      T* row = dx + r * s.w * s.c;
      for (int64_t e = 0; e < s.w * s.c; ++e) {  // input channel e: the sum of its mult outputs
        T v = wide[e * mult];
        for (int64_t m = 1; m < mult; ++m) v += wide[e * mult + m];
        row[e] = v;
      }
    }
  });
}

// dst[k * oc + (0, B)] += sum over output columns [lo, hi) of x at tap kx0 + k times gy, for the
// K taps of one kernel row from kx0: the K x B sums in registers over the row, then added.
template <class T, int K, int64_t B>
inline void kernel_row_block(const ConvShape& s, const T* xr, const T* grow, int64_t kx0, int64_t lo, int64_t hi,
                             T* dst) {
  const int64_t oc = s.oc, tap = s.dw * oc;
  T acc[K][B];
  for (int k = 0; k < K; ++k)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) acc[k][j] = T(0);
  for (int64_t ox = lo; ox < hi; ++ox) {
    const T* __restrict g = grow + ox * oc;
    const T* __restrict xp = xr + s.in_x(ox, kx0) * oc;
#pragma GCC unroll 3
    for (int k = 0; k < K; ++k)
#pragma omp simd
      for (int64_t j = 0; j < B; ++j) acc[k][j] += xp[k * tap + j] * g[j];
  }
  for (int k = 0; k < K; ++k)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) dst[k * oc + j] += acc[k][j];
}

// Kernel gradient: a partial per fixed part of the output rows (parts set by the shape alone),
// the parts then added in order. Per row and kernel row, the columns whose taps all lie inside
// the width go in register blocks (3 taps x 64 bytes of channels), the rest tap by tap.
template <class T>
void backward_kernel_t(const ConvShape& s, T* dw, const T* x, const T* gy) {
  constexpr int64_t B = kDwChannels<T>;
  const int64_t oc = s.oc, wn = s.kh * s.kw * oc, rows = s.n * s.oh, jb = oc / B * B;
  const int64_t parts = sum_parts_count(rows, wn * (int64_t)sizeof(T));
  std::vector<T> part(parts * wn, T(0));
  int64_t lo, hi;
  s.inner_columns(lo, hi);
  parallel_for(parts, (rows / parts) * s.ow * wn, [&](int64_t p0, int64_t p1) {
    std::vector<T> buf(s.ocg() > 1 ? s.w * oc : 0);
    for (int64_t p = p0; p < p1; ++p)
      for (int64_t r = rows * p / parts; r < rows * (p + 1) / parts; ++r) {
        const int64_t img = r / s.oh, oy = r % s.oh;
        const T* grow = gy + r * s.ow * oc;
        for (int64_t ky = 0; ky < s.kh; ++ky) {
          const int64_t iy = s.in_y(oy, ky);
          if (iy < 0 || iy >= s.h) continue;
          const T* xr = wide_row(s, x, img, iy, buf.data());
          T* prow = part.data() + p * wn + ky * s.kw * oc;
          for (int64_t kx0 = 0; kx0 < s.kw && lo < hi; kx0 += 3)
            for (int64_t j0 = 0; j0 < jb; j0 += B) {
              T* dst = prow + kx0 * oc + j0;
              switch (std::min<int64_t>(3, s.kw - kx0)) {
                case 3: kernel_row_block<T, 3, B>(s, xr + j0, grow + j0, kx0, lo, hi, dst); break;
                case 2: kernel_row_block<T, 2, B>(s, xr + j0, grow + j0, kx0, lo, hi, dst); break;
                default: kernel_row_block<T, 1, B>(s, xr + j0, grow + j0, kx0, lo, hi, dst);
              }
            }
          for (int64_t kx = 0; kx < s.kw; ++kx) {  // tap by tap: edge columns, the channels past jb
            T* acc = prow + kx * oc;
            int64_t clo, chi;
            columns_inside(s, kx, clo, chi);
            for (int64_t c = clo; c < chi; ++c) {
              const int64_t j0 = c >= lo && c < hi ? jb : 0;
              if (j0 < oc) fma_row(acc + j0, xr + s.in_x(c, kx) * oc + j0, grow + c * oc + j0, oc - j0);
            }
          }
        }
      }
  });
  sum_parts(part.data(), parts, wn, wn, dw);
}

}  // namespace

bool depthwise_fits(const ConvShape& s) { return s.groups > 1 && s.cg() == 1; }

void depthwise_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                       UnaryOp act) {
  KT_DISPATCH_FLOAT(dt, T, forward_t<T>(s, (T*)out, (const T*)x, (const T*)w, dt, bias, act));
}

void depthwise_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, backward_input_t<T>(s, (T*)dx, (const T*)gy, (const T*)w));
}

void depthwise_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy) {
  KT_DISPATCH_FLOAT(dt, T, backward_kernel_t<T>(s, (T*)dw, (const T*)x, (const T*)gy));
}

}  // namespace cpu
}  // namespace kt
