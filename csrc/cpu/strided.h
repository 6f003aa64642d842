// The one place that walks strided memory on the CPU: visits a Geometry row by row (a row is
// its last axis), in parallel over rows, handing each row its start offsets and strides.
#pragma once
#include <algorithm>
#include <cstdint>

#include "geometry.h"
#include "parallel.h"

namespace kt {
namespace cpu {

constexpr int64_t kRowChunk = 16384;  // elements per task when rows are split

// f(const int64_t* off, const int64_t* inner_stride, int64_t n) handles one row of n elements.
template <class F>
void for_each_row(const Geometry& g, F&& f) {
  if (g.numel == 0) return;
  const int nops = g.nops;
  int64_t zero[kMaxOperands] = {0, 0, 0, 0};
  if (g.ndim == 0) {  // a scalar
    f(zero, zero, 1);
    return;
  }
  const int last = g.ndim - 1;
  const int64_t n = g.shape[last];
  int64_t inner[kMaxOperands];
  for (int k = 0; k < nops; ++k) inner[k] = g.strides[k][last];
  const int64_t rows = g.numel / n;
  if (rows < 8 && n >= 2 * kRowChunk) {
    // Few long rows: split each row into chunks so all threads get work.
    const int64_t cpr = (n + kRowChunk - 1) / kRowChunk;
    parallel_for(rows * cpr, kRowChunk, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        int64_t row = j / cpr, lo = (j % cpr) * kRowChunk, len = std::min(n, lo + kRowChunk) - lo;
        int64_t off[kMaxOperands] = {0, 0, 0, 0};
        int64_t r = row;
        for (int d = last - 1; d >= 0; --d) {
          int64_t i = r % g.shape[d];
          r /= g.shape[d];
          for (int k = 0; k < nops; ++k) off[k] += i * g.strides[k][d];
        }
        for (int k = 0; k < nops; ++k) off[k] += lo * inner[k];
        f(off, inner, len);
      }
    });
    return;
  }
  parallel_for(rows, n, [&](int64_t begin, int64_t end) {
    // Decompose the first row index once, then step an odometer over the outer axes.
    int64_t idx[kMaxDims] = {0};
    int64_t off[kMaxOperands] = {0, 0, 0, 0};
    int64_t r = begin;
    for (int d = last - 1; d >= 0; --d) {
      idx[d] = r % g.shape[d];
      r /= g.shape[d];
      for (int k = 0; k < nops; ++k) off[k] += idx[d] * g.strides[k][d];
    }
    for (int64_t row = begin; row < end; ++row) {
      f(off, inner, n);
      for (int d = last - 1; d >= 0; --d) {
        for (int k = 0; k < nops; ++k) off[k] += g.strides[k][d];
        if (++idx[d] < g.shape[d]) break;
        for (int k = 0; k < nops; ++k) off[k] -= g.shape[d] * g.strides[k][d];
        idx[d] = 0;
      }
    }
  });
}

}  // namespace cpu
}  // namespace kt
