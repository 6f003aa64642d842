// The CPU kernels: the contract of kernels.inc, in namespace kt::cpu.
#pragma once
#include <cstddef>
#include <cstdint>

#include "conv_shape.h"  // conv family
#include "dtype.h"
#include "geometry.h"
#include "op_codes.h"
#include "pool_geom.h"  // pool family
#include "rnn_step.h"  // rnn family

namespace kt {
namespace cpu {
#include "kernels.inc"

// CPU only: gemm, or with `add` C += A B (BLAS beta = 1).
void gemm_add(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
              int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c, int64_t ldc,
              int64_t stride_c, int64_t batch, bool add);
}  // namespace cpu
}  // namespace kt
