#include <algorithm>

#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"
#include "scalar_ops.h"

namespace kt {
namespace ops {

void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  KT_CHECK(a.device() == b.device(), ValueError, op, ": tensors are on different devices (",
           a.device().str(), " and ", b.device().str(), ")");
}

static Tensor as_dtype(const Tensor& t, DType dt) { return t.dtype == dt ? t : cast(t, dt); }

Tensor binary(BinaryOp op, const Tensor& a_in, const Tensor& b_in) {
  static const char* names[] = {
#define KT_NAME_(N) #N,
      KT_BINARY_OPS(KT_NAME_)
#undef KT_NAME_
  };
  const char* name = names[(int)op];
  check_same_device(name, a_in, b_in);
  DType dt = promote(a_in.dtype, b_in.dtype);
  const bool logic = op == BinaryOp::LogicalAnd || op == BinaryOp::LogicalOr;
  if (logic) dt = DType::Bool;
  else if (binary_is_float_only(op) && !is_floating(dt)) dt = DType::Float32;
  else if (dt == DType::Bool && !binary_is_bool_out(op)) dt = DType::Int32;  // bool arithmetic counts
  Shape shape = broadcast_shapes(a_in.shape, b_in.shape, name);
  Tensor a = as_dtype(a_in, dt), b = as_dtype(b_in, dt);
  Tensor out = Tensor::empty(shape, binary_is_bool_out(op) ? DType::Bool : dt, a.device());
  Geometry g = make_geometry(out, {&a, &b});
  KT_CALL(out.device(), binary, op, dt, g, out.data(), a.data(), b.data());
  return out;
}

Tensor unary(UnaryOp op, const Tensor& a_in, double alpha) {
  Tensor a = a_in;
  if (op == UnaryOp::LogicalNot) a = as_dtype(a, DType::Bool);
  else if (!unary_keeps_int(op) && !is_floating(a.dtype)) a = cast(a, DType::Float32);
  else if (a.dtype == DType::Bool && !unary_is_bool_out(op) && op != UnaryOp::Copy) a = cast(a, DType::Int32);
  Tensor out = Tensor::empty(a.shape, unary_is_bool_out(op) ? DType::Bool : a.dtype, a.device());
  Geometry g = make_geometry(out, {&a});
  KT_CALL(out.device(), unary, op, a.dtype, g, out.data(), a.data(), alpha);
  return out;
}

void copy_(Tensor& dst, const Tensor& src) {
  check_same_device("copy", dst, src);
  broadcast_shapes(dst.shape, src.shape, "copy");
  KT_CHECK(src.ndim() <= dst.ndim(), ValueError, "copy: cannot write shape ", src.shape, " into ", dst.shape);
  Tensor s = src.expand(dst.shape);
  Geometry g = make_geometry(dst, {&s});
  if (s.dtype == dst.dtype) KT_CALL(dst.device(), unary, UnaryOp::Copy, dst.dtype, g, dst.data(), s.data(), 0.0);
  else KT_CALL(dst.device(), cast, dst.dtype, s.dtype, g, dst.data(), s.data());
}

Tensor cast(const Tensor& a, DType to) {
  Tensor out = Tensor::empty(a.shape, to, a.device());
  Geometry g = make_geometry(out, {&a});
  KT_CALL(out.device(), cast, to, a.dtype, g, out.data(), a.data());
  return out;
}

Tensor where(const Tensor& c_in, const Tensor& a_in, const Tensor& b_in) {
  check_same_device("where", c_in, a_in);
  check_same_device("where", a_in, b_in);
  DType dt = promote(a_in.dtype, b_in.dtype);
  Shape shape = broadcast_shapes(broadcast_shapes(c_in.shape, a_in.shape, "where"), b_in.shape, "where");
  Tensor c = as_dtype(c_in, DType::Bool), a = as_dtype(a_in, dt), b = as_dtype(b_in, dt);
  Tensor out = Tensor::empty(shape, dt, a.device());
  Geometry g = make_geometry(out, {&c, &a, &b});
  KT_CALL(out.device(), where, dt, g, out.data(), c.data(), a.data(), b.data());
  return out;
}

Tensor arange(double start, double step, int64_t n, DType dt, Device dev) {
  KT_CHECK(n >= 0, ValueError, "arange: negative length ", n);
  Tensor out = Tensor::empty({n}, dt, dev);
  KT_CALL(dev, fill_affine, dt, out.data(), n, start, step);
  return out;
}

Tensor full(const Shape& shape, DType dt, Device dev, double value) {
  Tensor out = Tensor::empty(shape, dt, dev);
  KT_CALL(dev, fill_affine, dt, out.data(), out.numel(), value, 0.0);
  return out;
}

}  // namespace ops
}  // namespace kt
