// Normalization ops: batch norm over the last axis (channels; every other axis is reduced) and
// layer norm over the trailing axes from begin_axis. Both see x as compact rows [m, c].
#include <limits>

#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor float_rows(const char* op, const Tensor& x) {
  KT_CHECK(is_floating(x.dtype), TypeError, op, ": input must be float32 or float64, got ", dtype_name(x.dtype));
  KT_CHECK(x.ndim() >= 1, ValueError, op, ": input must have at least one axis, got a scalar");
  return x.contiguous();
}

// A per-channel (or per-feature) operand: the given shape, on x's device, cast to x's dtype.
Tensor param(const char* op, const char* what, const Tensor& t, const Shape& shape, const Tensor& x) {
  check_same_device(op, x, t);
  KT_CHECK(t.shape == shape, ValueError, op, ": ", what, " must have shape ", shape, ", got ", t.shape,
           " (input shape ", x.shape, ")");
  KT_CHECK(is_floating(t.dtype), TypeError, op, ": ", what, " must be float, got ", dtype_name(t.dtype));
  return (t.dtype == x.dtype ? t : cast(t, x.dtype)).contiguous();
}

const void* data_or_null(const std::optional<Tensor>& t) { return t ? t->data() : nullptr; }

std::optional<Tensor> opt_param(const char* op, const char* what, const std::optional<Tensor>& t, const Shape& shape,
                                const Tensor& x) {
  if (!t) return std::nullopt;
  return param(op, what, *t, shape, x);
}

int64_t begin_of(const char* op, int64_t begin_axis, const Tensor& x) {
  KT_CHECK(begin_axis >= -x.ndim() && begin_axis < x.ndim(), ValueError, op, ": begin_axis ", begin_axis,
           " is out of range for an input of rank ", x.ndim());
  return begin_axis < 0 ? begin_axis + x.ndim() : begin_axis;
}

}  // namespace

std::vector<Tensor> batch_norm_stats(const Tensor& x_in) {
  const char* op = "batch_norm_stats";
  Tensor x = float_rows(op, x_in);
  const int64_t c = x.shape.back(), m = c ? x.numel() / c : 0;
  Tensor mean = Tensor::empty({c}, x.dtype, x.device()), var = Tensor::empty({c}, x.dtype, x.device());
  if (c == 0) return {mean, var};
  if (m == 0) return {full({c}, x.dtype, x.device(), kNaN), full({c}, x.dtype, x.device(), kNaN)};
  KT_CALL(x.device(), bn_stats, x.dtype, m, c, x.data(), mean.data(), var.data());
  return {mean, var};
}

Tensor batch_norm_apply(const Tensor& x_in, const Tensor& mean_in, const Tensor& var_in,
                        const std::optional<Tensor>& gamma_in, const std::optional<Tensor>& beta_in, double eps) {
  const char* op = "batch_norm";
  Tensor x = float_rows(op, x_in);
  const Shape ch{x.shape.back()};
  Tensor mean = param(op, "mean", mean_in, ch, x), var = param(op, "variance", var_in, ch, x);
  auto gamma = opt_param(op, "scale (gamma)", gamma_in, ch, x), beta = opt_param(op, "offset (beta)", beta_in, ch, x);
  Tensor y = Tensor::empty(x.shape, x.dtype, x.device());
  if (!y.numel()) return y;
  const int64_t c = ch[0], m = x.numel() / c;
  KT_CALL(x.device(), bn_apply, x.dtype, m, c, x.data(), mean.data(), var.data(), data_or_null(gamma),
          data_or_null(beta), eps, y.data());
  return y;
}

std::vector<Tensor> batch_norm_backward(const Tensor& x_in, const Tensor& dy_in, const Tensor& mean_in,
                                        const Tensor& var_in, const std::optional<Tensor>& gamma_in, double eps) {
  const char* op = "batch_norm_backward";
  Tensor x = float_rows(op, x_in);
  const Shape ch{x.shape.back()};
  Tensor dy = param(op, "gradient", dy_in, x.shape, x);
  Tensor mean = param(op, "mean", mean_in, ch, x), var = param(op, "variance", var_in, ch, x);
  auto gamma = opt_param(op, "scale (gamma)", gamma_in, ch, x);
  Tensor dx = Tensor::empty(x.shape, x.dtype, x.device());
  Tensor dgamma = full(ch, x.dtype, x.device(), 0.0), dbeta = full(ch, x.dtype, x.device(), 0.0);
  if (!x.numel()) return {dx, dgamma, dbeta};
  const int64_t c = ch[0], m = x.numel() / c;
  KT_CALL(x.device(), bn_backward, x.dtype, m, c, x.data(), dy.data(), mean.data(), var.data(), data_or_null(gamma),
          eps, dx.data(), dgamma.data(), dbeta.data());
  return {dx, dgamma, dbeta};
}

std::vector<Tensor> layer_norm(const Tensor& x_in, const std::optional<Tensor>& gamma_in,
                               const std::optional<Tensor>& beta_in, int64_t begin_axis, double eps) {
  const char* op = "layer_norm";
  Tensor x = float_rows(op, x_in);
  const int64_t b = begin_of(op, begin_axis, x);
  const Shape lead(x.shape.begin(), x.shape.begin() + b), feat(x.shape.begin() + b, x.shape.end());
  auto gamma = opt_param(op, "gamma", gamma_in, feat, x), beta = opt_param(op, "beta", beta_in, feat, x);
  Tensor y = Tensor::empty(x.shape, x.dtype, x.device());
  const int64_t m = shape_numel(lead), d = shape_numel(feat);
  if (m && !d) return {y, full(lead, x.dtype, x.device(), kNaN), full(lead, x.dtype, x.device(), kNaN)};
  Tensor mean = Tensor::empty(lead, x.dtype, x.device()), rstd = Tensor::empty(lead, x.dtype, x.device());
  if (!y.numel()) return {y, mean, rstd};
  KT_CALL(x.device(), ln_forward, x.dtype, m, d, x.data(), data_or_null(gamma), data_or_null(beta), eps, y.data(),
          mean.data(), rstd.data());
  return {y, mean, rstd};
}

std::vector<Tensor> layer_norm_backward(const Tensor& x_in, const Tensor& dy_in, const Tensor& mean_in,
                                        const Tensor& rstd_in, const std::optional<Tensor>& gamma_in,
                                        int64_t begin_axis) {
  const char* op = "layer_norm_backward";
  Tensor x = float_rows(op, x_in);
  const int64_t b = begin_of(op, begin_axis, x);
  const Shape lead(x.shape.begin(), x.shape.begin() + b), feat(x.shape.begin() + b, x.shape.end());
  Tensor dy = param(op, "gradient", dy_in, x.shape, x);
  Tensor mean = param(op, "mean", mean_in, lead, x), rstd = param(op, "rstd", rstd_in, lead, x);
  auto gamma = opt_param(op, "gamma", gamma_in, feat, x);
  Tensor dx = Tensor::empty(x.shape, x.dtype, x.device());
  Tensor dgamma = full(feat, x.dtype, x.device(), 0.0), dbeta = full(feat, x.dtype, x.device(), 0.0);
  if (!x.numel()) return {dx, dgamma, dbeta};
  KT_CALL(x.device(), ln_backward, x.dtype, shape_numel(lead), shape_numel(feat), x.data(), dy.data(), mean.data(),
          rstd.data(), data_or_null(gamma), dx.data(), dgamma.data(), dbeta.data());
  return {dx, dgamma, dbeta};
}

}  // namespace ops
}  // namespace kt
