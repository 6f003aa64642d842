// Recurrent cell steps on the CPU: the shared per-element math of rnn_cell.h over the batch,
// rows spread over the OpenMP threads (each element is independent, so no order to keep).
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "rnn_cell.h"

namespace kt {
namespace cpu {

void rnn_cell(DType dt, bool backward, const RnnStep& s) {
  const int64_t u = s.units;
  // A row costs a few transcendental functions per gate: worth a thread well below the default grain.
  const int64_t work = u * 64;
  KT_DISPATCH_FLOAT(dt, T, {
    parallel_for(s.batch, work, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        if (backward)
          for (int64_t j = 0; j < u; ++j) rnn_backward_elem<T>(s, b, j);
        else
          for (int64_t j = 0; j < u; ++j) rnn_forward_elem<T>(s, b, j);
    });
  });
}

}  // namespace cpu
}  // namespace kt
