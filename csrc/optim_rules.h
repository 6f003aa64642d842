// Per-element update rules of the fused optimizer steps (Keras 3 formulas), shared by CPU and CUDA.
// hp: [lr, a, b, c, d, e, f, weight_decay]; the meaning of a..f depends on the optimizer.
// The kind and the two flags are template parameters, so each loop compiles to straight-line,
// vectorisable code that touches only the slots it uses.
#pragma once
#include <cmath>

#include "hd.h"

namespace kt {

enum OptimKind : int { kSGD = 0, kRMSprop = 1, kAdam = 2, kAdagrad = 3, kNadam = 4, kAdamax = 5 };

// Hyperparameters converted once to the variable's type.
template <class T>
struct OptimParams {
  T lr, a, b, c, d, e, f, wd;
  KT_HD explicit OptimParams(const double* hp)
      : lr(T(hp[0])), a(T(hp[1])), b(T(hp[2])), c(T(hp[3])), d(T(hp[4])), e(T(hp[5])), f(T(hp[6])), wd(T(hp[7])) {}
};

// The two flags of each kind: SGD (nesterov, momentum != 0), RMSprop (centered, momentum > 0),
// Adam (amsgrad, -), Adagrad, Nadam and Adamax (-, -).
inline bool optim_flag_a(int kind, const double* hp) {
  return kind == kSGD ? hp[2] != 0 : kind == kRMSprop ? hp[4] != 0 : kind == kAdam ? hp[5] != 0 : false;
}
inline bool optim_flag_b(int kind, const double* hp) {
  return kind == kSGD ? hp[1] != 0 : kind == kRMSprop ? hp[2] > 0 : false;
}

template <int KIND, bool FA, bool FB, class T>
KT_HD void optim_apply(T& var, T g, T* s1, T* s2, T* s3, const OptimParams<T>& p) {
  T v0 = var - var * p.wd * p.lr;  // decoupled weight decay, before the step (wd = 0: unchanged)
  if constexpr (KIND == kSGD) {  // a = momentum
    if constexpr (!FB) {
      var = v0 - p.lr * g;
    } else {
      T v = p.a * *s1 - p.lr * g;
      *s1 = v;
      var = v0 + (FA ? p.a * v - p.lr * g : v);
    }
  } else if constexpr (KIND == kRMSprop) {  // a = rho, b = momentum, c = epsilon
    T vel = p.a * *s1 + (T(1) - p.a) * g * g;
    *s1 = vel;
    T denom = vel + p.c;
    if constexpr (FA) {
      T avg = p.a * *s3 + (T(1) - p.a) * g;
      *s3 = avg;
      denom -= avg * avg;
    }
    T inc = p.lr * g / std::sqrt(denom);
    if constexpr (FB) {
      T m = p.b * *s2 + inc;
      *s2 = m;
      var = v0 - m;
    } else {
      var = v0 - inc;
    }
  } else if constexpr (KIND == kAdam) {  // a = beta1, b = beta2, c = epsilon, d = lr * bias correction
    T m = *s1 + (g - *s1) * (T(1) - p.a);
    T v = *s2 + (g * g - *s2) * (T(1) - p.b);
    *s1 = m;
    *s2 = v;
    if constexpr (FA) {
      v = v < *s3 ? *s3 : v;
      *s3 = v;
    }
    var = v0 - p.d * m / (std::sqrt(v) + p.c);
  } else if constexpr (KIND == kAdagrad) {  // a = epsilon
    T acc = *s1 + g * g;
    *s1 = acc;
    var = v0 - p.lr * g / std::sqrt(acc + p.a);
  } else if constexpr (KIND == kNadam) {
    // a = beta1, b = beta2, c = epsilon, d = u_{t+1} / (1 - prod u_1..u_{t+1}),
    // e = (1 - u_t) / (1 - prod u_1..u_t), f = 1 - beta2^t (the momentum-decay products come from the host).
    T m = *s1 + (g - *s1) * (T(1) - p.a);
    T v = *s2 + (g * g - *s2) * (T(1) - p.b);
    *s1 = m;
    *s2 = v;
    T m_hat = p.d * m + p.e * g;
    var = v0 - m_hat * p.lr / (std::sqrt(v / p.f) + p.c);
  } else if constexpr (KIND == kAdamax) {  // a = beta1, b = beta2, c = epsilon, d = 1 - beta1^t
    T m = *s1 + (g - *s1) * (T(1) - p.a);
    T bu = p.b * *s2, ag = g < T(0) ? -g : g;
    T u = bu < ag ? ag : bu;
    *s1 = m;
    *s2 = u;
    var = v0 - p.lr * m / (p.d * (u + p.c));
  }
}

// Calls f.template operator()<KIND, FA, FB>() for the runtime kind and flags.
template <class F>
void optim_dispatch(int kind, bool fa, bool fb, F&& f) {
#define KT_OPTIM_FLAGS_(K)                                                        \
  (fa ? (fb ? f.template operator()<K, true, true>() : f.template operator()<K, true, false>())   \
      : (fb ? f.template operator()<K, false, true>() : f.template operator()<K, false, false>()))
  switch (kind) {
    case kSGD: KT_OPTIM_FLAGS_(kSGD); break;
    case kRMSprop: KT_OPTIM_FLAGS_(kRMSprop); break;
    case kAdam: KT_OPTIM_FLAGS_(kAdam); break;
    case kAdagrad: KT_OPTIM_FLAGS_(kAdagrad); break;
    case kNadam: KT_OPTIM_FLAGS_(kNadam); break;
    case kAdamax: KT_OPTIM_FLAGS_(kAdamax); break;
    default: break;
  }
#undef KT_OPTIM_FLAGS_
}

}  // namespace kt
