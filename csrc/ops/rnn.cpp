// Whole-sequence recurrent layers (SimpleRNN, LSTM, GRU) forward and backward through time.
// The caller has done the input projection xw = x @ W + b for all steps as one GEMM (time
// major: (time, batch, gw)). Here, per step, h @ U is one GEMM written into the step's gate
// buffer and one fused cell kernel applies the nonlinearities and the state update (rnn_cell.h);
// backward, per step, one fused kernel gives the gate gradients and one GEMM sends them through
// U, and dU is one GEMM over all steps at the end. The loop stays in native code: no per-step
// host round trip. Recurrent dropout takes one (batch, u) mask shared by the gates, or one per
// gate (g, batch, u) as Keras 3's implementation 1: then the GEMMs run per gate on h * mask_g
// and the op applies the masks itself (the cell kernels see no mask, except GRU reset_before's
// r * h * mask_h).
#include <algorithm>
#include <array>

#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

#include "cpu/parallel.h"
#include "rnn_step.h"

namespace kt {
namespace ops {
namespace {

const char* kind_name(int kind) {
  return kind == kRnnSimple ? "SimpleRNN" : kind == kRnnLstm ? "LSTM" : "GRU";
}

struct Dims {
  int kind;
  int64_t T, B, u, gw, gs;
  size_t es;
  char* at(const Tensor& t, int64_t elems) const { return (char*)t.data() + elems * (int64_t)es; }
};

Tensor prep(const Tensor& t, DType dt, Device dev, const Shape& shape, const char* what, int kind) {
  KT_CHECK(t.shape == shape, ValueError, kind_name(kind), " recurrence: ", what, " must have shape ", shape, ", got ",
           t.shape);
  KT_CHECK(t.device() == dev, ValueError, kind_name(kind), " recurrence: ", what, " is on ", t.device().str(),
           ", the inputs on ", dev.str());
  return (t.dtype == dt ? t : cast(t, dt)).contiguous();
}

Tensor prep_mask(const Tensor& m, Device dev, int64_t B, int64_t T, int kind) {
  Tensor mk = prep(m, m.dtype, dev, {B, T}, "mask", kind);
  return mk.dtype == DType::Bool ? mk : binary(BinaryOp::Ne, mk, full({}, mk.dtype, dev, 0.0));
}

// The recurrent dropout mask: (B, u) shared by the gates, or (g, B, u) one per gate.
Tensor prep_rmask(const Tensor& m, DType dt, Device dev, int64_t g, int64_t B, int64_t u, int kind) {
  if (m.ndim() == 3) return prep(m, dt, dev, {g, B, u}, "per-gate recurrent dropout mask", kind);
  return prep(m, dt, dev, {B, u}, "recurrent dropout mask", kind);
}

void step_gemm(const Tensor& like, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
               const void* b, int64_t ldb, void* c, int64_t ldc) {
  KT_CALL(like.device(), gemm, like.dtype, false, tb, m, n, k, a, lda, 0, b, ldb, 0, c, ldc, 0, 1);
}

// Runs loop(b0, nb) over slices of the batch rows [0, B). On the CPU, batches of at least two
// slices run their slices on the threads side by side: each slice's whole time loop in one
// parallel region (its GEMMs and cell kernels then run on that thread), instead of a fork and
// join per GEMM and per cell kernel every step. The slices (kSliceRows rows) depend on the
// shape alone, so the results do not depend on the thread count.
constexpr int64_t kSliceRows = 32;

template <class F>
void for_row_slices(Device dev, int64_t B, F&& loop) {
  const int64_t slices = (B + kSliceRows - 1) / kSliceRows;
  if (dev.is_cuda() || slices < 2) return loop(0, B);
  cpu::parallel_for(slices, cpu::kParallelGrain, [&](int64_t s0, int64_t s1) {
    for (int64_t sl = s0; sl < s1; ++sl) {
      const int64_t b0 = sl * kSliceRows;
      loop(b0, std::min(kSliceRows, B - b0));
    }
  });
}

// out = a * b over (gates, n rows, u) values, each operand given by its first element and its
// strides between gates and between rows (units are compact): the per-gate masking of rows
// [b0, b0 + n) in a slice's loop, without tensor ops.
void mul_gates(Device dev, DType dt, int64_t g, int64_t n, int64_t u, void* out, std::array<int64_t, 2> so,
               const void* a, std::array<int64_t, 2> sa, const void* b, std::array<int64_t, 2> sb) {
  Geometry geo;
  geo.ndim = 3, geo.nops = 3, geo.numel = g * n * u;
  const int64_t shape[3] = {g, n, u};
  const std::array<int64_t, 2>* st[3] = {&so, &sa, &sb};
  for (int d = 0; d < 3; ++d) {
    geo.shape[d] = shape[d];
    for (int k = 0; k < 3; ++k) geo.strides[k][d] = d < 2 ? (*st[k])[d] : 1;
  }
  KT_CALL(dev, binary, BinaryOp::Mul, dt, geo, out, a, b);
}

// A view of rows [lo, lo + n) of a (rows, B, u) buffer.
Tensor rows(const Tensor& t, int64_t lo, int64_t n) {
  Shape s = t.shape;
  s[0] = n;
  return t.as_strided(s, t.strides, t.offset + lo * t.strides[0]);
}

}  // namespace

std::vector<Tensor> rnn_forward(int kind, int act, int ract, const Tensor& xw_in, const Tensor& u_in,
                                const Tensor* brec_in, const Tensor& h0_in, const Tensor* c0_in,
                                const Tensor* mask_in, const Tensor* rmask_in, bool reverse, bool zero_out) {
  KT_CHECK(kind >= kRnnSimple && kind <= kRnnGruBefore, ValueError, "rnn_forward: unknown kind ", kind);
  KT_CHECK(act >= kActLinear && act <= kActHardSigmoid && ract >= kActLinear && ract <= kActHardSigmoid, ValueError,
           kind_name(kind), " recurrence: unknown activation code");
  KT_CHECK(xw_in.ndim() == 3, ValueError, kind_name(kind),
           " recurrence: the input projection must be (time, batch, gates * units), got shape ", xw_in.shape);
  KT_CHECK(is_floating(xw_in.dtype), TypeError, kind_name(kind), " recurrence: inputs must be float32 or float64, got ",
           dtype_name(xw_in.dtype));
  const DType dt = xw_in.dtype;
  const Device dev = xw_in.device();
  const int64_t T = xw_in.shape[0], B = xw_in.shape[1], g = rnn_gates(kind);
  KT_CHECK(u_in.ndim() == 2 && u_in.shape[1] == g * u_in.shape[0] && u_in.shape[0] > 0, ValueError, kind_name(kind),
           " recurrence: recurrent kernel must be (units, ", g, " * units), got shape ", u_in.shape);
  const int64_t u = u_in.shape[0];
  Dims d{kind, T, B, u, g * u, rnn_gate_stride(kind) * u, dtype_size(dt)};
  KT_CHECK(xw_in.shape[2] == d.gw, ValueError, kind_name(kind), " recurrence: input projection has ", xw_in.shape[2],
           " columns, expected ", d.gw, " for ", u, " units");
  KT_CHECK(T >= 1, ValueError, kind_name(kind), " recurrence: needs at least one time step");
  Tensor xw = xw_in.contiguous(), U = prep(u_in, dt, dev, u_in.shape, "recurrent kernel", kind);
  Tensor h0 = prep(h0_in, dt, dev, {B, u}, "initial state h", kind);
  Tensor brec, c0, mask, rmask;
  if (brec_in) brec = prep(*brec_in, dt, dev, {d.gw}, "recurrent bias", kind);
  KT_CHECK(kind == kRnnLstm ? c0_in != nullptr : c0_in == nullptr, ValueError, kind_name(kind),
           " recurrence: the carry state c is given exactly for LSTM");
  if (c0_in) c0 = prep(*c0_in, dt, dev, {B, u}, "initial state c", kind);
  if (mask_in) mask = prep_mask(*mask_in, dev, B, T, kind);
  const bool per_gate = rmask_in && rmask_in->ndim() == 3;
  if (rmask_in) rmask = prep_rmask(*rmask_in, dt, dev, g, B, u, kind);

  const int64_t ns = kind == kRnnLstm ? 2 : 1, ldy = (T + ns) * u;
  // packed: the outputs (batch, time, u) in processing order, then the final states.
  Tensor packed = Tensor::empty({B, T + ns, u}, dt, dev);
  Tensor H = Tensor::empty({T + 1, B, u}, dt, dev);
  Tensor C = kind == kRnnLstm ? Tensor::empty({T + 1, B, u}, dt, dev) : Tensor::empty({0}, dt, dev);
  Tensor G = Tensor::empty({T, B, d.gs}, dt, dev);
  Tensor RH = kind == kRnnGruBefore ? Tensor::empty({T, B, u}, dt, dev) : Tensor::empty({0}, dt, dev);
  // The next step's GEMM input h * rmask, written by the cell kernel (per gate: only GRU
  // reset_before's kernel writes it, with the h gate's mask, and nothing reads it).
  Tensor hd = !rmask_in ? Tensor() : per_gate ? Tensor::empty({B, u}, dt, dev)
                                              : binary(BinaryOp::Mul, h0, rmask).contiguous();
  Tensor hg = per_gate ? Tensor::empty({g, B, u}, dt, dev) : Tensor();  // per gate: h * mask_k
  const int64_t first = reverse ? T : 0, last = reverse ? 0 : T;
  {
    Tensor h_first = rows(H, first, 1).view({B, u});
    copy_(h_first, h0);
    if (kind == kRnnLstm) {
      Tensor c_first = rows(C, first, 1).view({B, u});
      copy_(c_first, c0);
    }
  }
  const int64_t bu = B * u;
  RnnStep st;
  st.kind = kind, st.act = act, st.ract = ract, st.zero_out = zero_out, st.batch = B, st.units = u;
  st.brec = brec_in ? brec.data() : nullptr;
  st.ldy = ldy;
  st.ldm = T;
  st.rmask = !rmask_in ? nullptr : !per_gate ? rmask.data() : kind == kRnnGruBefore ? d.at(rmask, 2 * bu) : nullptr;
  st.hd = st.rmask ? hd.data() : nullptr;
  // The time loop over batch rows [b0, b0 + nb): rows never mix, so slices of the batch can run
  // their whole loops side by side (see for_row_slices).
  auto loop = [&](int64_t b0, int64_t nb) {
    RnnStep sl = st;
    sl.batch = nb;
    const int64_t ro = b0 * u;  // offset of row b0 in a (B, u) buffer
    if (sl.rmask) sl.rmask = (const char*)sl.rmask + ro * d.es;
    if (sl.hd) sl.hd = (char*)sl.hd + ro * d.es;
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t, tn = reverse ? t : t + 1;
      sl.xw = d.at(xw, (t * B + b0) * d.gw);
      sl.gates = d.at(G, (t * B + b0) * d.gs);
      sl.h_prev = d.at(H, tp * bu + ro);
      sl.h_next = d.at(H, tn * bu + ro);
      if (kind == kRnnLstm) sl.c_prev = d.at(C, tp * bu + ro), sl.c_next = d.at(C, tn * bu + ro);
      sl.y = d.at(packed, b0 * ldy + s * u);
      sl.y_prev = s ? d.at(packed, b0 * ldy + (s - 1) * u) : nullptr;
      sl.mask = mask_in ? mask.data_as<uint8_t>() + b0 * T + t : nullptr;
      // (h * rmask) @ U[:, :n] into the step's gates: one GEMM, or one per gate on its own mask.
      auto h_gemm = [&](int64_t n) {
        if (!per_gate) return step_gemm(G, false, nb, n, u, rmask_in ? sl.hd : sl.h_prev, u, U.data(), d.gw,
                                        sl.gates, d.gs);
        mul_gates(dev, dt, n / u, nb, u, d.at(hg, ro), {bu, u}, sl.h_prev, {0, u}, d.at(rmask, ro), {bu, u});
        for (int64_t k = 0; k < n / u; ++k)
          step_gemm(G, false, nb, u, u, d.at(hg, k * bu + ro), u, d.at(U, k * u), d.gw,
                    (char*)sl.gates + k * u * d.es, d.gs);
      };
      if (kind != kRnnGruBefore) {
        h_gemm(d.gw);
        KT_CALL(dev, rnn_cell, dt, false, sl);
      } else {
        sl.rh = d.at(RH, t * bu + ro);
        h_gemm(2 * u);
        sl.phase = 0;
        KT_CALL(dev, rnn_cell, dt, false, sl);
        step_gemm(G, false, nb, u, u, sl.rh, u, d.at(U, 2 * u), d.gw, (char*)sl.gates + 2 * u * d.es, d.gs);
        sl.phase = 1;
        KT_CALL(dev, rnn_cell, dt, false, sl);
      }
    }
  };
  for_row_slices(dev, B, loop);
  for (int64_t k = 0; k < ns; ++k) {
    Tensor dst = packed.as_strided({B, u}, {ldy, 1}, (T + k) * u);
    copy_(dst, rows(k ? C : H, last, 1).view({B, u}));
  }
  return {packed, H, C, G, RH};
}

std::vector<Tensor> rnn_backward(int kind, int act, int ract, const Tensor& u_in, const Tensor& H, const Tensor& C,
                                 const Tensor& G, const Tensor& RH, const Tensor* mask_in, const Tensor* rmask_in,
                                 bool reverse, bool zero_out, const Tensor& dpacked_in) {
  KT_CHECK(kind >= kRnnSimple && kind <= kRnnGruBefore, ValueError, "rnn_backward: unknown kind ", kind);
  const DType dt = G.dtype;
  const Device dev = G.device();
  KT_CHECK(G.ndim() == 3 && H.ndim() == 3 && u_in.ndim() == 2, ValueError, kind_name(kind),
           " recurrence backward: saved buffers have the wrong rank");
  const int64_t T = G.shape[0], B = G.shape[1], u = u_in.shape[0], g = rnn_gates(kind);
  Dims d{kind, T, B, u, g * u, rnn_gate_stride(kind) * u, dtype_size(dt)};
  const int64_t ns = kind == kRnnLstm ? 2 : 1, ldy = (T + ns) * u, bu = B * u;
  KT_CHECK(G.shape[2] == d.gs && H.shape == Shape({T + 1, B, u}), ValueError, kind_name(kind),
           " recurrence backward: saved buffers do not match the recurrent kernel");
  Tensor U = prep(u_in, dt, dev, {u, d.gw}, "recurrent kernel", kind);
  Tensor dpacked = prep(dpacked_in, dt, dev, {B, T + ns, u}, "output gradient", kind);
  Tensor mask, rmask;
  if (mask_in) mask = prep_mask(*mask_in, dev, B, T, kind);
  const bool per_gate = rmask_in && rmask_in->ndim() == 3;
  if (rmask_in) rmask = prep_rmask(*rmask_in, dt, dev, g, B, u, kind);

  Tensor dxw = Tensor::empty({T, B, d.gw}, dt, dev);
  Tensor drec = kind == kRnnGruAfter ? Tensor::empty({T, B, d.gw}, dt, dev) : dxw;
  Tensor dh = dpacked.as_strided({B, u}, {ldy, 1}, dpacked.offset + T * u).clone();
  Tensor dc = kind == kRnnLstm ? dpacked.as_strided({B, u}, {ldy, 1}, dpacked.offset + (T + 1) * u).clone()
                               : Tensor::empty({0}, dt, dev);
  Tensor gy = full({B, u}, dt, dev, 0.0);
  Tensor rec1 = Tensor::empty({B, u}, dt, dev);
  Tensor rec2 = kind == kRnnGruBefore ? Tensor::empty({B, u}, dt, dev) : Tensor();
  // Per gate: recg holds each gate's share of the gradient of h_prev, sum_k recg[k] * mask_k
  // (`through`) is what the step before adds to its dh; the kernels then see no mask.
  Tensor recg = per_gate ? Tensor::empty({g, B, u}, dt, dev) : Tensor(), through;
  if (per_gate && kind == kRnnGruBefore) rec2 = rows(recg, 2, 1).view({B, u});
  // Per gate, the products recg[k] * mask_k of a slice's rows [b0, b0 + nb), compact at g * b0 * u
  // (summed over the gates into `through`).
  Tensor prod = per_gate ? Tensor::empty({g, B, u}, dt, dev) : Tensor();
  if (per_gate) through = Tensor::empty({B, u}, dt, dev);
  RnnStep st;
  st.kind = kind, st.act = act, st.ract = ract, st.zero_out = zero_out, st.batch = B, st.units = u;
  st.ldm = T;
  st.lddy = ldy;
  st.rmask = rmask_in && !per_gate ? rmask.data() : nullptr;
  st.dh = dh.data();
  st.gy = gy.data();
  st.dc = kind == kRnnLstm ? dc.data() : nullptr;
  // Backward through time over batch rows [b0, b0 + nb) (rows never mix).
  auto loop = [&](int64_t b0, int64_t nb) {
    RnnStep sl = st;
    sl.batch = nb;
    const int64_t ro = b0 * u;  // offset of row b0 in a (B, u) buffer
    auto row = [&](const Tensor& t) { return (char*)t.data() + ro * d.es; };
    if (sl.rmask) sl.rmask = (const char*)sl.rmask + ro * d.es;
    sl.dh = row(dh), sl.gy = row(gy);
    if (kind == kRnnLstm) sl.dc = row(dc);
    for (int64_t s = T - 1; s >= 0; --s) {
      const int64_t t = reverse ? T - 1 - s : s, tp = reverse ? t + 1 : t, tn = reverse ? t : t + 1;
      sl.gates = d.at(G, (t * B + b0) * d.gs);
      sl.h_prev = d.at(H, tp * bu + ro);
      sl.h_next = d.at(H, tn * bu + ro);
      if (kind == kRnnLstm) sl.c_prev = d.at(C, tp * bu + ro), sl.c_next = d.at(C, tn * bu + ro);
      sl.dy = d.at(dpacked, b0 * ldy + s * u);
      sl.mask = mask_in ? mask.data_as<uint8_t>() + b0 * T + t : nullptr;
      sl.dxw = d.at(dxw, (t * B + b0) * d.gw);
      sl.drec = kind == kRnnGruAfter ? d.at(drec, (t * B + b0) * d.gw) : nullptr;
      const bool later = s < T - 1;  // a processed step after this one sent gradient through its GEMMs
      sl.rec1 = !later ? nullptr : per_gate ? row(through) : row(rec1);
      sl.rec2 = later && kind == kRnnGruBefore && !per_gate ? row(rec2) : nullptr;
      // d(gates) @ U[:, :n]^T: into rec1, or per gate into recg.
      auto back_gemm = [&](const void* dgates, int64_t n) {
        if (!per_gate) return step_gemm(G, true, nb, u, n, dgates, d.gw, U.data(), d.gw, row(rec1), u);
        for (int64_t k = 0; k < n / u; ++k)
          step_gemm(G, true, nb, u, u, (const char*)dgates + k * u * d.es, d.gw, d.at(U, k * u), d.gw,
                    d.at(recg, k * bu + ro), u);
      };
      if (kind != kRnnGruBefore) {
        KT_CALL(dev, rnn_cell, dt, true, sl);
        back_gemm(d.at(drec, (t * B + b0) * d.gw), d.gw);
      } else {
        sl.phase = 1;
        KT_CALL(dev, rnn_cell, dt, true, sl);
        step_gemm(G, true, nb, u, u, (char*)sl.dxw + 2 * u * d.es, d.gw, d.at(U, 2 * u), d.gw, row(rec2), u);
        sl.phase = 0;
        sl.rec2 = row(rec2);
        const void* shared = sl.rmask;
        if (per_gate) sl.rmask = d.at(rmask, 2 * bu + ro);  // d(r * h * mask_h) needs the h gate's mask
        KT_CALL(dev, rnn_cell, dt, true, sl);
        sl.rmask = shared;
        back_gemm(sl.dxw, 2 * u);
      }
      if (per_gate) {
        char* p = d.at(prod, g * ro);
        mul_gates(dev, dt, g, nb, u, p, {nb * u, u}, d.at(recg, ro), {bu, u}, d.at(rmask, ro), {bu, u});
        KT_CALL(dev, reduce, ReduceOp::Sum, dt, row(through), p, 1, g, nb * u);
      }
    }
  };
  for_row_slices(dev, B, loop);
  // The gradient of h0: direct, plus through the first step's GEMMs.
  if (!per_gate) {
    through = kind == kRnnGruBefore ? binary(BinaryOp::Add, rec1, rec2) : rec1;
    if (rmask_in) through = binary(BinaryOp::Mul, through, rmask);
  }
  Tensor dh0 = binary(BinaryOp::Add, dh, through);
  // dU = sum over steps of (GEMM input)^T @ (gate gradient): one GEMM over all steps (per gate
  // with its own mask: one per gate).
  Tensor du = Tensor::empty({u, d.gw}, dt, dev);
  const int64_t TB = T * B, n_h = kind == kRnnGruBefore ? 2 * u : d.gw;
  const Tensor& dg = kind == kRnnGruBefore ? dxw : drec;
  Tensor hs = rows(H, reverse ? 1 : 0, T);
  for (int64_t k = 0; k < (per_gate ? n_h / u : 1); ++k) {
    Tensor hin = !rmask_in ? hs : binary(BinaryOp::Mul, hs, per_gate ? rows(rmask, k, 1) : rmask);
    hin = hin.contiguous();
    const int64_t n = per_gate ? u : n_h;
    KT_CALL(dev, gemm, dt, true, false, u, n, TB, hin.data(), u, 0, d.at(dg, k * u), d.gw, 0, d.at(du, k * u), d.gw,
            0, 1);
  }
  if (kind == kRnnGruBefore)
    KT_CALL(dev, gemm, dt, true, false, u, u, TB, RH.data(), u, 0, d.at(dxw, 2 * u), d.gw, 0, d.at(du, 2 * u), d.gw,
            0, 1);
  Tensor dbrec = kind == kRnnGruAfter ? reduce(ReduceOp::Sum, drec, {0, 1}, false) : Tensor::empty({0}, dt, dev);
  return {dxw, du, dbrec, dh0, kind == kRnnLstm ? dc : Tensor::empty({0}, dt, dev)};
}

}  // namespace ops
}  // namespace kt
