// Shapes, strides, and the broadcast geometry that elementwise kernels walk on both devices.
#pragma once
#include <cstdint>
#include <vector>

#include "hd.h"

namespace kt {

using Shape = std::vector<int64_t>;
constexpr int kMaxDims = 12;
constexpr int kMaxOperands = 4;

// An output shape plus per-operand element strides (0 on broadcast axes), with
// adjacent axes merged wherever every operand allows it. Operand 0 is the output.
struct Geometry {
  int ndim = 0;
  int nops = 0;
  int64_t numel = 1;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxOperands][kMaxDims];

  // Element offset of linear index i (row-major over shape) for operand k.
  KT_HD int64_t offset(int k, int64_t i) const {
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t q = i / shape[d];
      off += (i - q * shape[d]) * strides[k][d];
      i = q;
    }
    return off;
  }
};

inline int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto v : s) n *= v;
  return n;
}

inline Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (int i = (int)s.size() - 1; i >= 0; --i) { st[i] = acc; acc *= s[i]; }
  return st;
}

}  // namespace kt
