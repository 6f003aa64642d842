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

// LSTM with tanh / sigmoid, one sample that steps (not masked): the formulas of rnn_cell.h
// written over per-gate row pointers that cannot alias, so every loop vectorises along the units.
template <class T>
void lstm_forward_row(const RnnStep& s, int64_t b) {
  const int64_t u = s.units, e = b * u;
  const T* __restrict x = (const T*)s.xw + b * 4 * u;
  T* __restrict g = (T*)s.gates + b * 4 * u;
  const T* __restrict cp = (const T*)s.c_prev + e;
  T* __restrict cn = (T*)s.c_next + e;
  T* __restrict hn = (T*)s.h_next + e;
  T* __restrict y = (T*)s.y + b * s.ldy;
#pragma omp simd
  for (int64_t j = 0; j < u; ++j) {
    const T i = rnn_sigmoid(x[j] + g[j]), f = rnn_sigmoid(x[u + j] + g[u + j]);
    const T cc = rnn_tanh(x[2 * u + j] + g[2 * u + j]), o = rnn_sigmoid(x[3 * u + j] + g[3 * u + j]);
    g[j] = i, g[u + j] = f, g[2 * u + j] = cc, g[3 * u + j] = o;
    const T c = f * cp[j] + i * cc, h = o * rnn_tanh(c);
    cn[j] = c, hn[j] = h, y[j] = h;
  }
  if (s.rmask) {
    const T* __restrict rm = (const T*)s.rmask + e;
    T* __restrict hd = (T*)s.hd + e;
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) hd[j] = hn[j] * rm[j];
  }
}

template <class T>
void lstm_backward_row(const RnnStep& s, int64_t b) {
  const int64_t u = s.units, e = b * u;
  const T* __restrict g = (const T*)s.gates + b * 4 * u;
  T* __restrict dx = (T*)s.dxw + b * 4 * u;
  const T* __restrict cp = (const T*)s.c_prev + e;
  const T* __restrict cn = (const T*)s.c_next + e;
  const T* __restrict rec = (const T*)s.rec1 + (s.rec1 ? e : 0);
  const T* __restrict rm = (const T*)s.rmask + (s.rmask ? e : 0);
  const T* __restrict dy = (const T*)s.dy + (s.dy ? b * s.lddy : 0);
  T* __restrict dh = (T*)s.dh + e;
  T* __restrict gy = (T*)s.gy + e;
  T* __restrict dc = (T*)s.dc + e;
  // The gradient reaching h_next, summed in the order of rnn_cell.h: (direct + through the next
  // step's GEMM) + (carried output gradient + this step's output gradient); conditions out of loops.
  if (s.rec1 && s.rmask) {
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) dh[j] = dh[j] + rec[j] * rm[j];
  } else if (s.rec1) {
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) dh[j] = dh[j] + rec[j];
  }
  if (s.dy) {
#pragma omp simd
    for (int64_t j = 0; j < u; ++j) gy[j] = gy[j] + dy[j];
  }
#pragma omp simd
  for (int64_t j = 0; j < u; ++j) {
    const T dcand = dh[j] + gy[j];
    gy[j] = T(0), dh[j] = T(0);
    const T i = g[j], f = g[u + j], cc = g[2 * u + j], o = g[3 * u + j];
    const T ac = rnn_tanh(cn[j]);
    const T dct = dc[j] + dcand * o * (T(1) - ac * ac);
    dx[j] = dct * cc * (i * (T(1) - i));
    dx[u + j] = dct * cp[j] * (f * (T(1) - f));
    dx[2 * u + j] = dct * i * (T(1) - cc * cc);
    dx[3 * u + j] = dcand * ac * (o * (T(1) - o));
    dc[j] = dct * f;
  }
}

template <class T, int KIND, int ACT, int RACT>
void run_rows(bool backward, const RnnStep& s) {
  const int64_t u = s.units;
  // A row costs a few transcendental functions per gate: worth a thread well below the default grain.
  parallel_for(s.batch, u * 32, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      if (KIND == kRnnLstm && ACT == kActTanh && RACT == kActSigmoid && (!s.mask || s.mask[b * s.ldm])) {
        if (backward)
          lstm_backward_row<T>(s, b);
        else
          lstm_forward_row<T>(s, b);
      } else if (backward) {
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
