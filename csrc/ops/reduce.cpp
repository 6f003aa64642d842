#include <algorithm>
#include <limits>

#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

static const char* reduce_name(ReduceOp op) {
  static const char* names[] = {"sum", "mean", "prod", "max", "min", "argmax", "argmin"};
  return names[(int)op];
}

Tensor reduce(ReduceOp op, const Tensor& a_in, const std::vector<int64_t>& axes_in, bool keepdims) {
  const char* name = reduce_name(op);
  const int nd = a_in.ndim();
  std::vector<bool> red(nd, axes_in.empty());
  for (auto ax : axes_in) red[normalize_axis(ax, nd, name)] = true;
  const bool arg = op == ReduceOp::ArgMax || op == ReduceOp::ArgMin;
  KT_CHECK(!arg || axes_in.size() <= 1, ValueError, name, ": takes one axis, got ", axes_in);

  Tensor a = a_in;
  if (op == ReduceOp::Mean && !is_floating(a.dtype)) a = cast(a, DType::Float32);
  if ((op == ReduceOp::Sum || op == ReduceOp::Prod) && a.dtype == DType::Bool) a = cast(a, DType::Int64);

  Shape out_shape, kept;
  int64_t r = 1;
  for (int i = 0; i < nd; ++i) {
    if (red[i]) { r *= a.shape[i]; if (keepdims) out_shape.push_back(1); }
    else { out_shape.push_back(a.shape[i]); kept.push_back(a.shape[i]); }
  }
  DType out_dt = arg ? DType::Int64 : a.dtype;
  if (r == 0) {
    KT_CHECK(op == ReduceOp::Sum || op == ReduceOp::Mean || op == ReduceOp::Prod, ValueError, name,
             ": cannot reduce an empty axis of a tensor of shape ", a_in.shape);
    double v = op == ReduceOp::Sum ? 0.0 : op == ReduceOp::Prod ? 1.0 : std::numeric_limits<double>::quiet_NaN();
    return full(out_shape, out_dt, a.device(), v);
  }
  // Reduced axes that form one run of a contiguous tensor need no copy: [outer, r, inner].
  int lo = nd, hi = -1;
  for (int i = 0; i < nd; ++i) if (red[i]) { lo = std::min(lo, i); hi = i; }
  bool run = true;
  for (int i = lo; i <= hi; ++i) run = run && red[i];
  int64_t outer = 1, inner = 1;
  if (run && a.is_contiguous()) {
    for (int i = 0; i < lo; ++i) outer *= a.shape[i];
    for (int i = hi + 1; i < nd; ++i) inner *= a.shape[i];
  } else {
    std::vector<int64_t> perm;
    for (int i = 0; i < nd; ++i) if (!red[i]) perm.push_back(i);
    for (int i = 0; i < nd; ++i) if (red[i]) perm.push_back(i);
    a = a.permute(perm).contiguous();
    outer = shape_numel(kept);
  }
  Tensor out = Tensor::empty(out_shape, out_dt, a.device());
  if (out.numel() == 0) return out;
  KT_CALL(a.device(), reduce, op, a.dtype, out.data(), a.data(), outer, r, inner);
  return out;
}

Tensor softmax(const Tensor& a_in, int64_t axis, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  Tensor a = a_in.contiguous();
  if (!is_floating(a.dtype)) a = cast(a, DType::Float32);
  if (a.ndim() == 0) a = a.reshape({1});
  int64_t ax = normalize_axis(axis, a.ndim(), name);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < ax; ++i) outer *= a.shape[i];
  for (int i = (int)ax + 1; i < a.ndim(); ++i) inner *= a.shape[i];
  Tensor out = Tensor::empty(a.shape, a.dtype, a.device());
  if (out.numel()) KT_CALL(a.device(), softmax, a.dtype, out.data(), a.data(), outer, a.shape[ax], inner, log);
  return a_in.ndim() == 0 ? out.reshape({}) : out;
}

}  // namespace ops
}  // namespace kt
