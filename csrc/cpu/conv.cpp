// 2-D convolution on the CPU: im2col (NHWC patches) + the BLAS gemm of cpu/matmul.cpp, one
// product per group (the gemm's batch axis walks the groups); 3x3 stride-1 kernels over enough
// channels go to Winograd (cpu/winograd.cpp). The patch matrix of a chunk of
// images is bounded (kChunkBytes), so memory stays small whatever the batch. 1x1 stride-1
// convolutions use the image itself as the patch matrix; short patches (one input channel, a
// few per group) use direct loops instead, depthwise ones cpu/depthwise.cpp. Every sum has a
// fixed order: the
// col2im of the input gradient gathers per input pixel, the kernel gradient adds the chunks'
// products in chunk order.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/depthwise.h"
#include "cpu/parallel.h"
#include "cpu/winograd.h"

namespace kt {
namespace cpu {
namespace {

// Patch-matrix budget per chunk of images: small enough that the patches written by im2col
// (or the gemm) are still in cache when the gemm (or col2im) reads them; 2 MiB measured best
// on the MNIST convnet shapes (1.5x faster than 8 MiB or more).
constexpr int64_t kChunkBytes = 2 << 20;

// Patch rows per chunk at least: small images over many channels (a patch of thousands of
// values) still make gemms of rows enough to pay for packing the kernel.
constexpr int64_t kMinRows = 512;

// Images per chunk: as many as fit the budget, or as make kMinRows rows, at least one. Depends
// on the shape only.
int64_t chunk_images(const ConvShape& s, size_t elem) {
  const int64_t per_image = std::max<int64_t>(1, s.pixels() * s.patch() * (int64_t)elem);
  const int64_t for_rows = (kMinRows + s.pixels() - 1) / std::max<int64_t>(s.pixels(), 1);
  return std::clamp<int64_t>(std::max(kChunkBytes / per_image, for_rows), 1, std::max<int64_t>(s.n, 1));
}

// Patch rows of images [n0, n0 + nimg): row (img, oy, ox) holds [group][ky][kx][cg], zeros
// where the window leaves the image. With one group and undilated columns, a kernel row's
// taps are one contiguous run of kw * c input values.
template <class T>
void im2col(const ConvShape& s, const T* x, T* cols, int64_t n0, int64_t nimg) {
  const int64_t cg = s.cg(), patch = s.patch();
  const bool runs = s.groups == 1 && s.dw == 1;
  parallel_for(nimg * s.oh, s.ow * patch, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = n0 + r / s.oh, oy = r % s.oh;
      T* dst = cols + r * s.ow * patch;
      for (int64_t ox = 0; ox < s.ow; ++ox)
        for (int64_t g = 0; g < s.groups; ++g)
          for (int64_t ky = 0; ky < s.kh; ++ky) {
            const int64_t iy = s.in_y(oy, ky), ix0 = s.in_x(ox, 0);
            const T* src_row = x + ((img * s.h + iy) * s.w) * s.c + g * cg;
            if (runs && iy >= 0 && iy < s.h && ix0 >= 0 && ix0 + s.kw <= s.w) {
              std::memcpy(dst, src_row + ix0 * s.c, s.kw * s.c * sizeof(T));
              dst += s.kw * s.c;
              continue;
            }
            for (int64_t kx = 0; kx < s.kw; ++kx, dst += cg) {
              const int64_t ix = s.in_x(ox, kx);
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) {
                std::fill(dst, dst + cg, T(0));
              } else {
                const T* src = src_row + ix * s.c;
                if (cg == 1) *dst = *src;
                else std::memcpy(dst, src, cg * sizeof(T));
              }
            }
          }
    }
  });
}

// Input gradient of images [n0, n0 + nimg) from their patch-matrix gradient. Each thread owns
// whole input rows; a row adds, per kernel row ky, the patch entries of the output pixels that
// read it, ox descending and kx ascending, so every input value receives its terms in (ky, kx)
// order (the order of the CUDA gather), whatever the threads.
template <class T>
void col2im(const ConvShape& s, const T* dcols, T* dx, int64_t n0, int64_t nimg) {
  const int64_t cg = s.cg(), patch = s.patch();
  parallel_for(nimg * s.h, s.w * s.c * s.kh * s.kw, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / s.h, iy = r % s.h;
      T* row = dx + ((n0 + img) * s.h + iy) * s.w * s.c;
      std::fill(row, row + s.w * s.c, T(0));
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t oy = s.out_y(iy, ky);
        if (oy < 0) continue;
        for (int64_t ox = s.ow - 1; ox >= 0; --ox) {
          const T* src = dcols + ((img * s.oh + oy) * s.ow + ox) * patch + ky * s.kw * cg;
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ix = s.in_x(ox, kx);
            if (ix < 0 || ix >= s.w) continue;
            const T* sk = src + kx * cg;
            T* dst = row + ix * s.c;
            for (int64_t g = 0; g < s.groups; ++g, sk += s.kg(), dst += cg)
              for (int64_t i = 0; i < cg; ++i) dst[i] += sk[i];
          }
        }
      }
    }
  });
}

// ---- direct loops for short patches (kg < kDirectPatch, e.g. a 3x3 kernel over one channel),
// where a gemm with a tiny inner dimension wastes the BLAS kernels. The innermost loops run
// over a group's output channels, contiguous in both the kernel and the output.
constexpr int64_t kDirectPatch = 32;

// Calls f(ky, kx, iy, ix) for the kernel taps of output pixel (oy, ox) that land in the image.
template <class F>
void for_taps(const ConvShape& s, int64_t oy, int64_t ox, F&& f) {
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    const int64_t iy = s.in_y(oy, ky);
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      const int64_t ix = s.in_x(ox, kx);
      if (ix >= 0 && ix < s.w) f(ky, kx, iy, ix);
    }
  }
}

// Output channels per register block of the kernel gradient: 4 AVX2 vectors of floats.
template <class T> constexpr int64_t kBlockOc = 32;

// Q output pixels (xstep input values apart, ostep outputs apart) times B output channels:
// o[q][0, B) = sum over t of x[q * xstep + xo[t]] * w[wo[t] + (0, B)], in t order, the Q * B
// sums in registers, each weight row loaded once for the Q pixels. `omp simd` keeps GCC from
// vectorising the tap loop instead, as an in-order reduction (over ten times slower).
template <class T, int64_t Q, int64_t B>
inline void taps_block(const T* __restrict x, int64_t xstep, const T* __restrict w, const int64_t* xo,
                       const int64_t* wo, int64_t m, T* __restrict o, int64_t ostep) {
  T acc[Q][B];
#pragma GCC unroll 8
  for (int64_t q = 0; q < Q; ++q)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) acc[q][j] = T(0);
  for (int64_t t = 0; t < m; ++t) {
    const T* wr = w + wo[t];
    const T* xr = x + xo[t];
#pragma GCC unroll 8
    for (int64_t q = 0; q < Q; ++q) {
      const T xv = xr[q * xstep];
#pragma omp simd
      for (int64_t j = 0; j < B; ++j) acc[q][j] += xv * wr[j];
    }
  }
#pragma GCC unroll 8
  for (int64_t q = 0; q < Q; ++q)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) o[q * ostep + j] = acc[q][j];
}

// The same for n output channels, any n: blocks of 128, 64 and 32 bytes of channels in
// registers, then the last few summed in place, pixel by pixel. Every sum keeps the t order.
// Inlined into the row loop: a call per block cost 15% at 28x28x1 -> 32.
template <class T, int64_t Q>
[[gnu::always_inline]] inline void taps_channels(const T* x, int64_t xstep, const T* w, const int64_t* xo,
                                                 const int64_t* wo, int64_t m, T* o, int64_t ostep, int64_t n) {
  constexpr int64_t B = 128 / sizeof(T);
  int64_t j = 0;
  for (; j + B <= n; j += B) taps_block<T, Q, B>(x, xstep, w + j, xo, wo, m, o + j, ostep);
  if (j + B / 2 <= n) taps_block<T, Q, B / 2>(x, xstep, w + j, xo, wo, m, o + j, ostep), j += B / 2;
  if (j + B / 4 <= n) taps_block<T, Q, B / 4>(x, xstep, w + j, xo, wo, m, o + j, ostep), j += B / 4;
  for (int64_t q = 0; q < Q && j < n; ++q) {
    T* oq = o + q * ostep;
    for (int64_t k = j; k < n; ++k) oq[k] = T(0);
    for (int64_t t = 0; t < m; ++t) {
      const T xv = x[q * xstep + xo[t]];
      for (int64_t k = j; k < n; ++k) oq[k] += xv * w[wo[t] + k];
    }
  }
}

// Pixels per register block of the direct forward.
constexpr int64_t kBlockPixels = 4;

// The forward's bias_act epilogue (none without a bias), applied in place to output rows while
// they are still in cache.
struct Epilogue {
  DType dt;
  const void* bias;
  UnaryOp act;
  void operator()(void* rows, int64_t m, int64_t oc) const {
    if (bias) bias_act(act, dt, m, oc, rows, bias, rows);
  }
};

template <class T>
void direct_forward(const ConvShape& s, T* out, const T* x, const T* w, const Epilogue& epilogue) {
  constexpr int64_t P = kBlockPixels;
  const int64_t cg = s.cg(), ocg = s.ocg(), xstep = s.sw * s.c;
  int64_t ox_lo, ox_hi;  // output columns whose windows lie inside the image's width
  s.inner_columns(ox_lo, ox_hi);
  parallel_for(s.n * s.oh, s.ow * s.patch() * ocg, [&](int64_t r0, int64_t r1) {
    // A group's (tap, channel) entries, fewer than kg(), in (ky, kx, ci) order: for pixels
    // whose windows lie inside the width those of the kernel rows inside the image, relative
    // to the window (fx, fw); for the others those inside the image (xo, wo).
    int64_t fx[kDirectPatch], fw[kDirectPatch], xo[kDirectPatch], wo[kDirectPatch];
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / s.oh, oy = r % s.oh, iy0 = s.in_y(oy, 0);
      // The first kernel row inside the image is the window's top for the offsets fx.
      int64_t mf = 0, ky0 = -1;
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t iy = iy0 + ky * s.dh;
        if (iy < 0 || iy >= s.h) continue;
        if (ky0 < 0) ky0 = ky;
        for (int64_t kx = 0; kx < s.kw; ++kx)
          for (int64_t ci = 0; ci < cg; ++ci, ++mf) {
            fx[mf] = ((ky - ky0) * s.dh * s.w + kx * s.dw) * s.c + ci;
            fw[mf] = ((ky * s.kw + kx) * cg + ci) * s.oc;
          }
      }
      const T* xrow = x + (img * s.h + (ky0 < 0 ? 0 : iy0 + ky0 * s.dh)) * s.w * s.c;
      T* orow = out + r * s.ow * s.oc;
      // Columns inside the width, P at a time; the last block ends at ox_hi, overlapping
      // the one before (its pixels get the same sums again). Narrower ranges one at a time.
      int64_t ox = ox_lo;
      for (; ox_hi - ox_lo >= P && ox < ox_hi; ox += P) {
        const int64_t ob = std::min(ox, ox_hi - P);
        for (int64_t g = 0; g < s.groups; ++g)
          taps_channels<T, P>(xrow + s.in_x(ob, 0) * s.c + g * cg, xstep, w + g * ocg, fx, fw, mf,
                              orow + ob * s.oc + g * ocg, s.oc, ocg);
      }
      for (; ox < ox_hi; ++ox)
        for (int64_t g = 0; g < s.groups; ++g)
          taps_channels<T, 1>(xrow + s.in_x(ox, 0) * s.c + g * cg, xstep, w + g * ocg, fx, fw, mf,
                              orow + ox * s.oc + g * ocg, s.oc, ocg);
      // Columns whose windows leave the width (padding): the taps inside, pixel by pixel.
      for (ox = 0; ox < s.ow; ++ox) {
        if (ox == ox_lo) ox = ox_hi;
        if (ox >= s.ow) break;
        int64_t m = 0;
        for_taps(s, oy, ox, [&](int64_t ky, int64_t kx, int64_t iy, int64_t ix) {
          for (int64_t ci = 0; ci < cg; ++ci, ++m) {
            xo[m] = ((img * s.h + iy) * s.w + ix) * s.c + ci;
            wo[m] = ((ky * s.kw + kx) * cg + ci) * s.oc;
          }
        });
        for (int64_t g = 0; g < s.groups; ++g)
          taps_channels<T, 1>(x + g * cg, xstep, w + g * ocg, xo, wo, m, orow + ox * s.oc + g * ocg, s.oc, ocg);
      }
      epilogue(orow, s.ow, s.oc);
    }
  });
}

// Input gradient: each input row gathers from the output pixels that read it.
template <class T>
void direct_backward_input(const ConvShape& s, T* dx, const T* gy, const T* w) {
  const int64_t cg = s.cg(), ocg = s.ocg();
  parallel_for(s.n * s.h, s.w * s.patch() * ocg, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t img = r / s.h, iy = r % s.h;
      T* row = dx + r * s.w * s.c;
      std::fill(row, row + s.w * s.c, T(0));
      for (int64_t ky = 0; ky < s.kh; ++ky) {
        const int64_t oy = s.out_y(iy, ky);
        if (oy < 0) continue;
        for (int64_t ix = 0; ix < s.w; ++ix)
          for (int64_t kx = 0; kx < s.kw; ++kx) {
            const int64_t ox = s.out_x(ix, kx);
            if (ox < 0) continue;
            const T* g = gy + ((img * s.oh + oy) * s.ow + ox) * s.oc;
            const T* wt = w + (ky * s.kw + kx) * cg * s.oc;
            for (int64_t gi = 0; gi < s.groups; ++gi)
              for (int64_t ci = 0; ci < cg; ++ci) {
                const T* wr = wt + ci * s.oc + gi * ocg;
                const T* gg = g + gi * ocg;
                T acc = 0;
#pragma omp simd reduction(+ : acc)
                for (int64_t j = 0; j < ocg; ++j) acc += gg[j] * wr[j];
                row[ix * s.c + gi * cg + ci] += acc;
              }
          }
      }
    }
  });
}

// For the K taps (ky, kx0 + k) of a kernel row: p[k * tap_stride + (0, n)] += sum over the
// image's pixels reading the tap of x * gy[0, n), pixels in order. The K taps' sums of a
// full-width block stay in registers: K independent chains of adds hide their latency.
template <class T, int64_t B, int K>
inline void pixels_block(const ConvShape& s, int64_t ky, int64_t kx0, const T* __restrict x,
                         const T* __restrict gy, T* __restrict p, int64_t tap_stride, int64_t n) {
  T acc[K][B];
  for (int k = 0; k < K; ++k)
#pragma omp simd
    for (int64_t j = 0; j < B; ++j) acc[k][j] = T(0);
  for (int64_t oy = 0; oy < s.oh; ++oy) {
    const int64_t iy = s.in_y(oy, ky);
    if (iy < 0 || iy >= s.h) continue;
    for (int64_t ox = 0; ox < s.ow; ++ox) {
      const T* g = gy + (oy * s.ow + ox) * s.oc;
#pragma GCC unroll 4
      for (int k = 0; k < K; ++k) {
        const int64_t ix = s.in_x(ox, kx0 + k);
        if (ix < 0 || ix >= s.w) continue;
        const T xv = x[(iy * s.w + ix) * s.c];
        if (n == B) {
#pragma omp simd
          for (int64_t j = 0; j < B; ++j) acc[k][j] += xv * g[j];
        } else {
          for (int64_t j = 0; j < n; ++j) acc[k][j] += xv * g[j];
        }
      }
    }
  }
  for (int k = 0; k < K; ++k)
    for (int64_t j = 0; j < n; ++j) p[k * tap_stride + j] += acc[k][j];
}

// Kernel taps summed together by the direct kernel gradient.
constexpr int kTapsTogether = 3;

// Kernel gradient: a partial sum per block of images (blocks fixed by the batch size alone),
// the partials then added in block order.
template <class T>
void direct_backward_kernel(const ConvShape& s, T* dw, const T* x, const T* gy) {
  constexpr int64_t B = kBlockOc<T>;
  const int64_t cg = s.cg(), ocg = s.ocg(), wn = s.kg() * s.oc, nb = std::min<int64_t>(s.n, 64);
  std::vector<T> part(nb * wn, T(0));
  parallel_for(nb, (s.n / nb) * s.pixels() * s.patch() * ocg, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t img = s.n * b / nb; img < s.n * (b + 1) / nb; ++img)
        for (int64_t ky = 0; ky < s.kh; ++ky)
          for (int64_t kx = 0; kx < s.kw; kx += kTapsTogether)
            for (int64_t g = 0; g < s.groups; ++g)
              for (int64_t ci = 0; ci < cg; ++ci)
                for (int64_t j0 = 0; j0 < ocg; j0 += B) {
                  const T* xi = x + img * s.h * s.w * s.c + g * cg + ci;
                  const T* gi = gy + img * s.pixels() * s.oc + g * ocg + j0;
                  T* pi = part.data() + b * wn + ((ky * s.kw + kx) * cg + ci) * s.oc + g * ocg + j0;
                  const int64_t n = std::min(B, ocg - j0), stride = cg * s.oc;
                  static_assert(kTapsTogether == 3, "one case per tap count");
                  switch (std::min<int64_t>(kTapsTogether, s.kw - kx)) {
                    case 3: pixels_block<T, B, 3>(s, ky, kx, xi, gi, pi, stride, n); break;
                    case 2: pixels_block<T, B, 2>(s, ky, kx, xi, gi, pi, stride, n); break;
                    default: pixels_block<T, B, 1>(s, ky, kx, xi, gi, pi, stride, n);
                  }
                }
  });
  parallel_for(wn, nb, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      T acc = 0;
      for (int64_t b = 0; b < nb; ++b) acc += part[b * wn + e];
      dw[e] = acc;
    }
  });
}

// out[m, oc] = patches[m, patch] @ w, group by group.
template <class T>
void gemm_forward(DType dt, const ConvShape& s, int64_t m, const T* cols, int64_t ld_cols, const T* w, T* out) {
  gemm(dt, false, false, m, s.ocg(), s.kg(), cols, ld_cols, s.kg(), w, s.oc, s.ocg(), out, s.oc, s.ocg(), s.groups);
}

template <class T>
void forward_t(DType dt, const ConvShape& s, T* out, const T* x, const T* w, const Epilogue& epilogue) {
  if (s.pointwise()) {
    gemm_forward(dt, s, s.n * s.pixels(), x, s.c, w, out);
    return epilogue(out, s.n * s.pixels(), s.oc);
  }
  if (depthwise_fits(s)) return depthwise_forward(dt, s, out, x, w, epilogue.bias, epilogue.act);
  if (s.kg() < kDirectPatch) return direct_forward(s, out, x, w, epilogue);
  if (winograd_fits(s)) return winograd_forward(dt, s, out, x, w, epilogue.bias, epilogue.act);
  const int64_t chunk = chunk_images(s, sizeof(T)), chunks = (s.n + chunk - 1) / chunk;
  over_items<T>(chunks, chunk * s.pixels() * s.patch(), [&](int64_t c, T* cols) {
    const int64_t n0 = c * chunk, nimg = std::min(chunk, s.n - n0);
    T* o = out + n0 * s.pixels() * s.oc;
    im2col(s, x, cols, n0, nimg);
    gemm_forward(dt, s, nimg * s.pixels(), cols, s.patch(), w, o);
    epilogue(o, nimg * s.pixels(), s.oc);
  });
}

template <class T>
void backward_input_t(DType dt, const ConvShape& s, T* dx, const T* gy, const T* w) {
  // dpatches[m, group block] = gy[m, group's outputs] @ w_group^T
  auto product = [&](int64_t m, const T* g, T* dcols, int64_t ld) {
    gemm(dt, false, true, m, s.kg(), s.ocg(), g, s.oc, s.ocg(), w, s.oc, s.ocg(), dcols, ld, s.kg(), s.groups);
  };
  if (s.pointwise()) return product(s.n * s.pixels(), gy, dx, s.c);
  if (depthwise_fits(s)) return depthwise_backward_input(dt, s, dx, gy, w);
  if (s.kg() < kDirectPatch) return direct_backward_input(s, dx, gy, w);
  if (winograd_fits(s)) return winograd_backward_input(dt, s, dx, gy, w);
  const int64_t chunk = chunk_images(s, sizeof(T)), chunks = (s.n + chunk - 1) / chunk;
  over_items<T>(chunks, chunk * s.pixels() * s.patch(), [&](int64_t c, T* dcols) {
    const int64_t n0 = c * chunk, nimg = std::min(chunk, s.n - n0);
    product(nimg * s.pixels(), gy + n0 * s.pixels() * s.oc, dcols, s.patch());
    col2im(s, dcols, dx, n0, nimg);
  });
}

template <class T>
void backward_kernel_t(DType dt, const ConvShape& s, T* dw, const T* x, const T* gy) {
  // dw_group[kg, ocg] = patches_group^T @ gy_group. The chunks form a few fixed runs
  // (set by the shape alone); each run sums its chunks' products in order into its partial,
  // and the partials are added in run order.
  auto product = [&](int64_t m, const T* cols, int64_t ld, const T* g, T* dst, bool add) {
    gemm_add(dt, true, false, s.kg(), s.ocg(), m, cols, ld, s.kg(), g, s.oc, s.ocg(), dst, s.oc, s.ocg(), s.groups,
             add);
  };
  const int64_t wn = s.kg() * s.oc;
  if (s.pointwise()) return product(s.n * s.pixels(), x, s.c, gy, dw, false);
  if (depthwise_fits(s)) return depthwise_backward_kernel(dt, s, dw, x, gy);
  if (s.kg() < kDirectPatch) return direct_backward_kernel(s, dw, x, gy);
  if (winograd_fits(s)) return winograd_backward_kernel(dt, s, dw, x, gy);
  const int64_t chunk = chunk_images(s, sizeof(T)), chunks = (s.n + chunk - 1) / chunk;
  const int64_t parts = sum_parts_count(chunks, wn * (int64_t)sizeof(T)), cols_n = chunk * s.pixels() * s.patch();
  auto partial = scratch<T>(parts * wn);
  over_items<T>(parts, cols_n, [&](int64_t p, T* cols) {
    const int64_t c0 = chunks * p / parts, c1 = chunks * (p + 1) / parts;
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t n0 = c * chunk, nimg = std::min(chunk, s.n - n0);
      im2col(s, x, cols, n0, nimg);
      product(nimg * s.pixels(), cols, s.patch(), gy + n0 * s.pixels() * s.oc, partial.get() + p * wn, c > c0);
    }
  });
  sum_parts(partial.get(), parts, wn, wn, dw);
}

}  // namespace

void conv2d_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                    UnaryOp act) {
  KT_DISPATCH_FLOAT(dt, T, forward_t<T>(dt, s, (T*)out, (const T*)x, (const T*)w, Epilogue{dt, bias, act}));
}

void conv2d_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, backward_input_t<T>(dt, s, (T*)dx, (const T*)gy, (const T*)w));
}

void conv2d_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy) {
  KT_DISPATCH_FLOAT(dt, T, backward_kernel_t<T>(dt, s, (T*)dw, (const T*)x, (const T*)gy));
}

}  // namespace cpu
}  // namespace kt
