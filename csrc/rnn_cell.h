// One time step of a recurrent layer (SimpleRNN, LSTM, GRU) for a batch: the per-element gate
// math, forward and backward, shared by the CPU and CUDA kernels (cpu/rnn.cpp, cuda/rnn.cu) so
// both devices compute the same formulas. The matrix products around it are GEMMs done by the
// op (ops/rnn.cpp): the input projection x @ W + b for all steps before the loop, and per step
// h @ U into `gates`, which the forward kernel then turns into the saved activations in place.
// Layouts and masking: rnn_step.h.
#pragma once
#include <bit>
#include <cmath>
#include <type_traits>

#include "hd.h"
#include "rnn_step.h"
#include "scalar_ops.h"

namespace kt {

// float on the CPU: branch-free exp, sigmoid and tanh the compiler can vectorise (libm's calls
// cannot be), accurate to a few float ulps; double and CUDA use the library functions.
#if !defined(__CUDA_ARCH__)
inline float rnn_exp(float x) {
  x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
  const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // ln 2 in two parts
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  return p * std::bit_cast<float>(((int32_t)n + 127) << 23);
}
#endif

template <class T>
KT_HD T rnn_sigmoid(T x) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same<T, float>::value) return 1.0f / (1.0f + rnn_exp(-x));
#endif
  return kt_sigmoid(x);
}

template <class T>
KT_HD T rnn_tanh(T x) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same<T, float>::value) {
    const float big = 1.0f - 2.0f / (1.0f + rnn_exp(2.0f * x)), x2 = x * x;
    const float small = x * (1.0f - x2 * (1.0f / 3.0f - x2 * (2.0f / 15.0f)));  // series near 0
    return (x2 < 0.0025f) ? small : big;
  }
#endif
  return std::tanh(x);
}

template <class T>
KT_HD T rnn_act(int a, T x) {
  switch (a) {
    case kActTanh: return rnn_tanh(x);
    case kActSigmoid: return rnn_sigmoid(x);
    case kActRelu: return x > T(0) ? x : T(0);
    case kActHardSigmoid: return x <= T(-3) ? T(0) : x >= T(3) ? T(1) : x / T(6) + T(0.5);
    default: return x;
  }
}

// The derivative, from the activation's output y.
template <class T>
KT_HD T rnn_act_grad(int a, T y) {
  switch (a) {
    case kActTanh: return T(1) - y * y;
    case kActSigmoid: return y * (T(1) - y);
    case kActRelu: return y > T(0) ? T(1) : T(0);
    case kActHardSigmoid: return (y > T(0) && y < T(1)) ? T(1) / T(6) : T(0);
    default: return T(1);
  }
}

// KIND, ACT, RACT >= 0 fix the kind and activations at compile time (the CPU's vectorised
// loops for the default activations); -1 reads them from the step.
template <class T, int KIND = -1, int ACT = -1, int RACT = -1>
KT_HD void rnn_forward_elem(const RnnStep& s_in, int64_t b, int64_t j) {
  RnnStep s = s_in;
  if (KIND >= 0) s.kind = KIND;
  if (ACT >= 0) s.act = ACT, s.ract = RACT;
  const int64_t u = s.units, gw = rnn_gates(s.kind) * u, gs = rnn_gate_stride(s.kind) * u;
  const T* x = (const T*)s.xw + b * gw;
  T* g = (T*)s.gates + b * gs;
  const int64_t e = b * u + j;
  const T hp = ((const T*)s.h_prev)[e];
  const T rm = s.rmask ? ((const T*)s.rmask)[e] : T(1);
  T h;
  if (s.kind == kRnnSimple) {
    h = g[j] = rnn_act(s.act, x[j] + g[j]);
  } else if (s.kind == kRnnLstm) {
    const T i = rnn_act(s.ract, x[j] + g[j]), f = rnn_act(s.ract, x[u + j] + g[u + j]);
    const T cc = rnn_act(s.act, x[2 * u + j] + g[2 * u + j]), o = rnn_act(s.ract, x[3 * u + j] + g[3 * u + j]);
    g[j] = i, g[u + j] = f, g[2 * u + j] = cc, g[3 * u + j] = o;
    const T cp = ((const T*)s.c_prev)[e], c = f * cp + i * cc;
    h = o * rnn_act(s.act, c);
    const bool m = !s.mask || s.mask[b * s.ldm];
    ((T*)s.c_next)[e] = m ? c : cp;
  } else if (s.kind == kRnnGruAfter) {
    const T* br = (const T*)s.brec;
    const T rz = g[j] + (br ? br[j] : T(0)), rr = g[u + j] + (br ? br[u + j] : T(0));
    const T rhv = g[2 * u + j] + (br ? br[2 * u + j] : T(0));
    const T z = rnn_act(s.ract, x[j] + rz), r = rnn_act(s.ract, x[u + j] + rr);
    const T hh = rnn_act(s.act, x[2 * u + j] + r * rhv);
    g[j] = z, g[u + j] = r, g[2 * u + j] = hh, g[3 * u + j] = rhv;
    h = z * hp + (T(1) - z) * hh;
  } else if (s.phase == 0) {  // GRU reset_before, gates: the h GEMM then reads r * h
    const T z = rnn_act(s.ract, x[j] + g[j]), r = rnn_act(s.ract, x[u + j] + g[u + j]);
    g[j] = z, g[u + j] = r;
    ((T*)s.rh)[e] = r * hp * rm;
    return;
  } else {
    const T z = g[j], hh = rnn_act(s.act, x[2 * u + j] + g[2 * u + j]);
    g[2 * u + j] = hh;
    h = z * hp + (T(1) - z) * hh;
  }
  const bool m = !s.mask || s.mask[b * s.ldm];
  const T hn = m ? h : hp;
  ((T*)s.h_next)[e] = hn;
  T* y = (T*)s.y + b * s.ldy;
  y[j] = m ? h : (s.zero_out || !s.y_prev) ? T(0) : ((const T*)s.y_prev)[b * s.ldy + j];
  if (s.rmask) ((T*)s.hd)[e] = hn * rm;
}

template <class T, int KIND = -1, int ACT = -1, int RACT = -1>
KT_HD void rnn_backward_elem(const RnnStep& s_in, int64_t b, int64_t j) {
  RnnStep s = s_in;
  if (KIND >= 0) s.kind = KIND;
  if (ACT >= 0) s.act = ACT, s.ract = RACT;
  const int64_t u = s.units, gw = rnn_gates(s.kind) * u, gs = rnn_gate_stride(s.kind) * u;
  const T* g = (const T*)s.gates + b * gs;
  T* dx = (T*)s.dxw + b * gw;
  const int64_t e = b * u + j;
  const T hp = ((const T*)s.h_prev)[e];
  const T rm = s.rmask ? ((const T*)s.rmask)[e] : T(1);
  const bool m = !s.mask || s.mask[b * s.ldm];
  if (s.kind == kRnnGruBefore && s.phase == 0) {  // second half: r from d(r * h * rmask)
    T* rec = (T*)s.rec2;
    const T drh = rec[e], r = g[u + j];
    dx[u + j] = m ? drh * hp * rm * rnn_act_grad(s.ract, r) : T(0);
    rec[e] = drh * r;
    return;
  }
  // The gradient reaching h_next: directly, and through the next step's GEMMs.
  T dh = ((T*)s.dh)[e];
  if (s.rec1) dh += (((const T*)s.rec1)[e] + (s.rec2 ? ((const T*)s.rec2)[e] : T(0))) * rm;
  T* gyp = (T*)s.gy;
  const T gy = gyp[e] + (s.dy ? ((const T*)s.dy)[b * s.lddy + j] : T(0));
  gyp[e] = (m || s.zero_out) ? T(0) : gy;
  const T dcand = m ? dh + gy : T(0);
  T dprev = m ? T(0) : dh;  // a masked sample passed h through
  if (s.kind == kRnnSimple) {
    dx[j] = dcand * rnn_act_grad(s.act, g[j]);
  } else if (s.kind == kRnnLstm) {
    T* dcp = (T*)s.dc;
    const T i = g[j], f = g[u + j], cc = g[2 * u + j], o = g[3 * u + j];
    if (m) {
      const T ac = rnn_act(s.act, ((const T*)s.c_next)[e]);
      const T dct = dcp[e] + dcand * o * rnn_act_grad(s.act, ac);
      dx[j] = dct * cc * rnn_act_grad(s.ract, i);
      dx[u + j] = dct * ((const T*)s.c_prev)[e] * rnn_act_grad(s.ract, f);
      dx[2 * u + j] = dct * i * rnn_act_grad(s.act, cc);
      dx[3 * u + j] = dcand * ac * rnn_act_grad(s.ract, o);
      dcp[e] = dct * f;
    } else {
      dx[j] = dx[u + j] = dx[2 * u + j] = dx[3 * u + j] = T(0);
    }
  } else {
    const T z = g[j], hh = g[2 * u + j];
    const T dz = dcand * (hp - hh) * rnn_act_grad(s.ract, z);
    const T dph = dcand * (T(1) - z) * rnn_act_grad(s.act, hh);
    dx[j] = dz;
    dx[2 * u + j] = dph;
    if (m) dprev = dcand * z;
    if (s.kind == kRnnGruAfter) {
      const T r = g[u + j];
      dx[u + j] = dph * g[3 * u + j] * rnn_act_grad(s.ract, r);
      T* dr = (T*)s.drec + b * gw;
      dr[j] = dz, dr[u + j] = dx[u + j], dr[2 * u + j] = dph * r;
    }
  }
  ((T*)s.dh)[e] = dprev;
}

}  // namespace kt
