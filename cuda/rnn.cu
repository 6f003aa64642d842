// Recurrent cell steps on CUDA: one thread per (sample, unit) applying the per-element math of
// rnn_cell.h, the same formulas as the CPU loop. Elements are independent: no reduction order.
#include "common.cuh"
#include "rnn_cell.h"

namespace kt {
namespace cuda {
namespace {

// ---- kernels ----

// The step description travels by value: its pointers are device pointers.
template <class T>
__global__ void __launch_bounds__(kBlock) rnn_cell_kernel(const RnnStep s, bool backward) {
  const int64_t n = s.batch * s.units;
  KT_GRID_LOOP(i, n) {
    const int64_t b = i / s.units, j = i % s.units;
    if (backward) rnn_backward_elem<T>(s, b, j);
    else rnn_forward_elem<T>(s, b, j);
  }
}

}  // namespace

// ---- entry ----

void rnn_cell(DType dt, bool backward, const RnnStep& s) {
  const int64_t n = s.batch * s.units;
  if (n <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, {
    rnn_cell_kernel<T><<<grid_for(n), kBlock>>>(s, backward);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
