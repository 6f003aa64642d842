// 2-D convolution (NHWC images, (kh, kw, c / groups, oc) kernels) and its two backward ops.
// The backward-input op doubles as the transposed convolution.
#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {

// Checks the arguments and derives the output size; x_shape and w_shape are 4-D.
ConvShape conv_shape(const char* op, const Shape& x, const Shape& w, const Conv2dArgs& a) {
  KT_CHECK(x.size() == 4, ValueError, op, ": input must be 4-D (batch, height, width, channels), got shape ", x);
  KT_CHECK(w.size() == 4, ValueError, op, ": kernel must be 4-D (height, width, in_channels / groups, out_channels)",
           ", got shape ", w);
  KT_CHECK(a.strides[0] > 0 && a.strides[1] > 0, ValueError, op, ": strides must be positive, got (", a.strides[0],
           ", ", a.strides[1], ")");
  KT_CHECK(a.dilations[0] > 0 && a.dilations[1] > 0, ValueError, op, ": dilations must be positive, got (",
           a.dilations[0], ", ", a.dilations[1], ")");
  for (int64_t p : a.pads) KT_CHECK(p >= 0, ValueError, op, ": padding must be non-negative, got ", p);
  KT_CHECK(a.groups > 0, ValueError, op, ": groups must be positive, got ", a.groups);
  KT_CHECK(x[3] % a.groups == 0 && w[3] % a.groups == 0, ValueError, op, ": input channels (", x[3],
           ") and output channels (", w[3], ") must both be divisible by groups (", a.groups, ")");
  KT_CHECK(w[2] * a.groups == x[3], ValueError, op, ": kernel shape ", w, " expects ", w[2] * a.groups,
           " input channels (", w[2], " per group x ", a.groups, " groups), input shape ", x, " has ", x[3]);
  KT_CHECK(w[0] > 0 && w[1] > 0, ValueError, op, ": kernel window must be non-empty, got kernel shape ", w);
  ConvShape s{};
  s.n = x[0], s.h = x[1], s.w = x[2], s.c = x[3];
  s.kh = w[0], s.kw = w[1], s.oc = w[3];
  s.sh = a.strides[0], s.sw = a.strides[1], s.dh = a.dilations[0], s.dw = a.dilations[1];
  s.pt = a.pads[0], s.pl = a.pads[2];
  s.groups = a.groups;
  const int64_t eh = (s.kh - 1) * s.dh + 1, ew = (s.kw - 1) * s.dw + 1;  // dilated window
  const int64_t ph = s.h + a.pads[0] + a.pads[1], pw = s.w + a.pads[2] + a.pads[3];
  KT_CHECK(eh <= ph && ew <= pw, ValueError, op, ": the (dilated) kernel window ", eh, "x", ew,
           " is larger than the padded input ", ph, "x", pw, " (input shape ", x, ", kernel shape ", w, ")");
  s.oh = (ph - eh) / s.sh + 1;
  s.ow = (pw - ew) / s.sw + 1;
  return s;
}

DType check_float(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, a, b);
  KT_CHECK(a.dtype == b.dtype, TypeError, op, ": operands must have the same dtype, got ", dtype_name(a.dtype),
           " and ", dtype_name(b.dtype));
  KT_CHECK(a.dtype == DType::Float32 || a.dtype == DType::Float64, TypeError, op,
           ": only float32 and float64 are supported, got ", dtype_name(a.dtype));
  return a.dtype;
}

Shape out_shape(const ConvShape& s) { return {s.n, s.oh, s.ow, s.oc}; }

void check_grad(const char* op, const Tensor& gy, const ConvShape& s) {
  KT_CHECK(gy.shape == out_shape(s), ValueError, op, ": output gradient has shape ", gy.shape, ", expected ",
           out_shape(s));
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w_in, const Conv2dArgs& a, const Tensor* bias_in, UnaryOp act) {
  DType dt = check_float("conv2d", x_in, w_in);
  ConvShape s = conv_shape("conv2d", x_in.shape, w_in.shape, a);
  Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Tensor bias = bias_in ? epilogue_bias("conv2d", act, *bias_in, s.oc, x) : Tensor();
  if (s.n == 0 || s.oc == 0) return Tensor::empty(out_shape(s), dt, x.device());
  if (s.c == 0) {
    Tensor zeros = full(out_shape(s), dt, x.device(), 0.0);
    return bias_in ? bias_act(zeros, bias, act) : zeros;
  }
  Tensor out = Tensor::empty(out_shape(s), dt, x.device());
  KT_CALL(x.device(), conv2d_forward, dt, s, out.data(), x.data(), w.data(), bias_in ? bias.data() : nullptr, act);
  return out;
}

Tensor conv2d_backward_input(const Tensor& gy_in, const Tensor& w_in, const Shape& x_shape, const Conv2dArgs& a) {
  DType dt = check_float("conv2d_backward_input", gy_in, w_in);
  ConvShape s = conv_shape("conv2d_backward_input", x_shape, w_in.shape, a);
  check_grad("conv2d_backward_input", gy_in, s);
  for (int64_t d : x_shape) KT_CHECK(d >= 0, ValueError, "conv2d_backward_input: negative input shape ", x_shape);
  Tensor gy = gy_in.contiguous(), w = w_in.contiguous();
  if (shape_numel(x_shape) == 0) return Tensor::empty(x_shape, dt, gy.device());
  if (s.oc == 0 || s.oh == 0 || s.ow == 0) return full(x_shape, dt, gy.device(), 0.0);
  Tensor dx = Tensor::empty(x_shape, dt, gy.device());
  KT_CALL(gy.device(), conv2d_backward_input, dt, s, dx.data(), gy.data(), w.data());
  return dx;
}

Tensor conv2d_backward_kernel(const Tensor& x_in, const Tensor& gy_in, const Shape& w_shape, const Conv2dArgs& a) {
  DType dt = check_float("conv2d_backward_kernel", x_in, gy_in);
  ConvShape s = conv_shape("conv2d_backward_kernel", x_in.shape, w_shape, a);
  check_grad("conv2d_backward_kernel", gy_in, s);
  Tensor x = x_in.contiguous(), gy = gy_in.contiguous();
  if (shape_numel(w_shape) == 0) return Tensor::empty(w_shape, dt, x.device());
  if (s.n == 0 || s.oh == 0 || s.ow == 0) return full(w_shape, dt, x.device(), 0.0);
  Tensor dw = Tensor::empty(w_shape, dt, x.device());
  KT_CALL(x.device(), conv2d_backward_kernel, dt, s, dw.data(), x.data(), gy.data());
  return dw;
}

}  // namespace ops
}  // namespace kt
