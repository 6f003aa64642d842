// Reductions and softmax over the middle axis of a compact [outer, r, inner] block.
// Each output is accumulated by one thread in a fixed order, so results are bitwise stable.
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

template <class T> using Acc = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;

// Sum of n values at stride s, in four interleaved lanes (a fixed order that pipelines well).
template <class T>
Acc<T> sum_strided(const T* p, int64_t n, int64_t s) {
  Acc<T> a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += p[i * s]; a1 += p[(i + 1) * s]; a2 += p[(i + 2) * s]; a3 += p[(i + 3) * s];
  }
  for (; i < n; ++i) a0 += p[i * s];
  return (a0 + a1) + (a2 + a3);
}

template <class T>
void reduce_t(ReduceOp op, void* out_v, const T* in, int64_t outer, int64_t r, int64_t inner) {
  const int64_t nout = outer * inner;
  if (op == ReduceOp::Sum || op == ReduceOp::Mean) {
    T* out = (T*)out_v;
    const double scale = op == ReduceOp::Mean ? 1.0 / (double)r : 1.0;
    if (inner == 1 && outer < 4 && r >= 4 * kParallelGrain) {
      // Few long rows: fixed-size chunks summed in parallel, then combined in chunk order.
      const int64_t chunk = 16384, nchunks = (r + chunk - 1) / chunk;
      std::vector<Acc<T>> part(outer * nchunks);
      parallel_for(outer * nchunks, chunk, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) {
          int64_t o = j / nchunks, c = j % nchunks, lo = c * chunk, hi = std::min(r, lo + chunk);
          part[j] = sum_strided(in + o * r + lo, hi - lo, 1);
        }
      });
      for (int64_t o = 0; o < outer; ++o) {
        Acc<T> acc = 0;
        for (int64_t c = 0; c < nchunks; ++c) acc += part[o * nchunks + c];
        out[o] = T(acc * scale);
      }
      return;
    }
    if (inner == 1) {
      parallel_for(outer, r, [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) out[o] = T(sum_strided(in + o * r, r, 1) * scale);
      });
      return;
    }
    // Rows of `inner` values added one after another: contiguous, vectorisable.
    parallel_for(outer * ((inner + 255) / 256), r * 256, [&](int64_t b, int64_t e) {
      const int64_t nblk = (inner + 255) / 256;
      std::vector<Acc<T>> acc(256);
      for (int64_t j = b; j < e; ++j) {
        int64_t o = j / nblk, i0 = (j % nblk) * 256, w = std::min<int64_t>(256, inner - i0);
        std::fill(acc.begin(), acc.begin() + w, Acc<T>(0));
        const T* base = in + o * r * inner + i0;
        for (int64_t k = 0; k < r; ++k)
          for (int64_t i = 0; i < w; ++i) acc[i] += base[k * inner + i];
        for (int64_t i = 0; i < w; ++i) out[o * inner + i0 + i] = T(acc[i] * scale);
      }
    });
    return;
  }
  parallel_for(nout, r, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const int64_t o = j / inner, i = j % inner;
      const T* p = in + o * r * inner + i;
      if (op == ReduceOp::Prod) {
        Acc<T> acc = 1;
        for (int64_t k = 0; k < r; ++k) acc *= p[k * inner];
        ((T*)out_v)[j] = T(acc);
      } else if (op == ReduceOp::Max || op == ReduceOp::Min) {
        const bool mx = op == ReduceOp::Max;
        T best = p[0];
        for (int64_t k = 1; k < r && best == best; ++k) {  // NaN wins, as in numpy
          T v = p[k * inner];
          if (v != v || (mx ? v > best : v < best)) best = v;
        }
        ((T*)out_v)[j] = best;
      } else {  // ArgMax / ArgMin: first occurrence; a NaN is the answer once seen
        const bool mx = op == ReduceOp::ArgMax;
        T best = p[0];
        int64_t at = 0;
        for (int64_t k = 1; k < r && best == best; ++k) {
          T v = p[k * inner];
          if (v != v || (mx ? v > best : v < best)) { best = v; at = k; }
        }
        ((int64_t*)out_v)[j] = at;
      }
    }
  });
}

template <class T>
void softmax_t(T* out, const T* in, int64_t outer, int64_t r, int64_t inner, bool log) {
  parallel_for(outer * inner, r * 8, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const int64_t o = j / inner, i = j % inner;
      const T* p = in + o * r * inner + i;
      T* q = out + o * r * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t k = 0; k < r; ++k) m = p[k * inner] > m ? p[k * inner] : m;
      if (m == -std::numeric_limits<T>::infinity()) m = 0;  // all -inf: avoid inf - inf
      double s = 0;
      for (int64_t k = 0; k < r; ++k) {
        T ex = std::exp(p[k * inner] - m);
        if (!log) q[k * inner] = ex;
        s += ex;
      }
      if (log) {  // (x - m) - log(s): subtracting m first keeps precision for large logits
        T ls = T(std::log(s));
        for (int64_t k = 0; k < r; ++k) q[k * inner] = (p[k * inner] - m) - ls;
      } else {
        T inv = T(1.0 / s);
        for (int64_t k = 0; k < r; ++k) q[k * inner] *= inv;
      }
    }
  });
}

}  // namespace

void reduce(ReduceOp op, DType dt, void* out, const void* in, int64_t outer, int64_t r, int64_t inner) {
  KT_DISPATCH(dt, T, reduce_t<T>(op, out, (const T*)in, outer, r, inner));
}

void softmax(DType dt, void* out, const void* in, int64_t outer, int64_t r, int64_t inner, bool log) {
  KT_DISPATCH_FLOAT(dt, T, softmax_t<T>((T*)out, (const T*)in, outer, r, inner, log));
}

}  // namespace cpu
}  // namespace kt
