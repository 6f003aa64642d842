// Scalar formulas of the elementwise ops, shared by the CPU and CUDA kernels.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "hd.h"
#include "op_codes.h"

namespace kt {

// Integer -x that wraps for the most negative value (as numpy) instead of trapping.
template <class T> KT_HD T kt_wrapping_neg(T a) {
  using U = typename std::make_unsigned<T>::type;
  return T(U(0) - U(a));
}

template <class T> KT_HD T kt_floor_div(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) {
    // numpy's divmod: exact remainder first, so 1.0 // 0.1 is 9 and x == (x // y) * y + x % y.
    if (b == 0) return a / b;
    T m = std::fmod(a, b);
    T d = (a - m) / b;
    if (m != 0 && ((b < 0) != (m < 0))) d -= T(1);
    if (d == 0) return std::copysign(T(0), a / b);
    T f = std::floor(d);
    return d - f > T(0.5) ? f + T(1) : f;
  } else if constexpr (std::is_signed<T>::value) {
    if (b == 0) return 0;  // integer division by zero is defined as 0 rather than a trap
    if (b == -1) return kt_wrapping_neg(a);
    T q = a / b;
    return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
  } else {
    return b == 0 ? T(0) : T(a / b);
  }
}

template <class T> KT_HD T kt_mod(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) {
    if (b == 0) return std::fmod(a, b);
    T r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r == 0 ? std::copysign(T(0), b) : r;
  } else if constexpr (std::is_signed<T>::value) {
    if (b == 0 || b == -1) return 0;
    T r = a % b;
    return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
  } else {
    return b == 0 ? T(0) : T(a % b);
  }
}

template <class T> KT_HD T kt_pow(T a, T b) {
  if constexpr (std::is_floating_point<T>::value) {
    return std::pow(a, b);
  } else {
    if (b < 0) return a == 1 ? 1 : 0;
    T r = 1;
    while (b) { if (b & 1) r *= a; a *= a; b >>= 1; }
    return r;
  }
}

template <class T> KT_HD T kt_sigmoid(T x) {
  // Two branches keep exp from overflowing for large |x|.
  if (x >= 0) { T e = std::exp(-x); return T(1) / (T(1) + e); }
  T e = std::exp(x);
  return e / (T(1) + e);
}

template <class T> KT_HD T kt_softplus(T x) {
  return (x > 0 ? x : T(0)) + std::log1p(std::exp(-std::fabs(x)));
}

// Binary formulas; R is the output type (bool ops give uint8_t).
template <BinaryOp OP, class T> KT_HD auto binary_apply(T a, T b) {
  if constexpr (OP == BinaryOp::Add) return T(a + b);
  else if constexpr (OP == BinaryOp::Sub) return T(a - b);
  else if constexpr (OP == BinaryOp::Mul) return T(a * b);
  else if constexpr (OP == BinaryOp::Div) {
    if constexpr (std::is_floating_point<T>::value) return T(a / b);
    else if constexpr (std::is_signed<T>::value) return b == 0 ? T(0) : (b == -1 ? kt_wrapping_neg(a) : T(a / b));
    else return b == 0 ? T(0) : T(a / b);
  }
  else if constexpr (OP == BinaryOp::FloorDiv) return kt_floor_div(a, b);
  else if constexpr (OP == BinaryOp::Mod) return kt_mod(a, b);
  else if constexpr (OP == BinaryOp::Pow) return kt_pow(a, b);
  // max/min propagate NaN like numpy
  else if constexpr (OP == BinaryOp::Maximum) return T((a != a || a > b) ? a : b);
  else if constexpr (OP == BinaryOp::Minimum) return T((a != a || a < b) ? a : b);
  else if constexpr (OP == BinaryOp::Eq) return uint8_t(a == b);
  else if constexpr (OP == BinaryOp::Ne) return uint8_t(a != b);
  else if constexpr (OP == BinaryOp::Lt) return uint8_t(a < b);
  else if constexpr (OP == BinaryOp::Le) return uint8_t(a <= b);
  else if constexpr (OP == BinaryOp::Gt) return uint8_t(a > b);
  else if constexpr (OP == BinaryOp::Ge) return uint8_t(a >= b);
  else if constexpr (OP == BinaryOp::LogicalAnd) return uint8_t((a != 0) && (b != 0));
  else if constexpr (OP == BinaryOp::LogicalOr) return uint8_t((a != 0) || (b != 0));
  else if constexpr (OP == BinaryOp::ReluGrad) return T(b > 0 ? a : T(0));
  else if constexpr (OP == BinaryOp::SigmoidGrad) return T(a * b * (T(1) - b));
  else if constexpr (OP == BinaryOp::TanhGrad) return T(a * (T(1) - b * b));
  else if constexpr (OP == BinaryOp::BceLogits)
    return T((a > 0 ? a : T(0)) - a * b + std::log1p(std::exp(-std::fabs(a))));
  else if constexpr (OP == BinaryOp::BceLogitsGrad) return T(kt_sigmoid(a) - b);
  else return T(0);
}

constexpr bool binary_is_bool_out(BinaryOp op) { return op >= BinaryOp::Eq && op <= BinaryOp::LogicalOr; }
constexpr bool binary_is_float_only(BinaryOp op) { return op >= BinaryOp::ReluGrad; }

// Unary formulas; `alpha` parameterises leaky_relu and elu.
template <UnaryOp OP, class T> KT_HD auto unary_apply(T x, double alpha) {
  if constexpr (OP == UnaryOp::Copy) return x;
  else if constexpr (OP == UnaryOp::Neg) return T(-x);
  else if constexpr (OP == UnaryOp::Abs) return T(x < 0 ? -x : x);
  else if constexpr (OP == UnaryOp::Sign) return x != x ? x : T((x > 0) - (x < 0));
  else if constexpr (OP == UnaryOp::Square) return T(x * x);
  else if constexpr (OP == UnaryOp::Reciprocal) return T(T(1) / x);
  else if constexpr (OP == UnaryOp::Exp) return T(std::exp(x));
  else if constexpr (OP == UnaryOp::Log) return T(std::log(x));
  else if constexpr (OP == UnaryOp::Log1p) return T(std::log1p(x));
  else if constexpr (OP == UnaryOp::Sqrt) return T(std::sqrt(x));
  else if constexpr (OP == UnaryOp::Rsqrt) return T(T(1) / std::sqrt(x));
  else if constexpr (OP == UnaryOp::Sin) return T(std::sin(x));
  else if constexpr (OP == UnaryOp::Cos) return T(std::cos(x));
  else if constexpr (OP == UnaryOp::Erf) return T(std::erf(x));
  else if constexpr (OP == UnaryOp::Floor) return T(std::floor(x));
  else if constexpr (OP == UnaryOp::Ceil) return T(std::ceil(x));
  else if constexpr (OP == UnaryOp::Round) return T(std::nearbyint(x));  // half to even, as numpy
  // written so that NaN passes through, as in numpy
  else if constexpr (OP == UnaryOp::Relu) return T(x < 0 ? T(0) : x);
  else if constexpr (OP == UnaryOp::Relu6) return T(x < 0 ? T(0) : (x > 6 ? T(6) : x));
  else if constexpr (OP == UnaryOp::LeakyRelu) return T(x > 0 ? x : T(alpha) * x);
  else if constexpr (OP == UnaryOp::Elu) return T(x > 0 ? x : T(alpha) * std::expm1(x));
  else if constexpr (OP == UnaryOp::Selu) {
    const T a = T(1.6732632423543772848170429916717), s = T(1.0507009873554804934193349852946);
    return T(x > 0 ? s * x : s * a * std::expm1(x));
  }
  else if constexpr (OP == UnaryOp::Gelu)
    return T(T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))));
  else if constexpr (OP == UnaryOp::GeluTanh)
    return T(T(0.5) * x * (T(1) + std::tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x))));
  else if constexpr (OP == UnaryOp::Sigmoid) return kt_sigmoid(x);
  else if constexpr (OP == UnaryOp::HardSigmoid) {  // Keras 3: relu6(x + 3) / 6
    T y = (x + T(3)) / T(6);
    return T(y < 0 ? T(0) : (y > 1 ? T(1) : y));
  }
  else if constexpr (OP == UnaryOp::Tanh) return T(std::tanh(x));
  else if constexpr (OP == UnaryOp::Softplus) return kt_softplus(x);
  else if constexpr (OP == UnaryOp::Softsign) return T(x / (T(1) + std::fabs(x)));
  else if constexpr (OP == UnaryOp::Silu) return T(x * kt_sigmoid(x));
  else if constexpr (OP == UnaryOp::LogicalNot) return uint8_t(x == 0);
  else if constexpr (OP == UnaryOp::IsNan) return uint8_t(x != x);
  else if constexpr (OP == UnaryOp::IsFinite) return uint8_t(x == x && x - x == 0);
  else return x;
}

constexpr bool unary_is_bool_out(UnaryOp op) { return op >= UnaryOp::LogicalNot; }
// Ops that make sense on integers and bools without converting to float first.
constexpr bool unary_keeps_int(UnaryOp op) {
  return op <= UnaryOp::Square || op == UnaryOp::Relu || op == UnaryOp::Relu6 || op >= UnaryOp::LogicalNot;
}

}  // namespace kt
