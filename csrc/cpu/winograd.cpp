// Winograd F(2x2, 3x3) (Lavin & Gray 2015) for 3x3 stride-1 convolutions on the CPU. Each
// 2x2 block of output pixels ("tile") reads a 4x4 input window; in the transformed domain the
// 3x3 kernel becomes 16 elementwise products, so every tile costs 16 channel-by-channel
// products (one gemm per position, over a block of tiles) instead of 36: 2.25x fewer flops
// than im2col. The transforms are adds and halvings only.
//   forward:       Y  = A^T [ (G g G^T) . (B^T d B) ] A
//   input grad:    the forward of the output gradient with the kernel turned 180 degrees and
//                  its channel axes swapped ("full" padding)
//   kernel grad:   dg = G^T [ sum over tiles (B^T d B) . (A dY A^T) ] G
// Tiles are grouped in blocks set by the shape alone; every sum has a fixed order (the kernel
// gradient adds its blocks in order within fixed parts, then the parts in order), so results
// do not depend on the thread count.
#include "cpu/winograd.h"

#include <algorithm>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

// Transformed tiles per block: input and output planes (16 positions each) about 1 MiB, so a
// block stays in the core's L2 cache from its transform through the gemms to the next one.
constexpr int64_t kBlockBytes = 1 << 20;

struct Tiling {
  int64_t tx, per_image, total, block, blocks;
};

// Tiles cover the output of s in 2x2 steps, image by image; tile t of image img starts at
// output row 2 * (t / tx), column 2 * (t % tx).
Tiling tiling(const ConvShape& s, size_t elem) {
  Tiling tl;
  tl.tx = (s.ow + 1) / 2;
  tl.per_image = (s.oh + 1) / 2 * tl.tx;
  tl.total = s.n * tl.per_image;
  const int64_t per_tile = 16 * (s.c + s.oc) * (int64_t)elem;
  tl.block = std::clamp<int64_t>(kBlockBytes / per_tile, 1, std::max<int64_t>(tl.total, 1));
  tl.blocks = (tl.total + tl.block - 1) / tl.block;
  return tl;
}

// U[pos][i][j] = (G g G^T)[pos] for the 3x3 kernel g from input channel i to output channel j
// of w (3, 3, cin, cout); with `flip`, w is (3, 3, cout, cin) and g is its 180-degree turn.
template <class T>
void transform_kernel(const T* w, int64_t cin, int64_t cout, bool flip, T* U) {
  const int64_t plane = cin * cout;
  const T h = T(0.5);
  parallel_for(cin, 64 * cout, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = 0; j < cout; ++j) {
        T g[9], t[12];
        for (int k = 0; k < 9; ++k) g[k] = flip ? w[((8 - k) * cout + j) * cin + i] : w[(k * cin + i) * cout + j];
        for (int k = 0; k < 3; ++k) {  // G g: rows
          t[k] = g[k];
          t[3 + k] = h * (g[k] + g[3 + k] + g[6 + k]);
          t[6 + k] = h * (g[k] - g[3 + k] + g[6 + k]);
          t[9 + k] = g[6 + k];
        }
        T* u = U + i * cout + j;
        for (int a = 0; a < 4; ++a) {  // (G g) G^T: columns
          const T* r = t + 3 * a;
          u[(4 * a + 0) * plane] = r[0];
          u[(4 * a + 1) * plane] = h * (r[0] + r[1] + r[2]);
          u[(4 * a + 2) * plane] = h * (r[0] - r[1] + r[2]);
          u[(4 * a + 3) * plane] = r[2];
        }
      }
  });
}

// The 4x4 (input) or 2x2 (output) pixel block of one tile: its first pixel and the distance
// between its rows. Tiles inside the image read or write it in place; tiles at the edges go
// through a small buffer of the block (zeros outside the image), with rows 4 or 2 pixels apart.
template <class T>
struct Block {
  T* p;
  int64_t row;
};

// The input block of tile t (in place, or gathered into buf with zeros outside the image).
template <class T>
Block<const T> input_block(const ConvShape& s, const Tiling& tl, const T* x, int64_t t, T* buf) {
  const int64_t img = t / tl.per_image, r = t % tl.per_image, C = s.c;
  const int64_t iy0 = r / tl.tx * 2 - s.pt, ix0 = r % tl.tx * 2 - s.pl;
  const T* first = x + ((img * s.h + iy0) * s.w + ix0) * C;
  if (iy0 >= 0 && iy0 + 4 <= s.h && ix0 >= 0 && ix0 + 4 <= s.w) return {first, s.w * C};
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t b = 0; b < 4; ++b) {
      const int64_t iy = iy0 + a, ix = ix0 + b;
      T* dst = buf + (a * 4 + b) * C;
      if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) std::copy(first + (a * s.w + b) * C, first + (a * s.w + b + 1) * C, dst);
      else std::fill(dst, dst + C, T(0));
    }
  return {buf, 4 * C};
}

// The 1-D transforms, on 4 (or 2) values along a row or a column of a tile: B^T, A^T and A.
// The 2-D transforms apply one to each column, then to each row of the result. Written out
// without inner loops (and without arrays) so that GCC vectorises the channel loop around them.
template <class T> struct Four { T a, b, c, d; };
template <class T> struct Two { T a, b; };
template <class T> inline Four<T> bt(T d0, T d1, T d2, T d3) { return {d0 - d2, d1 + d2, d2 - d1, d1 - d3}; }
template <class T> inline Two<T> at(T m0, T m1, T m2, T m3) { return {m0 + m1 + m2, m1 - m2 - m3}; }
template <class T> inline Four<T> a1(T g0, T g1) { return {g0, g0 + g1, g0 - g1, -g1}; }

// Stores four values `plane` apart: positions (row, 0..3) of a transformed tile.
template <class T> inline void put(T* v, int64_t plane, Four<T> r) {
  v[0] = r.a, v[plane] = r.b, v[2 * plane] = r.c, v[3 * plane] = r.d;
}

// V[pos][i][c] = (B^T d B)[pos] for the 4x4 input windows d of tiles t0 + i, i < nt, zeros
// where a window leaves the image.
template <class T>
void transform_input(const ConvShape& s, const Tiling& tl, const T* x, T* buf, int64_t t0, int64_t nt, T* V) {
  const int64_t C = s.c, plane = nt * C;
  for (int64_t i = 0; i < nt; ++i) {
    const Block<const T> blk = input_block(s, tl, x, t0 + i, buf);
    const T *__restrict r0 = blk.p, *__restrict r1 = r0 + blk.row, *__restrict r2 = r1 + blk.row,
                        *__restrict r3 = r2 + blk.row;
    T* __restrict v = V + i * C;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      const Four<T> k0 = bt(r0[c], r1[c], r2[c], r3[c]);
      const Four<T> k1 = bt(r0[C + c], r1[C + c], r2[C + c], r3[C + c]);
      const Four<T> k2 = bt(r0[2 * C + c], r1[2 * C + c], r2[2 * C + c], r3[2 * C + c]);
      const Four<T> k3 = bt(r0[3 * C + c], r1[3 * C + c], r2[3 * C + c], r3[3 * C + c]);
      put(v + c, plane, bt(k0.a, k1.a, k2.a, k3.a));
      put(v + 4 * plane + c, plane, bt(k0.b, k1.b, k2.b, k3.b));
      put(v + 8 * plane + c, plane, bt(k0.c, k1.c, k2.c, k3.c));
      put(v + 12 * plane + c, plane, bt(k0.d, k1.d, k2.d, k3.d));
    }
  }
}

// out 2x2 blocks = A^T M A for tiles t0 + i; blocks past the output's edge go through buf.
template <class T>
void transform_output(const ConvShape& s, const Tiling& tl, const T* M, T* buf, int64_t t0, int64_t nt, T* out) {
  const int64_t O = s.oc, plane = nt * O;
  for (int64_t i = 0; i < nt; ++i) {
    const int64_t t = t0 + i, img = t / tl.per_image, r = t % tl.per_image;
    const int64_t oy0 = r / tl.tx * 2, ox0 = r % tl.tx * 2;
    T* first = out + ((img * s.oh + oy0) * s.ow + ox0) * O;
    const bool inside = oy0 + 2 <= s.oh && ox0 + 2 <= s.ow;
    T *__restrict y0 = inside ? first : buf, *__restrict y1 = y0 + (inside ? s.ow * O : 2 * O);
    const T* __restrict m = M + i * O;
#pragma omp simd
    for (int64_t o = 0; o < O; ++o) {
      const T* mo = m + o;
      const Two<T> k0 = at(mo[0], mo[4 * plane], mo[8 * plane], mo[12 * plane]);
      const Two<T> k1 = at(mo[plane], mo[5 * plane], mo[9 * plane], mo[13 * plane]);
      const Two<T> k2 = at(mo[2 * plane], mo[6 * plane], mo[10 * plane], mo[14 * plane]);
      const Two<T> k3 = at(mo[3 * plane], mo[7 * plane], mo[11 * plane], mo[15 * plane]);
      const Two<T> row0 = at(k0.a, k1.a, k2.a, k3.a), row1 = at(k0.b, k1.b, k2.b, k3.b);
      y0[o] = row0.a, y0[O + o] = row0.b, y1[o] = row1.a, y1[O + o] = row1.b;
    }
    if (inside) continue;
    for (int64_t a = 0; a < 2 && oy0 + a < s.oh; ++a)
      std::copy(buf + a * 2 * O, buf + (a * 2 + (ox0 + 2 <= s.ow ? 2 : 1)) * O, first + a * s.ow * O);
  }
}

// Q[pos][i][o] = (A g A^T)[pos] for the 2x2 output-gradient blocks g of tiles t0 + i, zeros
// past the output's edge.
template <class T>
void transform_grad(const ConvShape& s, const Tiling& tl, const T* gy, T* buf, int64_t t0, int64_t nt, T* Q) {
  const int64_t O = s.oc, plane = nt * O;
  for (int64_t i = 0; i < nt; ++i) {
    const int64_t t = t0 + i, img = t / tl.per_image, r = t % tl.per_image;
    const int64_t oy0 = r / tl.tx * 2, ox0 = r % tl.tx * 2;
    const T* first = gy + ((img * s.oh + oy0) * s.ow + ox0) * O;
    const bool inside = oy0 + 2 <= s.oh && ox0 + 2 <= s.ow;
    if (!inside)
      for (int64_t a = 0; a < 2; ++a)
        for (int64_t b = 0; b < 2; ++b) {
          T* dst = buf + (a * 2 + b) * O;
          if (oy0 + a < s.oh && ox0 + b < s.ow) std::copy(first + (a * s.ow + b) * O, first + (a * s.ow + b + 1) * O, dst);
          else std::fill(dst, dst + O, T(0));
        }
    const T *__restrict g0 = inside ? first : buf, *__restrict g1 = g0 + (inside ? s.ow * O : 2 * O);
    T* __restrict q = Q + i * O;
#pragma omp simd
    for (int64_t o = 0; o < O; ++o) {
      const Four<T> k0 = a1(g0[o], g1[o]), k1 = a1(g0[O + o], g1[O + o]);
      put(q + o, plane, a1(k0.a, k1.a));
      put(q + 4 * plane + o, plane, a1(k0.b, k1.b));
      put(q + 8 * plane + o, plane, a1(k0.c, k1.c));
      put(q + 12 * plane + o, plane, a1(k0.d, k1.d));
    }
  }
}

// The forward of s; with `flip`, w holds the kernel of the convolution this one is the input
// gradient of (see backward_input_t).
template <class T>
void forward_t(DType dt, const ConvShape& s, T* out, const T* x, const T* w, bool flip) {
  const int64_t C = s.c, O = s.oc;
  auto U = scratch<T>(16 * C * O);
  transform_kernel(w, C, O, flip, U.get());
  const Tiling tl = tiling(s, sizeof(T));
  const int64_t vn = 16 * tl.block * C, mn = 16 * tl.block * O;
  over_items<T>(tl.blocks, vn + mn + 16 * C + 4 * O, [&](int64_t b, T* buf) {
    T *V = buf, *M = V + vn, *edge_in = M + mn, *edge_out = edge_in + 16 * C;
    const int64_t t0 = b * tl.block, nt = std::min(tl.block, tl.total - t0);
    transform_input(s, tl, x, edge_in, t0, nt, V);
    gemm(dt, false, false, nt, O, C, V, C, nt * C, U.get(), O, C * O, M, O, nt * O, 16);
    transform_output(s, tl, M, edge_out, t0, nt, out);
  });
}

// dx is the stride-1 convolution of gy, padded by 2 - pad, with the turned kernel.
template <class T>
void backward_input_t(DType dt, const ConvShape& s, T* dx, const T* gy, const T* w) {
  ConvShape b = s;
  b.h = s.oh, b.w = s.ow, b.c = s.oc;
  b.oh = s.h, b.ow = s.w, b.oc = s.c;
  b.pt = 2 - s.pt, b.pl = 2 - s.pl;
  forward_t(dt, b, dx, gy, w, true);
}

template <class T>
void backward_kernel_t(DType dt, const ConvShape& s, T* dw, const T* x, const T* gy) {
  constexpr int64_t kParts = 16;
  const int64_t C = s.c, O = s.oc, un = 16 * C * O;
  const Tiling tl = tiling(s, sizeof(T));
  const int64_t parts = std::min(tl.blocks, kParts), vn = 16 * tl.block * C, qn = 16 * tl.block * O;
  auto partial = scratch<T>(parts * un);
  over_items<T>(parts, vn + qn + un + 16 * C + 4 * O, [&](int64_t p, T* buf) {
    T *V = buf, *Q = V + vn, *tmp = Q + qn, *edge_in = tmp + un, *edge_grad = edge_in + 16 * C;
    T* acc = partial.get() + p * un;
    const int64_t b0 = tl.blocks * p / parts, b1 = tl.blocks * (p + 1) / parts;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t t0 = b * tl.block, nt = std::min(tl.block, tl.total - t0);
      transform_input(s, tl, x, edge_in, t0, nt, V);
      transform_grad(s, tl, gy, edge_grad, t0, nt, Q);
      // dU[pos] (C x O) = V[pos]^T Q[pos], this block's share.
      gemm(dt, true, false, C, O, nt, V, C, nt * C, Q, O, nt * O, b == b0 ? acc : tmp, O, C * O, 16);
      if (b != b0)
        for (int64_t e = 0; e < un; ++e) acc[e] += tmp[e];
    }
  });
  // dw[ky][kx][i][j] = (G^T dU G)[ky][kx], dU the parts' sum in part order.
  const int64_t plane = C * O;
  const T h = T(0.5);
  parallel_for(plane, 16 * parts, [&](int64_t e0, int64_t e1) {
    for (int64_t e = e0; e < e1; ++e) {
      T q[16], r[12];
      for (int k = 0; k < 16; ++k) {
        T v = partial[k * plane + e];
        for (int64_t p = 1; p < parts; ++p) v += partial[p * un + k * plane + e];
        q[k] = v;
      }
      for (int b = 0; b < 4; ++b) {  // G^T q: rows
        r[b] = q[b] + h * (q[4 + b] + q[8 + b]);
        r[4 + b] = h * (q[4 + b] - q[8 + b]);
        r[8 + b] = h * (q[4 + b] + q[8 + b]) + q[12 + b];
      }
      for (int a = 0; a < 3; ++a) {  // (G^T q) G: columns
        const T* ra = r + 4 * a;
        dw[(3 * a + 0) * plane + e] = ra[0] + h * (ra[1] + ra[2]);
        dw[(3 * a + 1) * plane + e] = h * (ra[1] - ra[2]);
        dw[(3 * a + 2) * plane + e] = h * (ra[1] + ra[2]) + ra[3];
      }
    }
  });
}

}  // namespace

bool winograd_fits(const ConvShape& s) {
  return s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.groups == 1 &&
         s.c >= 16 && s.oc >= 16 && s.n > 0 && s.h > 0 && s.w > 0 && s.oh > 0 && s.ow > 0;
}

void winograd_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, forward_t<T>(dt, s, (T*)out, (const T*)x, (const T*)w, false));
}

void winograd_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, backward_input_t<T>(dt, s, (T*)dx, (const T*)gy, (const T*)w));
}

void winograd_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy) {
  KT_DISPATCH_FLOAT(dt, T, backward_kernel_t<T>(dt, s, (T*)dw, (const T*)x, (const T*)gy));
}

}  // namespace cpu
}  // namespace kt
