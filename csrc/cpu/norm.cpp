// Batch and layer normalization over compact rows [m, c]. Column (per-channel / per-feature)
// sums are taken per chunk of rows, chunks sized by the shape alone, then combined in chunk
// order: the result never depends on the number of threads. Statistics accumulate in double
// (layer norm's row sums from short float partial sums).
#include <cmath>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

// Layer-norm row sums: term i goes to lane i % kLanes; each span of kSpan terms is summed in T
// (float: no conversions, 8 terms to a lane), the span's lanes then added to the row's double
// lanes; the terms after the last span go to the double lanes directly, the last few to lane
// 0, and the lanes are added in order. Near double accuracy at the cost of float sums:
// converting every term to double made the layer-norm kernels compute-bound (1.4x slower).
constexpr int kLanes = 8, kSpan = 64;

template <class T, class F>
inline double row_sum(int64_t n, F f) {
  double acc[kLanes] = {0};
  int64_t i = 0;
  for (; i + kSpan <= n; i += kSpan) {
    T part[kLanes] = {0};
    for (int k = 0; k < kSpan; k += kLanes)
#pragma omp simd
      for (int l = 0; l < kLanes; ++l) part[l] += f(i + k + l);
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) acc[l] += part[l];
  }
  for (; i + kLanes <= n; i += kLanes)
#pragma omp simd
    for (int l = 0; l < kLanes; ++l) acc[l] += f(i + l);
  for (; i < n; ++i) acc[0] += f(i);
  double s = 0;
  for (int l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

// ---- batch norm ----

template <class T>
void bn_stats_t(int64_t m, int64_t c, const T* x, T* mean, T* var) {
  const int64_t R = chunk_rows(m, c), nch = (m + R - 1) / R;
  std::vector<double> cmean(nch * c), cm2(nch * c);
  // Each chunk: its mean, then the squared deviations from it (two passes over cached rows).
  parallel_for(nch, 2 * R * c, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const int64_t r0 = j * R, r1 = std::min(m, r0 + R);
      double* mu = &cmean[j * c];
      double* m2 = &cm2[j * c];
      for (int64_t k = 0; k < c; ++k) mu[k] = m2[k] = 0;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t k = 0; k < c; ++k) mu[k] += x[r * c + k];
      const double inv = 1.0 / (double)(r1 - r0);
      for (int64_t k = 0; k < c; ++k) mu[k] *= inv;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t k = 0; k < c; ++k) {
          const double d = x[r * c + k] - mu[k];
          m2[k] += d * d;
        }
    }
  });
  // Chunks merged in order with Chan et al.'s update, which stays stable for large means.
  std::vector<double> mu(c, 0.0), m2(c, 0.0);
  double na = 0;
  for (int64_t j = 0; j < nch; ++j) {
    const double nb = (double)(std::min(m, (j + 1) * R) - j * R), n = na + nb;
    for (int64_t k = 0; k < c; ++k) {
      const double delta = cmean[j * c + k] - mu[k];
      mu[k] += delta * (nb / n);
      m2[k] += cm2[j * c + k] + delta * delta * (na * nb / n);
    }
    na = n;
  }
  for (int64_t k = 0; k < c; ++k) {
    mean[k] = T(mu[k]);
    var[k] = T(m2[k] / (double)m);
  }
}

template <class T>
void bn_apply_t(int64_t m, int64_t c, const T* x, const T* mean, const T* var, const T* gamma, const T* beta,
                double eps, T* y) {
  std::vector<T> scale(c), shift(c);
  for (int64_t k = 0; k < c; ++k) {
    scale[k] = T((gamma ? (double)gamma[k] : 1.0) / std::sqrt((double)var[k] + eps));
    shift[k] = beta ? beta[k] : T(0);
  }
  // (x - mean) * scale + beta: no cancellation when the mean is large against the spread.
  parallel_for(m, c, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t k = 0; k < c; ++k) y[r * c + k] = (x[r * c + k] - mean[k]) * scale[k] + shift[k];
  });
}

template <class T>
void bn_backward_t(int64_t m, int64_t c, const T* x, const T* dy, const T* mean, const T* var, const T* gamma,
                   double eps, T* dx, T* dgamma, T* dbeta) {
  const int64_t R = chunk_rows(m, c), nch = (m + R - 1) / R;
  std::vector<double> s1(nch * c), s2(nch * c);
  // Reduction pass: sum(dy) and sum(dy * (x - mean)) per channel.
  parallel_for(nch, 2 * R * c, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const int64_t r0 = j * R, r1 = std::min(m, r0 + R);
      double* a = &s1[j * c];
      double* q = &s2[j * c];
      for (int64_t k = 0; k < c; ++k) a[k] = q[k] = 0;
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t k = 0; k < c; ++k) {
          const double g = dy[r * c + k];
          a[k] += g;
          q[k] += g * ((double)x[r * c + k] - (double)mean[k]);
        }
    }
  });
  // dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)) = A dy + B (x - mean) + E per channel.
  std::vector<T> A(c), B(c), E(c);
  for (int64_t k = 0; k < c; ++k) {
    double S1 = 0, S2 = 0;
    for (int64_t j = 0; j < nch; ++j) {
      S1 += s1[j * c + k];
      S2 += s2[j * c + k];
    }
    const double rs = 1.0 / std::sqrt((double)var[k] + eps), g = gamma ? (double)gamma[k] : 1.0;
    if (dgamma) dgamma[k] = T(S2 * rs);
    if (dbeta) dbeta[k] = T(S1);
    A[k] = T(g * rs);
    B[k] = T(-g * rs * rs * rs * S2 / (double)m);
    E[k] = T(-g * rs * S1 / (double)m);
  }
  parallel_for(m, 2 * c, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t k = 0; k < c; ++k) {
        const int64_t i = r * c + k;
        dx[i] = A[k] * dy[i] + B[k] * (x[i] - mean[k]) + E[k];
      }
  });
}

// ---- layer norm ----

template <class T>
void ln_forward_t(int64_t m, int64_t d, const T* x, const T* gamma, const T* beta, double eps, T* y, T* mean,
                  T* rstd) {
  parallel_for(m, 4 * d, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const T* p = x + r * d;
      const T mt = T(row_sum<T>(d, [&](int64_t i) { return p[i]; }) / (double)d);
      const double v = row_sum<T>(d, [&](int64_t i) {
        const T q = p[i] - mt;
        return q * q;
      }) / (double)d;
      const T rt = T(1.0 / std::sqrt(v + eps));
      mean[r] = mt;
      rstd[r] = rt;
      T* q = y + r * d;
      if (gamma && beta) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt * gamma[i] + beta[i];
      else if (gamma) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt * gamma[i];
      else if (beta) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt + beta[i];
      else for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt;
    }
  });
}

// Layer-norm backward rows: dx of B rows, and their dgamma / dbeta terms added to the chunk's
// partials (sg, sb), in T over the B rows in row order, then in double: a quarter of the double
// loads and stores at B = 4 (1.5x faster at width 1024).
constexpr int kRowBlock = 4;

template <int B, class T>
inline void ln_backward_rows(int64_t d, const T* p, const T* g, const T* gm, const T* mu, const T* rs, const T* c1,
                             const T* c2, T* o, double* sg, double* sb) {
#pragma omp simd
  for (int64_t i = 0; i < d; ++i) {
    T tg = T(0), tb = T(0);
#pragma GCC unroll 8
    for (int r = 0; r < B; ++r) {
      const T xh = (p[r * d + i] - mu[r]) * rs[r], gi = g[r * d + i];
      o[r * d + i] = rs[r] * (gi * gm[i] - c1[r] - xh * c2[r]);
      tg += gi * xh;
      tb += gi;
    }
    sg[i] += tg;
    sb[i] += tb;
  }
}

template <class T>
void ln_backward_t(int64_t m, int64_t d, const T* x, const T* dy, const T* mean, const T* rstd, const T* gamma,
                   T* dx, T* dgamma, T* dbeta) {
  // At least 64 rows a chunk: wide rows would otherwise make the chunks' partials a quarter
  // of the input's bytes (at width 1024).
  const int64_t R = std::max<int64_t>(chunk_rows(m, d), 64), nch = (m + R - 1) / R;
  std::vector<double> pg(nch * d), pb(nch * d);
  parallel_for(nch, 4 * R * d, [&](int64_t b, int64_t e) {
    std::vector<T> one;
    if (!gamma) one.assign(d, T(1));
    const T* gm = gamma ? gamma : one.data();
    for (int64_t j = b; j < e; ++j) {
      const int64_t r0 = j * R, r1 = std::min(m, r0 + R);
      double* sg = &pg[j * d];
      double* sb = &pb[j * d];
      for (int64_t i = 0; i < d; ++i) sg[i] = sb[i] = 0;
      for (int64_t r = r0; r < r1; r += kRowBlock) {
        const int nb = (int)std::min<int64_t>(kRowBlock, r1 - r);
        const T* p = x + r * d;
        const T* g = dy + r * d;
        // dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat))
        T c1[kRowBlock], c2[kRowBlock];
        for (int q = 0; q < nb; ++q) {
          const T *pq = p + q * d, *gq = g + q * d, mu = mean[r + q], rs = rstd[r + q];
          c1[q] = T(row_sum<T>(d, [&](int64_t i) { return gq[i] * gm[i]; }) / (double)d);
          c2[q] = T(row_sum<T>(d, [&](int64_t i) { return gq[i] * gm[i] * ((pq[i] - mu) * rs); }) / (double)d);
        }
        if (nb == kRowBlock) {
          ln_backward_rows<kRowBlock>(d, p, g, gm, mean + r, rstd + r, c1, c2, dx + r * d, sg, sb);
        } else {
          for (int q = 0; q < nb; ++q)
            ln_backward_rows<1>(d, p + q * d, g + q * d, gm, mean + r + q, rstd + r + q, c1 + q, c2 + q,
                                dx + (r + q) * d, sg, sb);
        }
      }
    }
  });
  // The chunks' partials added in chunk order, a chunk's row at a time (contiguous reads).
  for (int64_t j = 1; j < nch; ++j)
    for (int64_t i = 0; i < d; ++i) {
      pg[i] += pg[j * d + i];
      pb[i] += pb[j * d + i];
    }
  for (int64_t i = 0; i < d; ++i) {
    if (dgamma) dgamma[i] = T(pg[i]);
    if (dbeta) dbeta[i] = T(pb[i]);
  }
}

}  // namespace

void bn_stats(DType dt, int64_t m, int64_t c, const void* x, void* mean, void* var) {
  KT_DISPATCH_FLOAT(dt, T, bn_stats_t<T>(m, c, (const T*)x, (T*)mean, (T*)var));
}

void bn_apply(DType dt, int64_t m, int64_t c, const void* x, const void* mean, const void* var, const void* gamma,
              const void* beta, double eps, void* y) {
  KT_DISPATCH_FLOAT(dt, T, bn_apply_t<T>(m, c, (const T*)x, (const T*)mean, (const T*)var, (const T*)gamma,
                                         (const T*)beta, eps, (T*)y));
}

void bn_backward(DType dt, int64_t m, int64_t c, const void* x, const void* dy, const void* mean, const void* var,
                 const void* gamma, double eps, void* dx, void* dgamma, void* dbeta) {
  KT_DISPATCH_FLOAT(dt, T, bn_backward_t<T>(m, c, (const T*)x, (const T*)dy, (const T*)mean, (const T*)var,
                                            (const T*)gamma, eps, (T*)dx, (T*)dgamma, (T*)dbeta));
}

void ln_forward(DType dt, int64_t m, int64_t d, const void* x, const void* gamma, const void* beta, double eps,
                void* y, void* mean, void* rstd) {
  KT_DISPATCH_FLOAT(dt, T, ln_forward_t<T>(m, d, (const T*)x, (const T*)gamma, (const T*)beta, eps, (T*)y,
                                           (T*)mean, (T*)rstd));
}

void ln_backward(DType dt, int64_t m, int64_t d, const void* x, const void* dy, const void* mean, const void* rstd,
                 const void* gamma, void* dx, void* dgamma, void* dbeta) {
  KT_DISPATCH_FLOAT(dt, T, ln_backward_t<T>(m, d, (const T*)x, (const T*)dy, (const T*)mean, (const T*)rstd,
                                            (const T*)gamma, (T*)dx, (T*)dgamma, (T*)dbeta));
}

}  // namespace cpu
}  // namespace kt
