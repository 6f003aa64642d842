// Matrix multiply on the CPU: single-threaded OpenBLAS calls on blocks of C, spread over the
// OpenMP threads. One thread pool for all CPU work: OpenBLAS's own pool would fight ours for
// the cores. Integers use a plain loop.
#include <cblas.h>

#include <mutex>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

template <class T>
void gemm_loop(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
               const T* b, int64_t ldb, T* c, int64_t ldc, bool add) {
  parallel_for(m, n * k, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * ldc + j] = add ? c[i * ldc + j] + acc : acc;
      }
  });
}

template <class T>
void blas(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
          T* c, int64_t ldc, bool add) {
  const CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same<T, float>::value)
    scipy_cblas_sgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb, add ? 1.0f : 0.0f, c, (int)ldc);
  else
    scipy_cblas_dgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1.0, a, (int)lda, b, (int)ldb, add ? 1.0 : 0.0, c, (int)ldc);
}

// One product split into column blocks (or row blocks when C is tall), one block per task.
template <class T>
void blas_parallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b,
                   int64_t ldb, T* c, int64_t ldc, bool add) {
  const int64_t work = m * n * k;
  const int64_t tasks = work < (1 << 18) ? 1 : std::min<int64_t>(num_threads_hint(), std::max(m, n) / 32);
  if (tasks <= 1) return blas(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, add);
  const bool by_cols = n >= m;
  const int64_t len = by_cols ? n : m;
  parallel_for(tasks, kParallelGrain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      // Block edges on multiples of 16 keep the kernels' vector loads aligned.
      int64_t lo = (len * t / tasks) / 16 * 16, hi = t + 1 == tasks ? len : (len * (t + 1) / tasks) / 16 * 16;
      if (hi <= lo) continue;
      if (by_cols)
        blas(ta, tb, m, hi - lo, k, a, lda, tb ? b + lo * ldb : b + lo, ldb, c + lo, ldc, add);
      else
        blas(ta, tb, hi - lo, n, k, ta ? a + lo : a + lo * lda, lda, b, ldb, c + lo * ldc, ldc, add);
    }
  });
}

template <class T>
void gemm_t(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* A, int64_t lda, int64_t stride_a, const T* B,
            int64_t ldb, int64_t stride_b, T* C, int64_t ldc, int64_t stride_c, int64_t batch, bool add) {
  if constexpr (std::is_floating_point<T>::value) {
    if (batch >= num_threads_hint() && m * n * k * batch >= (1 << 18)) {  // many products: one per task
      parallel_for(batch, kParallelGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i)
          blas(ta, tb, m, n, k, A + i * stride_a, lda, B + i * stride_b, ldb, C + i * stride_c, ldc, add);
      });
    } else {
      for (int64_t i = 0; i < batch; ++i)
        blas_parallel(ta, tb, m, n, k, A + i * stride_a, lda, B + i * stride_b, ldb, C + i * stride_c, ldc, add);
    }
  } else {
    for (int64_t i = 0; i < batch; ++i)
      gemm_loop<T>(ta, tb, m, n, k, A + i * stride_a, lda, B + i * stride_b, ldb, C + i * stride_c, ldc, add);
  }
}

}  // namespace

void gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c, int64_t ldc,
          int64_t stride_c, int64_t batch) {
  gemm_add(dt, ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch, false);
}

void gemm_add(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
              int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c, int64_t ldc,
              int64_t stride_c, int64_t batch, bool add) {
  static std::once_flag single;
  std::call_once(single, [] { scipy_openblas_set_num_threads(1); });
  KT_DISPATCH(dt, T, gemm_t<T>(ta, tb, m, n, k, (const T*)a, lda, stride_a, (const T*)b, ldb, stride_b, (T*)c, ldc,
                               stride_c, batch, add));
}

}  // namespace cpu
}  // namespace kt
