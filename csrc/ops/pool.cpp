// Pooling ops: 2-D max and average pooling over NHWC tensors with TensorFlow's "valid" and "same"
// padding, and their backward ops (1-D pooling is the 2-D op with height 1).
#include <limits>

#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {

PoolGeom pool_geom(const char* op, const Shape& x, const Window2& k, const Window2& s, bool same) {
  KT_CHECK(x.size() == 4, ValueError, op, ": input must be 4-D (batch, height, width, channels), got shape ", x);
  KT_CHECK(k[0] > 0 && k[1] > 0, ValueError, op, ": pool size must be positive, got (", k[0], ", ", k[1], ")");
  KT_CHECK(s[0] > 0 && s[1] > 0, ValueError, op, ": strides must be positive, got (", s[0], ", ", s[1], ")");
  PoolGeom g{x[0], x[1], x[2], x[3], 0, 0, k[0], k[1], s[0], s[1], 0, 0};
  KT_CHECK(g.h * g.w <= std::numeric_limits<int32_t>::max(), ValueError, op, ": image of ", g.h, " x ", g.w,
           " pixels is too large");
  if (same) {
    g.oh = (g.h + g.sh - 1) / g.sh;
    g.ow = (g.w + g.sw - 1) / g.sw;
    g.ph = std::max<int64_t>((g.oh - 1) * g.sh + g.kh - g.h, 0) / 2;  // the odd element goes at the end
    g.pw = std::max<int64_t>((g.ow - 1) * g.sw + g.kw - g.w, 0) / 2;
  } else {
    KT_CHECK(g.h >= g.kh && g.w >= g.kw, ValueError, op, ": pool size (", g.kh, ", ", g.kw,
             ") is larger than the input's spatial size (", g.h, ", ", g.w, ") with 'valid' padding (input shape ",
             x, ")");
    g.oh = (g.h - g.kh) / g.sh + 1;
    g.ow = (g.w - g.kw) / g.sw + 1;
  }
  return g;
}

Tensor float_input(const char* op, const Tensor& x) {
  KT_CHECK(is_floating(x.dtype), TypeError, op, ": input must be float32 or float64, got ", dtype_name(x.dtype));
  return x.contiguous();
}

Shape out_shape(const PoolGeom& g) { return {g.n, g.oh, g.ow, g.c}; }

// The upstream gradient of a backward op: float, of the forward's output shape.
Tensor grad_input(const char* op, const Tensor& dy, const PoolGeom& g) {
  KT_CHECK(dy.shape == out_shape(g), ValueError, op, ": gradient of shape ", dy.shape, " for an output of shape ",
           out_shape(g));
  KT_CHECK(is_floating(dy.dtype), TypeError, op, ": gradient must be float, got ", dtype_name(dy.dtype));
  return dy.contiguous();
}

}  // namespace

std::vector<Tensor> max_pool2d(const Tensor& x_in, const Window2& k, const Window2& s, bool same, bool argmax) {
  const PoolGeom g = pool_geom("max_pool2d", x_in.shape, k, s, same);
  Tensor x = float_input("max_pool2d", x_in);
  std::vector<Tensor> out{Tensor::empty(out_shape(g), x.dtype, x.device())};
  if (argmax) out.push_back(Tensor::empty(out_shape(g), DType::Int32, x.device()));
  if (out[0].numel())
    KT_CALL(x.device(), max_pool2d, x.dtype, g, out[0].data(), argmax ? out[1].data_as<int32_t>() : nullptr,
            x.data());
  return out;
}

Tensor max_pool2d_backward(const Tensor& dy_in, const Tensor& argmax_in, const Shape& input_shape, const Window2& k,
                           const Window2& s, bool same) {
  const char* op = "max_pool2d_backward";
  const PoolGeom g = pool_geom(op, input_shape, k, s, same);
  check_same_device(op, dy_in, argmax_in);
  KT_CHECK(argmax_in.dtype == DType::Int32 && argmax_in.shape == out_shape(g), ValueError, op,
           ": argmax must be int32 of shape ", out_shape(g), ", got ", dtype_name(argmax_in.dtype), " of shape ",
           argmax_in.shape);
  Tensor dy = grad_input(op, dy_in, g), argmax = argmax_in.contiguous();
  Tensor dx = Tensor::empty(input_shape, dy.dtype, dy.device());
  if (!dx.numel()) return dx;
  if (!dy.numel()) return full(input_shape, dy.dtype, dy.device(), 0.0);
  KT_CALL(dy.device(), max_pool2d_backward, dy.dtype, g, dx.data(), dy.data(), argmax.data_as<int32_t>());
  return dx;
}

Tensor avg_pool2d(const Tensor& x_in, const Window2& k, const Window2& s, bool same) {
  const PoolGeom g = pool_geom("avg_pool2d", x_in.shape, k, s, same);
  Tensor x = float_input("avg_pool2d", x_in);
  Tensor out = Tensor::empty(out_shape(g), x.dtype, x.device());
  if (out.numel()) KT_CALL(x.device(), avg_pool2d, x.dtype, g, out.data(), x.data());
  return out;
}

Tensor avg_pool2d_backward(const Tensor& dy_in, const Shape& input_shape, const Window2& k, const Window2& s,
                           bool same) {
  const char* op = "avg_pool2d_backward";
  const PoolGeom g = pool_geom(op, input_shape, k, s, same);
  Tensor dy = grad_input(op, dy_in, g);
  Tensor dx = Tensor::empty(input_shape, dy.dtype, dy.device());
  if (!dx.numel()) return dx;
  if (!dy.numel()) return full(input_shape, dy.dtype, dy.device(), 0.0);
  KT_CALL(dy.device(), avg_pool2d_backward, dy.dtype, g, dx.data(), dy.data());
  return dx;
}

}  // namespace ops
}  // namespace kt
