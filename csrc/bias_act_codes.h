// The activations bias_act fuses (cpu/bias_act.cpp, cuda/bias_act.cu), as compile-time pairs: the
// forward code and the gradient formula (g, y) -> dx, where Add stands for linear (dx = g). One
// table, so both devices fuse the same activations with the same gradients.
#pragma once
#include "op_codes.h"

namespace kt {

template <UnaryOp A, BinaryOp G>
struct BiasAct {
  static constexpr UnaryOp act = A;
  static constexpr BinaryOp grad = G;
};

// f(BiasAct<...>{}) for the runtime code (any other code: linear; ops/bias_act.cpp checks codes).
template <class F>
void with_bias_act(UnaryOp act, F&& f) {
  switch (act) {
    case UnaryOp::Relu: return f(BiasAct<UnaryOp::Relu, BinaryOp::ReluGrad>{});
    case UnaryOp::Sigmoid: return f(BiasAct<UnaryOp::Sigmoid, BinaryOp::SigmoidGrad>{});
    case UnaryOp::Tanh: return f(BiasAct<UnaryOp::Tanh, BinaryOp::TanhGrad>{});
    default: return f(BiasAct<UnaryOp::Copy, BinaryOp::Add>{});
  }
}

}  // namespace kt
