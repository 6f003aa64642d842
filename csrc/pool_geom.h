// The geometry of a 2-D pooling window over a compact NHWC tensor, shared by the CPU and CUDA
// kernels.
#pragma once
#include <cstdint>

#include "hd.h"

namespace kt {

// Padding follows TensorFlow: "same" pads max((out - 1) * stride + k - in, 0) in total, the
// extra element (when odd) at the end; padded positions are simply left out of a window.
struct PoolGeom {
  int64_t n, h, w, c;     // input
  int64_t oh, ow;         // output
  int64_t kh, kw, sh, sw;  // window and strides
  int64_t ph, pw;         // padding before (top, left)

  // The input rows [*lo, *hi) of output row o (clipped to the image); likewise for columns.
  KT_HD void rows(int64_t o, int64_t* lo, int64_t* hi) const {
    const int64_t s = o * sh - ph;
    *lo = s < 0 ? 0 : s;
    *hi = s + kh < h ? s + kh : h;
  }
  KT_HD void cols(int64_t o, int64_t* lo, int64_t* hi) const {
    const int64_t s = o * sw - pw;
    *lo = s < 0 ? 0 : s;
    *hi = s + kw < w ? s + kw : w;
  }
  // The output rows [*lo, *hi) whose windows contain input row i; likewise for columns.
  KT_HD void rows_covering(int64_t i, int64_t* lo, int64_t* hi) const {
    *lo = cover_lo(i + ph, kh, sh);
    const int64_t e = (i + ph) / sh + 1;
    *hi = e < oh ? e : oh;
  }
  KT_HD void cols_covering(int64_t i, int64_t* lo, int64_t* hi) const {
    *lo = cover_lo(i + pw, kw, sw);
    const int64_t e = (i + pw) / sw + 1;
    *hi = e < ow ? e : ow;
  }
  // Valid (non-padded) elements in the window of output (r, q).
  KT_HD int64_t count(int64_t r, int64_t q) const {
    int64_t a, b, c0, c1;
    rows(r, &a, &b);
    cols(q, &c0, &c1);
    return (b - a) * (c1 - c0);
  }

 private:
  // Smallest o >= 0 with o * s + k > p (p in padded coordinates).
  KT_HD static int64_t cover_lo(int64_t p, int64_t k, int64_t s) {
    const int64_t d = p - k + 1;
    return d <= 0 ? 0 : (d + s - 1) / s;
  }
};

}  // namespace kt
