// Winograd F(4x4, 3x3) (Lavin & Gray 2015, interpolation points 0, 1, -1, 2, -2, infinity) for
// 3x3 stride-1 convolutions on the CPU. Each 4x4 block of output pixels ("tile") reads a 6x6
// input window; in the transformed domain the 3x3 kernel becomes 36 elementwise products, so a
// tile costs 36 channel-by-channel products (one gemm per position, over a block of tiles)
// instead of 144: 4x fewer flops than im2col. The transforms are a few adds per value.
//   forward:       Y  = A^T [ (G g G^T) . (B^T d B) ] A
//   input grad:    the forward of the output gradient with the kernel turned 180 degrees and
//                  its channel axes swapped ("full" padding)
//   kernel grad:   dg = G^T [ sum over tiles (B^T d B) . (A dY A^T) ] G
// Tiles are grouped in blocks set by the shape alone; every sum has a fixed order (the kernel
// gradient adds its blocks in order within fixed parts, then the parts in order), so results
// do not depend on the thread count.
#include "cpu/winograd.h"

#include <algorithm>
#include <memory>

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "bias_act_codes.h"
#include "scalar_ops.h"

namespace kt {
namespace cpu {
namespace {

constexpr int64_t kTile = 4;            // output pixels per tile side
constexpr int64_t kWin = kTile + 2;     // input pixels per window side
constexpr int64_t kPos = kWin * kWin;   // transformed positions per tile

// Transformed tiles per block: input and output planes (all positions) about 1.5 MiB, so a
// block stays in the core's L2 cache from its transform through the gemms to the next one.
// Wide layers, where that is under kMinBlock tiles, take kWideBlock instead: their gemms then
// have rows enough, and the transformed kernel is read (the kernel gradient accumulated) once
// per many tiles, which measured faster than staying in L2.
constexpr int64_t kBlockBytes = 3 << 19;
constexpr int64_t kMinBlock = 64, kWideBlock = 128;

// ---- the 1-D transforms, on the values along one column or row of a tile ----

template <class T, int N>
struct Vals {
  T v[N];
};

template <class T>
inline Vals<T, 6> bt(const Vals<T, 6>& d) {  // B^T d
  const T* x = d.v;
  return {{T(4) * x[0] - T(5) * x[2] + x[4], x[3] + x[4] - T(4) * (x[1] + x[2]), T(4) * (x[1] - x[2]) + x[4] - x[3],
           T(2) * (x[3] - x[1]) + x[4] - x[2], T(2) * (x[1] - x[3]) + x[4] - x[2], T(4) * x[1] - T(5) * x[3] + x[5]}};
}

template <class T>
inline Vals<T, 4> at(const Vals<T, 6>& m) {  // A^T m
  const T* x = m.v;
  const T p1 = x[1] + x[2], m1 = x[1] - x[2], p2 = x[3] + x[4], m2 = x[3] - x[4];
  return {{x[0] + p1 + p2, m1 + T(2) * m2, p1 + T(4) * p2, m1 + T(8) * m2 + x[5]}};
}

template <class T>
inline Vals<T, 6> a(const Vals<T, 4>& g) {  // A g
  const T* x = g.v;
  const T e = x[0] + x[2], o = x[1] + x[3], e4 = x[0] + T(4) * x[2], o8 = T(2) * x[1] + T(8) * x[3];
  return {{x[0], e + o, e - o, e4 + o8, e4 - o8, x[3]}};
}

template <class T>
inline Vals<T, 6> gk(const Vals<T, 3>& g) {  // G g
  const T* x = g.v;
  const T s = x[0] + x[2];
  const T q = T(0.25), r6 = T(1) / T(6), r24 = T(1) / T(24);
  return {{x[0] * q, -(s + x[1]) * r6, (x[1] - s) * r6, (x[0] + T(2) * x[1] + T(4) * x[2]) * r24,
           (x[0] - T(2) * x[1] + T(4) * x[2]) * r24, x[2]}};
}

template <class T>
inline Vals<T, 3> gt(const Vals<T, 6>& q) {  // G^T q
  const T* x = q.v;
  return {{x[0] / T(4) - (x[1] + x[2]) / T(6) + (x[3] + x[4]) / T(24),
           (x[2] - x[1]) / T(6) + (x[3] - x[4]) / T(12),
           (x[3] + x[4]) / T(6) - (x[1] + x[2]) / T(6) + x[5]}};
}

// f on each column of the R x R block x, then on each row of the result: an S x S block.
// Unrolled, so that GCC keeps it in registers and vectorises the channel loop around it.
template <int S, int R, class T, class F>
inline Vals<Vals<T, S>, S> both_ways(const Vals<Vals<T, R>, R>& x, F f) {
  Vals<Vals<T, S>, R> cols;
#pragma GCC unroll 6
  for (int b = 0; b < R; ++b) {
    Vals<T, R> col;
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) col.v[r] = x.v[r].v[b];
    cols.v[b] = f(col);
  }
  Vals<Vals<T, S>, S> out;
#pragma GCC unroll 6
  for (int r = 0; r < S; ++r) {
    Vals<T, R> row;
#pragma GCC unroll 6
    for (int b = 0; b < R; ++b) row.v[b] = cols.v[b].v[r];
    out.v[r] = f(row);
  }
  return out;
}

// ---- tiles ----

struct Tiling {
  int64_t tx, per_image, total, block, blocks;
};

// Tiles cover the output of s in 4x4 steps, image by image; tile t of image img starts at
// output row 4 * (t / tx), column 4 * (t % tx).
Tiling tiling(const ConvShape& s, size_t elem) {
  Tiling tl;
  tl.tx = (s.ow + kTile - 1) / kTile;
  tl.per_image = (s.oh + kTile - 1) / kTile * tl.tx;
  tl.total = s.n * tl.per_image;
  const int64_t per_tile = kPos * (s.c + s.oc) * (int64_t)elem;
  const int64_t fit = kBlockBytes / per_tile;
  tl.block = std::clamp<int64_t>(fit >= kMinBlock ? fit : kWideBlock, 1, std::max<int64_t>(tl.total, 1));
  tl.blocks = (tl.total + tl.block - 1) / tl.block;
  return tl;
}

// The first pixel of tile t's block in an (n, rows, cols, ch) image whose tile grid starts at
// (-top, -left), and its place: in place when `size` x `size` pixels fit, else gathered into
// buf (zeros outside the image; rows `size` pixels apart). Returns the row distance.
template <class T>
int64_t block_at(const Tiling& tl, int64_t t, int64_t rows, int64_t cols, int64_t ch, int64_t top, int64_t left,
                 int64_t size, const T* img, T* buf, const T** first) {
  const int64_t n = t / tl.per_image, r = t % tl.per_image;
  const int64_t y0 = r / tl.tx * kTile - top, x0 = r % tl.tx * kTile - left;
  const int64_t base = ((n * rows + y0) * cols + x0) * ch;  // may lie outside: offsets, not pointers
  if (y0 >= 0 && y0 + size <= rows && x0 >= 0 && x0 + size <= cols) {
    *first = img + base;
    return cols * ch;
  }
  for (int64_t a = 0; a < size; ++a)
    for (int64_t b = 0; b < size; ++b) {
      T* dst = buf + (a * size + b) * ch;
      const bool in = y0 + a >= 0 && y0 + a < rows && x0 + b >= 0 && x0 + b < cols;
      const T* src = in ? img + base + (a * cols + b) * ch : nullptr;
      if (in) std::copy(src, src + ch, dst);
      else std::fill(dst, dst + ch, T(0));
    }
  *first = buf;
  return size * ch;
}

// U[pos][i][j] = (G g G^T)[pos] for the 3x3 kernel g from input channel i to output channel j
// of w (3, 3, cin, cout); with `flip`, w is (3, 3, cout, cin) and g is its 180-degree turn.
template <class T>
void transform_kernel(const T* w, int64_t cin, int64_t cout, bool flip, T* U) {
  const int64_t plane = cin * cout;
  std::unique_ptr<T[]> turned;
  if (flip) {  // w2[k][i][j] = w[8 - k][j][i]: then the plain transform
    turned = scratch<T>(9 * plane);
    parallel_for(9 * cin, cout, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < cout; ++j) turned[r * cout + j] = w[((8 - r / cin) * cout + j) * cin + r % cin];
    });
    w = turned.get();
  }
  parallel_for(cin, 256 * cout, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const T* __restrict wi = w + i * cout;
      T* __restrict u = U + i * cout;
#pragma omp simd
      for (int64_t j = 0; j < cout; ++j) {
        Vals<Vals<T, 3>, 3> g;
#pragma GCC unroll 9
        for (int k = 0; k < 9; ++k) g.v[k / 3].v[k % 3] = wi[k * plane + j];
        const auto t = both_ways<6>(g, [](const Vals<T, 3>& v) { return gk(v); });
#pragma GCC unroll 36
        for (int k = 0; k < kPos; ++k) u[k * plane + j] = t.v[k / kWin].v[k % kWin];
      }
    }
  });
}

// The transforms below split their tiles over the threads when called outside a parallel
// region (a convolution of a block or two); each range gathers its edge tiles in its own buffer.

// P[pos][i][ch] = (F p F^T)[pos] for the R x R pixel blocks p of tiles t0 + i, i < nt, in an
// (n, rows, cols, ch) image whose tile grid starts at (-top, -left), zeros outside the image;
// f is the 1-D transform F (R values to 6).
template <int R, class T, class F>
void transform_blocks(const Tiling& tl, int64_t rows, int64_t cols, int64_t ch, int64_t top, int64_t left,
                      const T* img, int64_t t0, int64_t nt, F f, T* P) {
  const int64_t plane = nt * ch;
  parallel_for(nt, kPos * ch, [&](int64_t i0, int64_t i1) {
    auto buf = scratch<T>(R * R * ch);  // edge tiles only; block_at writes every value it reads
    for (int64_t i = i0; i < i1; ++i) {
      const T* first;
      const int64_t row = block_at(tl, t0 + i, rows, cols, ch, top, left, R, img, buf.get(), &first);
      const T* __restrict src = first;
      T* __restrict dst = P + i * ch;
#pragma omp simd
      for (int64_t c = 0; c < ch; ++c) {
        Vals<Vals<T, R>, R> block;
#pragma GCC unroll 6
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 6
          for (int b = 0; b < R; ++b) block.v[r].v[b] = src[r * row + b * ch + c];
        const auto t = both_ways<6>(block, f);
#pragma GCC unroll 36
        for (int k = 0; k < kPos; ++k) dst[k * plane + c] = t.v[k / 6].v[k % 6];
      }
    }
  });
}

// V[pos][i][c] = (B^T d B)[pos] for the input windows d of tiles t0 + i.
template <class T>
void transform_input(const ConvShape& s, const Tiling& tl, const T* x, int64_t t0, int64_t nt, T* V) {
  transform_blocks<kWin>(tl, s.h, s.w, s.c, s.pt, s.pl, x, t0, nt, [](const Vals<T, 6>& v) { return bt(v); }, V);
}

// out tiles = A^T M A for tiles t0 + i, then Act(out + bias) where Bias; tiles past the
// output's edge go through a buffer.
template <UnaryOp Act, bool Bias, class T>
void transform_output(const ConvShape& s, const Tiling& tl, const T* M, const T* bias, int64_t t0, int64_t nt,
                      T* out) {
  const int64_t O = s.oc, plane = nt * O;
  parallel_for(nt, kPos * O, [&](int64_t i0, int64_t i1) {
    auto edge = scratch<T>(kTile * kTile * O);  // edge tiles: written in full before the copy out
    T* buf = edge.get();
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t t = t0 + i, r = t % tl.per_image;
      const int64_t oy0 = r / tl.tx * kTile, ox0 = r % tl.tx * kTile;
      T* first = out + ((t / tl.per_image * s.oh + oy0) * s.ow + ox0) * O;
      const bool inside = oy0 + kTile <= s.oh && ox0 + kTile <= s.ow;
      T* __restrict y = inside ? first : buf;
      const int64_t row = inside ? s.ow * O : kTile * O;
      const T* __restrict m = M + i * O;
#pragma omp simd
      for (int64_t o = 0; o < O; ++o) {
        Vals<Vals<T, 6>, 6> tm;
#pragma GCC unroll 36
        for (int k = 0; k < kPos; ++k) tm.v[k / 6].v[k % 6] = m[k * plane + o];
        const auto yt = both_ways<4>(tm, at<T>);
#pragma GCC unroll 4
        for (int a = 0; a < 4; ++a)
#pragma GCC unroll 4
          for (int b = 0; b < 4; ++b) {
            if constexpr (Bias) y[a * row + b * O + o] = T(unary_apply<Act, T>(T(yt.v[a].v[b] + bias[o]), 0.0));
            else y[a * row + b * O + o] = yt.v[a].v[b];
          }
      }
      if (inside) continue;
      const int64_t cols = std::min(kTile, s.ow - ox0);
      for (int64_t a = 0; a < kTile && oy0 + a < s.oh; ++a)
        std::copy(buf + a * kTile * O, buf + (a * kTile + cols) * O, first + a * s.ow * O);
    }
  });
}

// Q[pos][i][o] = (A g A^T)[pos] for the output-gradient tiles g of tiles t0 + i.
template <class T>
void transform_grad(const ConvShape& s, const Tiling& tl, const T* gy, int64_t t0, int64_t nt, T* Q) {
  transform_blocks<kTile>(tl, s.oh, s.ow, s.oc, 0, 0, gy, t0, nt, [](const Vals<T, 4>& v) { return a(v); }, Q);
}

// The forward of s; with `flip`, w holds the kernel of the convolution this one is the input
// gradient of (see backward_input_t). Act and Bias: the epilogue (bias null without).
template <UnaryOp Act, bool Bias, class T>
void forward_t(DType dt, const ConvShape& s, T* out, const T* x, const T* w, bool flip, const T* bias) {
  const int64_t C = s.c, O = s.oc;
  auto U = scratch<T>(kPos * C * O);
  transform_kernel(w, C, O, flip, U.get());
  const Tiling tl = tiling(s, sizeof(T));
  const int64_t vn = kPos * tl.block * C, mn = kPos * tl.block * O;
  over_items<T>(tl.blocks, vn + mn, [&](int64_t b, T* buf) {
    T *V = buf, *M = V + vn;
    const int64_t t0 = b * tl.block, nt = std::min(tl.block, tl.total - t0);
    transform_input(s, tl, x, t0, nt, V);
    gemm(dt, false, false, nt, O, C, V, C, nt * C, U.get(), O, C * O, M, O, nt * O, kPos);
    transform_output<Act, Bias>(s, tl, M, bias, t0, nt, out);
  });
}

// dx is the stride-1 convolution of gy, padded by 2 - pad, with the turned kernel.
template <class T>
void backward_input_t(DType dt, const ConvShape& s, T* dx, const T* gy, const T* w) {
  ConvShape b = s;
  b.h = s.oh, b.w = s.ow, b.c = s.oc;
  b.oh = s.h, b.ow = s.w, b.oc = s.c;
  b.pt = 2 - s.pt, b.pl = 2 - s.pl;
  forward_t<UnaryOp::Copy, false>(dt, b, dx, gy, w, true, (const T*)nullptr);
}

template <class T>
void backward_kernel_t(DType dt, const ConvShape& s, T* dw, const T* x, const T* gy) {
  const int64_t C = s.c, O = s.oc, plane = C * O, un = kPos * plane;
  const Tiling tl = tiling(s, sizeof(T));
  const int64_t parts = sum_parts_count(tl.blocks, un * (int64_t)sizeof(T));
  const int64_t vn = kPos * tl.block * C, qn = kPos * tl.block * O;
  auto partial = scratch<T>(parts * un);
  over_items<T>(parts, vn + qn, [&](int64_t p, T* buf) {
    T *V = buf, *Q = V + vn;
    const int64_t b0 = tl.blocks * p / parts, b1 = tl.blocks * (p + 1) / parts;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t t0 = b * tl.block, nt = std::min(tl.block, tl.total - t0);
      transform_input(s, tl, x, t0, nt, V);
      transform_grad(s, tl, gy, t0, nt, Q);
      // dU[pos] (C x O) += V[pos]^T Q[pos], this block's share.
      gemm_add(dt, true, false, C, O, nt, V, C, nt * C, Q, O, nt * O, partial.get() + p * un, O, plane, kPos, b > b0);
    }
  });
  // dU: the parts' sum in part order, into the first part.
  T* dU = partial.get();
  sum_parts(dU, parts, un, un, dU);
  // dw[ky][kx][i][j] = (G^T dU G)[ky][kx].
  parallel_for(plane, 4 * kPos, [&](int64_t e0, int64_t e1) {
#pragma omp simd
    for (int64_t e = e0; e < e1; ++e) {
      Vals<Vals<T, 6>, 6> q;
#pragma GCC unroll 36
      for (int k = 0; k < kPos; ++k) q.v[k / 6].v[k % 6] = dU[k * plane + e];
      const auto g = both_ways<3>(q, gt<T>);
#pragma GCC unroll 9
      for (int k = 0; k < 9; ++k) dw[k * plane + e] = g.v[k / 3].v[k % 3];
    }
  });
}

}  // namespace

bool winograd_fits(const ConvShape& s) {
  // Fewer than kWideBlock tiles (a small batch of small images): the gemms would have too few
  // rows to pay for packing the transformed kernel; im2col's single gemm does better.
  return s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.groups == 1 &&
         s.c >= 16 && s.oc >= 16 && s.h > 0 && s.w > 0 && tiling(s, sizeof(float)).total >= kWideBlock;
}

void winograd_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                      UnaryOp act) {
  KT_DISPATCH_FLOAT(dt, T, {
    if (!bias) return forward_t<UnaryOp::Copy, false>(dt, s, (T*)out, (const T*)x, (const T*)w, false, (const T*)bias);
    with_bias_act(act, [&](auto a) {
      forward_t<decltype(a)::act, true>(dt, s, (T*)out, (const T*)x, (const T*)w, false, (const T*)bias);
    });
  });
}

void winograd_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, backward_input_t<T>(dt, s, (T*)dx, (const T*)gy, (const T*)w));
}

void winograd_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy) {
  KT_DISPATCH_FLOAT(dt, T, backward_kernel_t<T>(dt, s, (T*)dw, (const T*)x, (const T*)gy));
}

}  // namespace cpu
}  // namespace kt
