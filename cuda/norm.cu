// Batch and layer normalization over compact rows [m, c]. Column sums (per channel / feature)
// are taken per chunk of rows by one thread each, then merged per column by one block in a
// fixed tree: every order is set by the shape alone, so results are bitwise stable run to run.
// Statistics accumulate in double, as on the CPU.
#include <cmath>

#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

// ---- device functions ----

// Count, mean and sum of squared deviations of a set of values; merge is Chan et al.'s update.
struct Moments {
  double n, mean, m2;
};

__device__ __forceinline__ Moments merge(Moments a, Moments b) {
  if (b.n == 0) return a;
  if (a.n == 0) return b;
  const double n = a.n + b.n, delta = b.mean - a.mean;
  return Moments{n, a.mean + delta * (b.n / n), a.m2 + b.m2 + delta * delta * (a.n * b.n / n)};
}

// Thread 0 of the block gets the merge of v over the block, in a fixed tree order.
template <class S, class Op>
__device__ __forceinline__ S block_tree(S v, Op op) {
  __shared__ S buf[kBlock];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (int s = kBlock / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s) buf[threadIdx.x] = op(buf[threadIdx.x], buf[threadIdx.x + s]);
    __syncthreads();
  }
  const S r = buf[0];
  __syncthreads();  // buf is reused by the next call
  return r;
}

struct Pair {
  double a, b;
};
__device__ __forceinline__ Pair add(Pair x, Pair y) { return Pair{x.a + y.a, x.b + y.b}; }

// Sums part_a / part_b [nch, width] over chunks for column col: per-thread strided folds, then the tree.
__device__ __forceinline__ Pair column_total(const double* pa, const double* pb, int64_t nch, int64_t width,
                                             int64_t col) {
  Pair s{0, 0};
  for (int64_t j = threadIdx.x; j < nch; j += kBlock) s = add(s, Pair{pa[j * width + col], pb[j * width + col]});
  return block_tree(s, [](Pair x, Pair y) { return add(x, y); });
}

// ---- kernels: batch norm ----

// Thread (chunk j, channel k): the chunk's mean, then squared deviations from it.
template <class T>
__global__ void __launch_bounds__(kBlock) bn_chunk_moments_kernel(const T* x, int64_t m, int64_t c, int64_t rows,
                                                                  int64_t nch, double* pmean, double* pm2) {
  KT_GRID_LOOP(t, nch * c) {
    const int64_t k = t % c, j = t / c, r0 = j * rows, r1 = min(m, r0 + rows);
    double s = 0;
    for (int64_t r = r0; r < r1; ++r) s += (double)x[r * c + k];
    const double mu = s / (double)(r1 - r0);
    double q = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const double d = (double)x[r * c + k] - mu;
      q += d * d;
    }
    pmean[t] = mu;
    pm2[t] = q;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) bn_merge_moments_kernel(const double* pmean, const double* pm2, int64_t m,
                                                                  int64_t c, int64_t rows, int64_t nch, T* mean,
                                                                  T* var) {
  for (int64_t k = blockIdx.x; k < c; k += gridDim.x) {
    Moments acc{0, 0, 0};
    for (int64_t j = threadIdx.x; j < nch; j += kBlock) {
      const double n = (double)(min(m, (j + 1) * rows) - j * rows);
      acc = merge(acc, Moments{n, pmean[j * c + k], pm2[j * c + k]});
    }
    acc = block_tree(acc, [](Moments a, Moments b) { return merge(a, b); });
    if (threadIdx.x == 0) {
      mean[k] = T(acc.mean);
      var[k] = T(acc.m2 / (double)m);
    }
  }
}

// Per channel: scale = gamma / sqrt(var + eps) and the offset, as the CPU computes them.
template <class T>
__global__ void __launch_bounds__(kBlock) bn_scale_kernel(const T* var, const T* gamma, const T* beta, double eps,
                                                          int64_t c, T* scale, T* shift) {
  KT_GRID_LOOP(k, c) {
    scale[k] = T((gamma ? (double)gamma[k] : 1.0) / sqrt((double)var[k] + eps));
    shift[k] = beta ? beta[k] : T(0);
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) bn_apply_kernel(const T* x, const T* mean, const T* scale, const T* shift,
                                                          int64_t total, int64_t c, T* y) {
  KT_GRID_LOOP(i, total) {
    const int64_t k = i % c;
    y[i] = (x[i] - mean[k]) * scale[k] + shift[k];
  }
}

// Thread (chunk j, channel k): sum(dy) and sum(dy * (x - mean)) over the chunk.
template <class T>
__global__ void __launch_bounds__(kBlock) bn_chunk_grad_kernel(const T* x, const T* dy, const T* mean, int64_t m,
                                                               int64_t c, int64_t rows, int64_t nch, double* p1,
                                                               double* p2) {
  KT_GRID_LOOP(t, nch * c) {
    const int64_t k = t % c, j = t / c, r0 = j * rows, r1 = min(m, r0 + rows);
    const double mu = (double)mean[k];
    double a = 0, q = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const double g = (double)dy[r * c + k];
      a += g;
      q += g * ((double)x[r * c + k] - mu);
    }
    p1[t] = a;
    p2[t] = q;
  }
}

// Per channel: dgamma, dbeta and the coefficients of dx = A dy + B (x - mean) + E.
template <class T>
__global__ void __launch_bounds__(kBlock) bn_merge_grad_kernel(const double* p1, const double* p2, const T* var,
                                                               const T* gamma, double eps, int64_t m, int64_t c,
                                                               int64_t nch, T* dgamma, T* dbeta, T* coef) {
  for (int64_t k = blockIdx.x; k < c; k += gridDim.x) {
    const Pair s = column_total(p1, p2, nch, c, k);
    if (threadIdx.x == 0) {
      const double rs = 1.0 / sqrt((double)var[k] + eps), g = gamma ? (double)gamma[k] : 1.0;
      if (dgamma) dgamma[k] = T(s.b * rs);
      if (dbeta) dbeta[k] = T(s.a);
      coef[k] = T(g * rs);
      coef[c + k] = T(-g * rs * rs * rs * s.b / (double)m);
      coef[2 * c + k] = T(-g * rs * s.a / (double)m);
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) bn_dx_kernel(const T* x, const T* dy, const T* mean, const T* coef,
                                                       int64_t total, int64_t c, T* dx) {
  KT_GRID_LOOP(i, total) {
    const int64_t k = i % c;
    dx[i] = coef[k] * dy[i] + coef[c + k] * (x[i] - mean[k]) + coef[2 * c + k];
  }
}

// ---- kernels: layer norm ----

template <class T>
__global__ void __launch_bounds__(kBlock) ln_forward_kernel(const T* x, const T* gamma, const T* beta, double eps,
                                                            int64_t m, int64_t d, int tpr, T* y, T* mean, T* rstd) {
  const auto sum = [](double a, double b) { return a + b; };
  KT_ROW_LOOP(r, lane, m, tpr) {
    const T* p = x + r * d;
    double s = 0;
    for (int64_t i = lane; i < d; i += tpr) s += (double)p[i];
    const double mu = group_allreduce(s, sum, tpr) / (double)d;
    double v = 0;
    for (int64_t i = lane; i < d; i += tpr) {
      const double q = (double)p[i] - mu;
      v += q * q;
    }
    const double rs = 1.0 / sqrt(group_allreduce(v, sum, tpr) / (double)d + eps);
    const T mt = T(mu), rt = T(rs);
    if (lane == 0) {
      mean[r] = mt;
      rstd[r] = rt;
    }
    T* q = y + r * d;
    for (int64_t i = lane; i < d; i += tpr) {
      T h = (p[i] - mt) * rt;
      if (gamma) h = h * gamma[i];
      if (beta) h = h + beta[i];
      q[i] = h;
    }
  }
}

// dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)), one group of threads per row.
template <class T>
__global__ void __launch_bounds__(kBlock) ln_dx_kernel(const T* x, const T* dy, const T* mean, const T* rstd,
                                                       const T* gamma, int64_t m, int64_t d, int tpr, T* dx) {
  const auto sum = [](double a, double b) { return a + b; };
  KT_ROW_LOOP(r, lane, m, tpr) {
    const T* p = x + r * d;
    const T* g = dy + r * d;
    const T mu = mean[r], rs = rstd[r];
    double a = 0, b = 0;
    for (int64_t i = lane; i < d; i += tpr) {
      const T gg = gamma ? g[i] * gamma[i] : g[i];
      a += (double)gg;
      b += (double)gg * (double)((p[i] - mu) * rs);
    }
    const T c1 = T(group_allreduce(a, sum, tpr) / (double)d), c2 = T(group_allreduce(b, sum, tpr) / (double)d);
    T* o = dx + r * d;
    for (int64_t i = lane; i < d; i += tpr) {
      const T gg = gamma ? g[i] * gamma[i] : g[i];
      o[i] = rs * (gg - c1 - (p[i] - mu) * rs * c2);
    }
  }
}

// Thread (chunk j, feature i): sum(dy * xhat) and sum(dy) over the chunk's rows.
template <class T>
__global__ void __launch_bounds__(kBlock) ln_chunk_param_kernel(const T* x, const T* dy, const T* mean,
                                                                const T* rstd, int64_t m, int64_t d, int64_t rows,
                                                                int64_t nch, double* pg, double* pb) {
  KT_GRID_LOOP(t, nch * d) {
    const int64_t i = t % d, j = t / d, r0 = j * rows, r1 = min(m, r0 + rows);
    double a = 0, b = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const T g = dy[r * d + i];
      a += (double)g * (double)((x[r * d + i] - mean[r]) * rstd[r]);
      b += (double)g;
    }
    pg[t] = a;
    pb[t] = b;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) ln_merge_param_kernel(const double* pg, const double* pb, int64_t d,
                                                                int64_t nch, T* dgamma, T* dbeta) {
  for (int64_t i = blockIdx.x; i < d; i += gridDim.x) {
    const Pair s = column_total(pg, pb, nch, d, i);
    if (threadIdx.x == 0) {
      if (dgamma) dgamma[i] = T(s.a);
      if (dbeta) dbeta[i] = T(s.b);
    }
  }
}

// ---- launchers ----

unsigned column_blocks(int64_t c) { return (unsigned)std::min<int64_t>(std::max<int64_t>(c, 1), kMaxGrid); }

template <class T>
void bn_stats_t(int64_t m, int64_t c, const T* x, T* mean, T* var) {
  const int64_t rows = chunk_rows(m, c), nch = (m + rows - 1) / rows;
  DeviceBuffer pmean(nch * c * sizeof(double)), pm2(nch * c * sizeof(double));
  bn_chunk_moments_kernel<T><<<grid_for(nch * c), kBlock>>>(x, m, c, rows, nch, pmean.as<double>(),
                                                            pm2.as<double>());
  KT_LAUNCH_CHECK();
  bn_merge_moments_kernel<T><<<column_blocks(c), kBlock>>>(pmean.as<double>(), pm2.as<double>(), m, c, rows, nch,
                                                           mean, var);
  KT_LAUNCH_CHECK();
}

template <class T>
void bn_apply_t(int64_t m, int64_t c, const T* x, const T* mean, const T* var, const T* gamma, const T* beta,
                double eps, T* y) {
  DeviceBuffer sc(2 * c * sizeof(T));
  T* scale = sc.as<T>();
  bn_scale_kernel<T><<<grid_for(c), kBlock>>>(var, gamma, beta, eps, c, scale, scale + c);
  KT_LAUNCH_CHECK();
  bn_apply_kernel<T><<<grid_for(m * c), kBlock>>>(x, mean, scale, scale + c, m * c, c, y);
  KT_LAUNCH_CHECK();
}

template <class T>
void bn_backward_t(int64_t m, int64_t c, const T* x, const T* dy, const T* mean, const T* var, const T* gamma,
                   double eps, T* dx, T* dgamma, T* dbeta) {
  const int64_t rows = chunk_rows(m, c), nch = (m + rows - 1) / rows;
  DeviceBuffer p1(nch * c * sizeof(double)), p2(nch * c * sizeof(double)), coef(3 * c * sizeof(T));
  bn_chunk_grad_kernel<T><<<grid_for(nch * c), kBlock>>>(x, dy, mean, m, c, rows, nch, p1.as<double>(),
                                                         p2.as<double>());
  KT_LAUNCH_CHECK();
  bn_merge_grad_kernel<T><<<column_blocks(c), kBlock>>>(p1.as<double>(), p2.as<double>(), var, gamma, eps, m, c, nch,
                                                        dgamma, dbeta, coef.as<T>());
  KT_LAUNCH_CHECK();
  bn_dx_kernel<T><<<grid_for(m * c), kBlock>>>(x, dy, mean, coef.as<T>(), m * c, c, dx);
  KT_LAUNCH_CHECK();
}

template <class T>
void ln_forward_t(int64_t m, int64_t d, const T* x, const T* gamma, const T* beta, double eps, T* y, T* mean,
                  T* rstd) {
  const int tpr = row_group(m, d);
  ln_forward_kernel<T><<<row_grid(m, tpr), kBlock>>>(x, gamma, beta, eps, m, d, tpr, y, mean, rstd);
  KT_LAUNCH_CHECK();
}

template <class T>
void ln_backward_t(int64_t m, int64_t d, const T* x, const T* dy, const T* mean, const T* rstd, const T* gamma,
                   T* dx, T* dgamma, T* dbeta) {
  const int tpr = row_group(m, d);
  ln_dx_kernel<T><<<row_grid(m, tpr), kBlock>>>(x, dy, mean, rstd, gamma, m, d, tpr, dx);
  KT_LAUNCH_CHECK();
  if (!dgamma && !dbeta) return;
  const int64_t rows = chunk_rows(m, d), nch = (m + rows - 1) / rows;
  DeviceBuffer pg(nch * d * sizeof(double)), pb(nch * d * sizeof(double));
  ln_chunk_param_kernel<T><<<grid_for(nch * d), kBlock>>>(x, dy, mean, rstd, m, d, rows, nch, pg.as<double>(),
                                                          pb.as<double>());
  KT_LAUNCH_CHECK();
  ln_merge_param_kernel<T><<<column_blocks(d), kBlock>>>(pg.as<double>(), pb.as<double>(), d, nch, dgamma, dbeta);
  KT_LAUNCH_CHECK();
}

}  // namespace

// ---- entries ----

void bn_stats(DType dt, int64_t m, int64_t c, const void* x, void* mean, void* var) {
  if (m <= 0 || c <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, bn_stats_t<T>(m, c, (const T*)x, (T*)mean, (T*)var));
}

void bn_apply(DType dt, int64_t m, int64_t c, const void* x, const void* mean, const void* var, const void* gamma,
              const void* beta, double eps, void* y) {
  if (m <= 0 || c <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, bn_apply_t<T>(m, c, (const T*)x, (const T*)mean, (const T*)var, (const T*)gamma,
                                         (const T*)beta, eps, (T*)y));
}

void bn_backward(DType dt, int64_t m, int64_t c, const void* x, const void* dy, const void* mean, const void* var,
                 const void* gamma, double eps, void* dx, void* dgamma, void* dbeta) {
  if (m <= 0 || c <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, bn_backward_t<T>(m, c, (const T*)x, (const T*)dy, (const T*)mean, (const T*)var,
                                            (const T*)gamma, eps, (T*)dx, (T*)dgamma, (T*)dbeta));
}

void ln_forward(DType dt, int64_t m, int64_t d, const void* x, const void* gamma, const void* beta, double eps,
                void* y, void* mean, void* rstd) {
  if (m <= 0 || d <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, ln_forward_t<T>(m, d, (const T*)x, (const T*)gamma, (const T*)beta, eps, (T*)y,
                                           (T*)mean, (T*)rstd));
}

void ln_backward(DType dt, int64_t m, int64_t d, const void* x, const void* dy, const void* mean, const void* rstd,
                 const void* gamma, void* dx, void* dgamma, void* dbeta) {
  if (m <= 0 || d <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, ln_backward_t<T>(m, d, (const T*)x, (const T*)dy, (const T*)mean, (const T*)rstd,
                                            (const T*)gamma, (T*)dx, (T*)dgamma, (T*)dbeta));
}

}  // namespace cuda
}  // namespace kt
