// Batch and layer normalization over compact rows [m, c]. Column (per-channel / per-feature)
// sums are taken per chunk of rows, chunks sized by the shape alone, then combined in chunk
// order: the result never depends on the number of threads. Statistics accumulate in double.
#include <cmath>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

// Rows per chunk: about 16K elements (a chunk stays in cache between its passes), at most 4096 chunks.
int64_t chunk_rows(int64_t rows, int64_t width) {
  const int64_t by_size = std::max<int64_t>(1, 16384 / std::max<int64_t>(width, 1));
  return std::max<int64_t>(by_size, (rows + 4095) / 4096);
}

constexpr int kLanes = 8;  // independent accumulators of a row sum: vectorised, in a fixed order

template <class F>
double row_sum(int64_t n, F f) {
  double acc[kLanes] = {0};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
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
      const double mu = row_sum(d, [&](int64_t i) { return (double)p[i]; }) / (double)d;
      const double v = row_sum(d, [&](int64_t i) {
        const double q = p[i] - mu;
        return q * q;
      }) / (double)d;
      const double rs = 1.0 / std::sqrt(v + eps);
      mean[r] = T(mu);
      rstd[r] = T(rs);
      const T mt = T(mu), rt = T(rs);
      T* q = y + r * d;
      if (gamma && beta) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt * gamma[i] + beta[i];
      else if (gamma) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt * gamma[i];
      else if (beta) for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt + beta[i];
      else for (int64_t i = 0; i < d; ++i) q[i] = (p[i] - mt) * rt;
    }
  });
}

template <class T>
void ln_backward_t(int64_t m, int64_t d, const T* x, const T* dy, const T* mean, const T* rstd, const T* gamma,
                   T* dx, T* dgamma, T* dbeta) {
  const int64_t R = chunk_rows(m, d), nch = (m + R - 1) / R;
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
      for (int64_t r = r0; r < r1; ++r) {
        const T* p = x + r * d;
        const T* g = dy + r * d;
        const T mu = mean[r], rs = rstd[r];
        // dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat))
        const double c1 = row_sum(d, [&](int64_t i) { return (double)g[i] * gm[i]; }) / (double)d;
        const double c2 = row_sum(d, [&](int64_t i) {
          return (double)g[i] * gm[i] * (double)((p[i] - mu) * rs);
        }) / (double)d;
        const T c1t = T(c1), c2t = T(c2);
        T* o = dx + r * d;
        for (int64_t i = 0; i < d; ++i) {
          const T xh = (p[i] - mu) * rs;
          o[i] = rs * (g[i] * gm[i] - c1t - xh * c2t);
          sg[i] += (double)g[i] * xh;
          sb[i] += g[i];
        }
      }
    }
  });
  for (int64_t i = 0; i < d; ++i) {
    double a = 0, b = 0;
    for (int64_t j = 0; j < nch; ++j) {
      a += pg[j * d + i];
      b += pb[j * d + i];
    }
    if (dgamma) dgamma[i] = T(a);
    if (dbeta) dbeta[i] = T(b);
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
