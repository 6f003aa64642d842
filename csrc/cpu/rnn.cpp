// Recurrent cell steps on the CPU: the shared per-element math of rnn_cell.h over the batch,
// rows spread over the OpenMP threads (each element is independent, so no order to keep). The
// default activations (tanh, sigmoid) get loops specialised per kind, which the compiler
// vectorises along the units.
#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "rnn_cell.h"

namespace kt {
namespace cpu {
namespace {

template <class T, int KIND, int ACT, int RACT>
void run_rows(bool backward, const RnnStep& s) {
  const int64_t u = s.units;
  // A row costs a few transcendental functions per gate: worth a thread well below the default grain.
  parallel_for(s.batch, u * 32, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      if (backward) {
#pragma omp simd
        for (int64_t j = 0; j < u; ++j) rnn_backward_elem<T, KIND, ACT, RACT>(s, b, j);
      } else {
#pragma omp simd
        for (int64_t j = 0; j < u; ++j) rnn_forward_elem<T, KIND, ACT, RACT>(s, b, j);
      }
  });
}

template <class T>
void dispatch(bool backward, const RnnStep& s) {
  if (s.act != kActTanh || s.ract != kActSigmoid) return run_rows<T, -1, -1, -1>(backward, s);
  switch (s.kind) {
    case kRnnSimple: return run_rows<T, kRnnSimple, kActTanh, kActSigmoid>(backward, s);
    case kRnnLstm: return run_rows<T, kRnnLstm, kActTanh, kActSigmoid>(backward, s);
    case kRnnGruAfter: return run_rows<T, kRnnGruAfter, kActTanh, kActSigmoid>(backward, s);
    default: return run_rows<T, kRnnGruBefore, kActTanh, kActSigmoid>(backward, s);
  }
}

}  // namespace

void rnn_cell(DType dt, bool backward, const RnnStep& s) {
  KT_DISPATCH_FLOAT(dt, T, dispatch<T>(backward, s));
}

}  // namespace cpu
}  // namespace kt
