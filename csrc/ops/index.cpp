// Gathers, their backward, one_hot, and ops that assemble tensors from pieces.
#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

static Tensor index_vector(const Tensor& idx, const char* op) {
  KT_CHECK(idx.dtype == DType::Int32 || idx.dtype == DType::Int64, TypeError, op,
           ": indices must be int32 or int64, got ", dtype_name(idx.dtype));
  return (idx.dtype == DType::Int64 ? idx : cast(idx, DType::Int64)).contiguous();
}

Tensor take(const Tensor& a_in, const Tensor& idx_in, int64_t axis) {
  check_same_device("take", a_in, idx_in);
  KT_CHECK(a_in.ndim() >= 1, ValueError, "take: cannot index a scalar");
  int64_t ax = normalize_axis(axis, a_in.ndim(), "take");
  Tensor a = a_in.contiguous(), idx = index_vector(idx_in, "take");
  int64_t outer = 1, inner = 1, d = a.shape[ax], n = idx.numel();
  for (int i = 0; i < ax; ++i) outer *= a.shape[i];
  for (int i = (int)ax + 1; i < a.ndim(); ++i) inner *= a.shape[i];
  Shape out_shape(a.shape.begin(), a.shape.begin() + ax);
  out_shape.insert(out_shape.end(), idx.shape.begin(), idx.shape.end());
  out_shape.insert(out_shape.end(), a.shape.begin() + ax + 1, a.shape.end());
  Tensor out = Tensor::empty(out_shape, a.dtype, a.device());
  if (out.numel() == 0) return out;
  bool ok = KT_CALL(a.device(), take, a.dtype, out.data(), a.data(), idx.data_as<int64_t>(), outer, d, n, inner);
  KT_CHECK(ok, IndexError, "take: index out of range for axis ", ax, " of size ", d, " (tensor shape ", a_in.shape, ")");
  return out;
}

Tensor take_backward(const Tensor& grad_in, const Tensor& idx_in, int64_t axis, int64_t dim_size) {
  check_same_device("take_backward", grad_in, idx_in);
  Tensor idx = index_vector(idx_in, "take_backward"), grad = grad_in.contiguous();
  const int64_t ni = idx.ndim();
  // grad: a.shape[:axis] + idx.shape + a.shape[axis+1:]
  Shape out_shape(grad.shape.begin(), grad.shape.begin() + axis);
  out_shape.push_back(dim_size);
  out_shape.insert(out_shape.end(), grad.shape.begin() + axis + ni, grad.shape.end());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= grad.shape[i];
  for (int i = (int)(axis + ni); i < grad.ndim(); ++i) inner *= grad.shape[i];
  Tensor out = full(out_shape, grad.dtype, grad.device(), 0.0);
  if (grad.numel()) KT_CALL(grad.device(), take_backward, grad.dtype, out.data(), grad.data(), idx.data_as<int64_t>(),
                            outer, dim_size, idx.numel(), inner);
  return out;
}

Tensor one_hot(const Tensor& idx_in, int64_t depth, DType dt, double on, double off) {
  KT_CHECK(depth >= 0, ValueError, "one_hot: depth must be non-negative, got ", depth);
  Tensor idx = index_vector(idx_in, "one_hot");
  Shape out_shape = idx.shape;
  out_shape.push_back(depth);
  Tensor out = Tensor::empty(out_shape, dt, idx.device());
  if (out.numel()) KT_CALL(idx.device(), one_hot, dt, out.data(), idx.data_as<int64_t>(), idx.numel(), depth, on, off);
  return out;
}

Tensor concat(const std::vector<Tensor>& ts, int64_t axis) {
  KT_CHECK(!ts.empty(), ValueError, "concatenate: needs at least one tensor");
  const Tensor& first = ts[0];
  KT_CHECK(first.ndim() >= 1, ValueError, "concatenate: cannot concatenate scalars");
  int64_t ax = normalize_axis(axis, first.ndim(), "concatenate");
  DType dt = first.dtype;
  Shape shape = first.shape;
  shape[ax] = 0;
  for (const Tensor& t : ts) {
    check_same_device("concatenate", first, t);
    bool same = t.ndim() == first.ndim();
    for (int i = 0; same && i < t.ndim(); ++i) same = i == ax || t.shape[i] == first.shape[i];
    KT_CHECK(same, ValueError, "concatenate: shapes ", first.shape, " and ", t.shape, " differ outside axis ", ax);
    shape[ax] += t.shape[ax];
    dt = promote(dt, t.dtype);
  }
  Tensor out = Tensor::empty(shape, dt, first.device());
  int64_t at = 0;
  for (const Tensor& t : ts) {
    Shape s = out.shape;
    s[ax] = t.shape[ax];
    Tensor dst = out.as_strided(s, out.strides, out.offset + at * out.strides[ax]);
    if (t.numel()) copy_(dst, t);
    at += t.shape[ax];
  }
  return out;
}

Tensor pad(const Tensor& a, const std::vector<std::pair<int64_t, int64_t>>& pads, double value) {
  KT_CHECK((int)pads.size() == a.ndim(), ValueError, "pad: needs one (before, after) pair per axis: ", a.ndim(),
           " axes, got ", pads.size());
  Shape shape = a.shape;
  int64_t off = 0;
  Shape cs = contiguous_strides(shape);
  for (int i = 0; i < a.ndim(); ++i) {
    KT_CHECK(pads[i].first >= 0 && pads[i].second >= 0, ValueError, "pad: negative padding on axis ", i);
    shape[i] += pads[i].first + pads[i].second;
  }
  Tensor out = full(shape, a.dtype, a.device(), value);
  Shape st = contiguous_strides(shape);
  for (int i = 0; i < a.ndim(); ++i) off += pads[i].first * st[i];
  Tensor dst = out.as_strided(a.shape, st, off);
  if (a.numel()) copy_(dst, a);
  return out;
}

}  // namespace ops
}  // namespace kt
