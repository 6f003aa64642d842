// Per-element update rules of the fused optimizer steps (Keras 3 formulas), shared by CPU and CUDA.
// hp: [lr, a, b, c, d, e, f, weight_decay]; the meaning of a..f depends on the optimizer.
#pragma once
#include <cmath>

#include "hd.h"

namespace kt {

enum OptimKind : int { kSGD = 0, kRMSprop = 1, kAdam = 2, kAdagrad = 3 };

template <class T>
KT_HD void optim_apply(int kind, T& var, T g, T* s1, T* s2, T* s3, const double* hp) {
  const T lr = T(hp[0]);
  if (hp[7] != 0) var -= var * T(hp[7]) * lr;  // decoupled weight decay, before the step
  if (kind == kSGD) {  // a = momentum, b = nesterov
    const T mom = T(hp[1]);
    if (mom == T(0)) { var -= lr * g; return; }
    T v = mom * *s1 - lr * g;
    *s1 = v;
    var += hp[2] != 0 ? mom * v - lr * g : v;
  } else if (kind == kRMSprop) {  // a = rho, b = momentum, c = epsilon, d = centered
    const T rho = T(hp[1]), mom = T(hp[2]), eps = T(hp[3]);
    T vel = rho * *s1 + (T(1) - rho) * g * g;
    *s1 = vel;
    T denom = vel + eps;
    if (hp[4] != 0) {
      T avg = rho * *s3 + (T(1) - rho) * g;
      *s3 = avg;
      denom -= avg * avg;
    }
    T inc = lr * g / std::sqrt(denom);
    if (mom > T(0)) { T m = mom * *s2 + inc; *s2 = m; var -= m; }
    else var -= inc;
  } else if (kind == kAdam) {  // a = beta1, b = beta2, c = epsilon, d = lr * bias correction, e = amsgrad
    const T b1 = T(hp[1]), b2 = T(hp[2]), eps = T(hp[3]), alpha = T(hp[4]);
    T m = *s1 + (g - *s1) * (T(1) - b1);
    T v = *s2 + (g * g - *s2) * (T(1) - b2);
    *s1 = m;
    *s2 = v;
    if (hp[5] != 0) { if (v < *s3) v = *s3; *s3 = v; }
    var -= alpha * m / (std::sqrt(v) + eps);
  } else if (kind == kAdagrad) {  // a = epsilon
    T acc = *s1 + g * g;
    *s1 = acc;
    var -= lr * g / std::sqrt(acc + T(hp[1]));
  }
}

}  // namespace kt
