// The description of one recurrent time step that the op hands to the cell kernels
// (the kernels.inc contract); the math that reads it is in rnn_cell.h.
//
// Layouts (u = units, gw = gates * u; every row of a (batch, n) operand is n wide unless noted):
//   xw, dxw, drec  (batch, gw)  this step's input projection / its gradient / GRU recurrent grad
//   gates          (batch, gs)  gs = 4u for GRU reset_after (z, r, hh, h@U_h + b_rh), else gw
//   y, y_prev, dy  rows ldy apart (the layer's (batch, time, u) output, written in place)
//   mask           one byte per sample, ldm apart (null: every sample steps)
// Keras masking: a masked sample keeps its state; its output repeats the previous output (zero
// before the first step), or is zero when zero_out (Bidirectional with return_sequences).
#pragma once
#include <cstdint>

namespace kt {

enum RnnKind : int { kRnnSimple = 0, kRnnLstm = 1, kRnnGruAfter = 2, kRnnGruBefore = 3 };
enum RnnAct : int { kActLinear = 0, kActTanh = 1, kActSigmoid = 2, kActRelu = 3, kActHardSigmoid = 4 };

constexpr int rnn_gates(int kind) { return kind == kRnnSimple ? 1 : kind == kRnnLstm ? 4 : 3; }
constexpr int rnn_gate_stride(int kind) { return kind == kRnnGruAfter ? 4 : rnn_gates(kind); }

struct RnnStep {
  int kind = 0, act = kActTanh, ract = kActSigmoid;
  int phase = 0;  // GRU reset_before: 0 = gates z, r (and r * h); 1 = candidate and new state
  bool zero_out = false;
  int64_t batch = 0, units = 0;
  const void* xw = nullptr;
  void* gates = nullptr;
  const void* brec = nullptr;  // GRU reset_after recurrent bias (3u)
  const void* h_prev = nullptr;
  void* h_next = nullptr;
  const void* c_prev = nullptr;
  void* c_next = nullptr;
  const void* y_prev = nullptr;  // null: zeros
  void* y = nullptr;
  int64_t ldy = 0;
  const uint8_t* mask = nullptr;
  int64_t ldm = 0;
  const void* rmask = nullptr;  // recurrent dropout mask (batch, u): the GEMMs see h * rmask
  void* hd = nullptr;           // forward: h_next * rmask, the next step's GEMM input
  void* rh = nullptr;           // GRU reset_before: r * h * rmask (saved, input of the h GEMM)
  // backward: dh holds the direct gradient of h_next on entry and of h_prev on exit; the
  // gradient through the GEMMs of the step after (rec1 + rec2, times rmask) is added on entry.
  void* dxw = nullptr;
  void* drec = nullptr;
  void* dh = nullptr;
  const void* rec1 = nullptr;
  void* rec2 = nullptr;  // GRU reset_before phase 0: d(rh) on entry, its share for h on exit
  void* dc = nullptr;    // LSTM carry gradient, in place
  void* gy = nullptr;    // gradient of the repeated output, carried back through masked steps
  const void* dy = nullptr;
  int64_t lddy = 0;
};

}  // namespace kt
