// Per-element update rules of the fused optimizer steps (Keras 3 formulas), shared by CPU and CUDA.
// hp: [lr, a, b, c, d, e, f, weight_decay]; the meaning of a..f depends on the optimizer.
// The kind is a template parameter so each loop compiles to straight-line, vectorisable code.
#pragma once
#include <cmath>

#include "hd.h"

namespace kt {

enum OptimKind : int { kSGD = 0, kRMSprop = 1, kAdam = 2, kAdagrad = 3 };

// Hyperparameters converted once to the variable's type.
template <class T>
struct OptimParams {
  T lr, a, b, c, d, e, wd;
  bool fa, fb;  // flags: SGD nesterov / RMSprop centered / Adam amsgrad, and "momentum > 0"
  KT_HD explicit OptimParams(const double* hp)
      : lr(T(hp[0])), a(T(hp[1])), b(T(hp[2])), c(T(hp[3])), d(T(hp[4])), e(T(hp[5])), wd(T(hp[7])),
        fa(false), fb(false) {}
};

template <class T>
inline OptimParams<T> optim_params(int kind, const double* hp) {
  OptimParams<T> p(hp);
  if (kind == kSGD) { p.fa = hp[2] != 0; p.fb = hp[1] != 0; }
  if (kind == kRMSprop) { p.fa = hp[4] != 0; p.fb = hp[2] > 0; }
  if (kind == kAdam) { p.fa = hp[5] != 0; }
  return p;
}

template <int KIND, class T>
KT_HD void optim_apply(T& var, T g, T* s1, T* s2, T* s3, const OptimParams<T>& p) {
  T v0 = var - var * p.wd * p.lr;  // decoupled weight decay, before the step (wd = 0: unchanged)
  if (KIND == kSGD) {  // a = momentum, fa = nesterov, fb = momentum != 0
    if (!p.fb) { var = v0 - p.lr * g; return; }
    T v = p.a * *s1 - p.lr * g;
    *s1 = v;
    var = v0 + (p.fa ? p.a * v - p.lr * g : v);
  } else if (KIND == kRMSprop) {  // a = rho, b = momentum, c = epsilon, fa = centered, fb = momentum > 0
    T vel = p.a * *s1 + (T(1) - p.a) * g * g;
    *s1 = vel;
    T denom = vel + p.c;
    if (p.fa) {
      T avg = p.a * *s3 + (T(1) - p.a) * g;
      *s3 = avg;
      denom -= avg * avg;
    }
    T inc = p.lr * g / std::sqrt(denom);
    if (p.fb) { T m = p.b * *s2 + inc; *s2 = m; var = v0 - m; }
    else var = v0 - inc;
  } else if (KIND == kAdam) {  // a = beta1, b = beta2, c = epsilon, d = lr * bias correction, fa = amsgrad
    T m = *s1 + (g - *s1) * (T(1) - p.a);
    T v = *s2 + (g * g - *s2) * (T(1) - p.b);
    *s1 = m;
    *s2 = v;
    if (p.fa) { v = v < *s3 ? *s3 : v; *s3 = v; }
    var = v0 - p.d * m / (std::sqrt(v) + p.c);
  } else if (KIND == kAdagrad) {  // a = epsilon
    T acc = *s1 + g * g;
    *s1 = acc;
    var = v0 - p.lr * g / std::sqrt(acc + p.a);
  }
}

}  // namespace kt
