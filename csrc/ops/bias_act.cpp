// bias_act: y = act(x + bias), bias broadcast over the last axis, in one pass; its backward gives
// dx and dbias in one pass over the gradient and y. The layers' Conv/Dense epilogue.
#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {

void check_act(const char* op, UnaryOp act) {
  KT_CHECK(act == UnaryOp::Copy || act == UnaryOp::Relu || act == UnaryOp::Sigmoid || act == UnaryOp::Tanh,
           ValueError, op, ": the activation must be Copy (linear), Relu, Sigmoid or Tanh, got code ", int(act));
}

Tensor float_input(const char* op, const char* what, const Tensor& x) {
  KT_CHECK(is_floating(x.dtype), TypeError, op, ": ", what, " must be float32 or float64, got ", dtype_name(x.dtype));
  KT_CHECK(x.ndim() >= 1, ValueError, op, ": ", what, " must have at least one axis, got a scalar");
  return x.contiguous();
}

}  // namespace

Tensor epilogue_bias(const char* op, UnaryOp act, const Tensor& bias, int64_t c, const Tensor& like) {
  check_act(op, act);
  check_same_device(op, like, bias);
  KT_CHECK(bias.shape == Shape{c}, ValueError, op, ": bias must have shape (", c, ",), got ", bias.shape,
           " (input shape ", like.shape, ")");
  KT_CHECK(is_floating(bias.dtype), TypeError, op, ": bias must be float, got ", dtype_name(bias.dtype));
  return (bias.dtype == like.dtype ? bias : cast(bias, like.dtype)).contiguous();
}

Tensor bias_act(const Tensor& x_in, const Tensor& bias_in, UnaryOp act) {
  const char* op = "bias_act";
  Tensor x = float_input(op, "input", x_in);
  const int64_t c = x.shape.back();
  Tensor bias = epilogue_bias(op, act, bias_in, c, x);
  Tensor y = Tensor::empty(x.shape, x.dtype, x.device());
  if (!y.numel()) return y;
  KT_CALL(x.device(), bias_act, act, x.dtype, x.numel() / c, c, x.data(), bias.data(), y.data());
  return y;
}

std::vector<Tensor> bias_act_backward(const Tensor& g_in, const Tensor& y_in, UnaryOp act) {
  const char* op = "bias_act_backward";
  check_act(op, act);
  Tensor g = float_input(op, "gradient", g_in);
  const int64_t c = g.shape.back();
  Tensor dbias = full({c}, g.dtype, g.device(), 0.0);
  if (act == UnaryOp::Copy) {  // linear: dx is the gradient itself, only the column sums are needed
    if (g.numel()) KT_CALL(g.device(), bias_act_backward, act, g.dtype, g.numel() / c, c, g.data(), nullptr,
                           nullptr, dbias.data());
    return {g, dbias};
  }
  check_same_device(op, g, y_in);
  KT_CHECK(y_in.shape == g.shape && y_in.dtype == g.dtype, ValueError, op, ": the output must match the gradient (",
           g.shape, " ", dtype_name(g.dtype), "), got ", y_in.shape, " ", dtype_name(y_in.dtype));
  Tensor y = y_in.contiguous();
  Tensor dx = Tensor::empty(g.shape, g.dtype, g.device());
  if (g.numel()) KT_CALL(g.device(), bias_act_backward, act, g.dtype, g.numel() / c, c, g.data(), y.data(),
                         dx.data(), dbias.data());
  return {dx, dbias};
}

}  // namespace ops
}  // namespace kt
