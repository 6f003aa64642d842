// The op codes that select a formula inside the generic kernels. X-macro lists let every
// device switch over all ops without repeating the names.
#pragma once

// Comparisons and logic (Eq..LogicalOr) produce bool. The *Grad ops take (g, y) with y the
// forward output; BceLogits(x, z) = max(x,0) - x z + log1p(exp(-|x|)), its grad sigmoid(x) - z.
#define KT_BINARY_OPS(X)                                                                 \
  X(Add) X(Sub) X(Mul) X(Div) X(FloorDiv) X(Mod) X(Pow) X(Maximum) X(Minimum) X(Eq) X(Ne) \
  X(Lt) X(Le) X(Gt) X(Ge) X(LogicalAnd) X(LogicalOr) X(ReluGrad) X(SigmoidGrad)           \
  X(TanhGrad) X(BceLogits) X(BceLogitsGrad)

#define KT_UNARY_OPS(X)                                                                      \
  X(Copy) X(Neg) X(Abs) X(Sign) X(Square) X(Reciprocal) X(Exp) X(Log) X(Log1p) X(Sqrt)        \
  X(Rsqrt) X(Sin) X(Cos) X(Erf) X(Floor) X(Ceil) X(Round) X(Relu) X(Relu6) X(LeakyRelu)       \
  X(Elu) X(Selu) X(Gelu) X(GeluTanh) X(Sigmoid) X(HardSigmoid) X(Tanh) X(Softplus)            \
  X(Softsign) X(Silu) X(LogicalNot) X(IsNan) X(IsFinite)

#define KT_ENUM_ENTRY_(NAME) NAME,

namespace kt {

enum class BinaryOp : int { KT_BINARY_OPS(KT_ENUM_ENTRY_) Count };
enum class UnaryOp : int { KT_UNARY_OPS(KT_ENUM_ENTRY_) Count };
enum class ReduceOp : int { Sum, Mean, Prod, Max, Min, ArgMax, ArgMin, Count };
enum class RandomKind : int { Uniform, Normal, TruncatedNormal, Bernoulli };

}  // namespace kt
