// The geometry of one 2-D convolution, shared by the op, the CPU and the CUDA kernels.
// Images are NHWC, kernels (kh, kw, c / groups, oc) as in Keras; output channel o belongs to
// group o / (oc / groups). A patch (one im2col row) is laid out [group][ky][kx][channel in
// group], so group g's slice of every row is one block of kg() values at offset g * kg().
#pragma once
#include <cstdint>

#include "hd.h"

namespace kt {

struct ConvShape {
  int64_t n, h, w, c;      // input
  int64_t oh, ow, oc;      // output
  int64_t kh, kw;          // kernel window
  int64_t sh, sw, dh, dw;  // strides and dilations
  int64_t pt, pl;          // padding before (top, left); after it follows from the sizes
  int64_t groups;

  KT_HD int64_t cg() const { return c / groups; }     // input channels per group
  KT_HD int64_t ocg() const { return oc / groups; }   // output channels per group
  KT_HD int64_t kg() const { return kh * kw * cg(); }  // patch length of one group
  KT_HD int64_t patch() const { return kh * kw * c; }  // patch length, all groups
  KT_HD int64_t pixels() const { return oh * ow; }     // output pixels per image
  // A 1x1 kernel at stride 1 without padding reads the image itself as its patch matrix.
  KT_HD bool pointwise() const {
    return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && oh == h && ow == w;
  }
  // Input row / column read by output row oy (column ox) at kernel row ky (column kx).
  KT_HD int64_t in_y(int64_t oy, int64_t ky) const { return oy * sh - pt + ky * dh; }
  KT_HD int64_t in_x(int64_t ox, int64_t kx) const { return ox * sw - pl + kx * dw; }
  // The output row that reads input row iy at kernel row ky, or -1 when there is none.
  KT_HD int64_t out_y(int64_t iy, int64_t ky) const {
    const int64_t t = iy + pt - ky * dh;
    return (t < 0 || t % sh || t / sh >= oh) ? -1 : t / sh;
  }
  // The output columns [lo, hi) whose whole window lies inside the image's width (CPU loops).
  void inner_columns(int64_t& lo, int64_t& hi) const {
    for (lo = 0; lo < ow && in_x(lo, 0) < 0; ++lo) {}
    for (hi = lo; hi < ow && in_x(hi, kw - 1) < w; ++hi) {}
  }
  KT_HD int64_t out_x(int64_t ix, int64_t kx) const {
    const int64_t t = ix + pl - kx * dw;
    return (t < 0 || t % sw || t / sw >= ow) ? -1 : t / sw;
  }
};

}  // namespace kt
