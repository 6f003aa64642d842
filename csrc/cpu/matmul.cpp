// Matrix multiply on the CPU: OpenBLAS for floats, a plain loop for integers.
#include <cblas.h>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace kt {
namespace cpu {
namespace {

template <class T>
void gemm_loop(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
               const T* b, int64_t ldb, T* c, int64_t ldc) {
  parallel_for(m, n * k, [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (int64_t p = 0; p < k; ++p) acc += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * ldc + j] = acc;
      }
  });
}

}  // namespace

void gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c, int64_t ldc,
          int64_t stride_c, int64_t batch) {
  const CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans, TB = tb ? CblasTrans : CblasNoTrans;
  for (int64_t i = 0; i < batch; ++i) {
    if (dt == DType::Float32) {
      scipy_cblas_sgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1.0f, (const float*)a + i * stride_a,
                        (int)lda, (const float*)b + i * stride_b, (int)ldb, 0.0f, (float*)c + i * stride_c, (int)ldc);
    } else if (dt == DType::Float64) {
      scipy_cblas_dgemm(CblasRowMajor, TA, TB, (int)m, (int)n, (int)k, 1.0, (const double*)a + i * stride_a,
                        (int)lda, (const double*)b + i * stride_b, (int)ldb, 0.0, (double*)c + i * stride_c, (int)ldc);
    } else {
      KT_DISPATCH(dt, T, gemm_loop<T>(ta, tb, m, n, k, (const T*)a + i * stride_a, lda,
                                      (const T*)b + i * stride_b, ldb, (T*)c + i * stride_c, ldc));
    }
  }
}

}  // namespace cpu
}  // namespace kt
