#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {
// A matrix operand as BLAS wants it: its leading dimension and whether it is read transposed.
struct MatArg {
  Tensor t;
  bool trans;
  int64_t ld;
};

// Uses the tensor's own layout when one of its last two axes is unit-stride; copies otherwise.
MatArg as_blas(const Tensor& t3) {  // t3: [batch, rows, cols] with a collapsible batch axis
  const int64_t rows = t3.shape[1], cols = t3.shape[2];
  if (t3.strides[2] == 1 && (t3.strides[1] >= std::max<int64_t>(cols, 1) || rows == 1))
    return {t3, false, rows == 1 ? std::max<int64_t>(cols, 1) : t3.strides[1]};
  if (t3.strides[1] == 1 && (t3.strides[2] >= std::max<int64_t>(rows, 1) || cols == 1))
    return {t3, true, cols == 1 ? std::max<int64_t>(rows, 1) : t3.strides[2]};
  Tensor c = t3.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}
}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb) {
  check_same_device("matmul", a_in, b_in);
  KT_CHECK(a_in.ndim() >= 2 && b_in.ndim() >= 2, ValueError, "matmul: both operands need at least 2 dimensions, got shapes ",
           a_in.shape, " and ", b_in.shape);
  KT_CHECK(a_in.dtype != DType::Bool && b_in.dtype != DType::Bool, TypeError, "matmul: bool tensors are not supported");
  DType dt = promote(a_in.dtype, b_in.dtype);
  Tensor a = a_in.dtype == dt ? a_in : cast(a_in, dt), b = b_in.dtype == dt ? b_in : cast(b_in, dt);
  // Logical (..., m, k) and (..., k, n) views.
  auto swap_last = [](Tensor t) {
    std::vector<int64_t> p(t.ndim());
    for (int i = 0; i < t.ndim(); ++i) p[i] = i;
    std::swap(p[t.ndim() - 1], p[t.ndim() - 2]);
    return t.permute(p);
  };
  if (ta) a = swap_last(a);
  if (tb) b = swap_last(b);
  const int64_t m = a.shape[a.ndim() - 2], k = a.shape[a.ndim() - 1], n = b.shape[b.ndim() - 1];
  KT_CHECK(b.shape[b.ndim() - 2] == k, ValueError, "matmul: shapes ", a_in.shape, " and ", b_in.shape,
           " are incompatible (inner dimensions ", k, " and ", b.shape[b.ndim() - 2], ")",
           (ta || tb) ? " after transposition" : "");
  Shape ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes(ba, bb, "matmul");
  } catch (const ValueError&) {
    throw ValueError(str("matmul: batch dimensions of shapes ", a_in.shape, " and ", b_in.shape, " cannot be broadcast"));
  }
  int64_t nb = shape_numel(batch);
  Shape out_shape = batch;
  out_shape.push_back(m);
  out_shape.push_back(n);
  Tensor out = Tensor::empty(out_shape, dt, a.device());
  if (out.numel() == 0) return out;
  if (k == 0) return full(out_shape, dt, a.device(), 0.0);

  // Collapse batch axes into one: broadcast operands keep stride 0 when not batched at all.
  auto flat3 = [&](const Tensor& t, int64_t r, int64_t c) {
    Shape full_shape = batch;
    full_shape.push_back(r);
    full_shape.push_back(c);
    Tensor e = t.expand(full_shape);
    bool unbatched = true;
    for (size_t i = 0; i < batch.size(); ++i) unbatched = unbatched && e.strides[i] == 0;
    if (unbatched) return e.as_strided({nb, r, c}, {0, e.strides[e.ndim() - 2], e.strides[e.ndim() - 1]}, e.offset);
    try {
      return e.view({nb, r, c});
    } catch (const ValueError&) {
      return e.contiguous().view({nb, r, c});
    }
  };
  MatArg A = as_blas(flat3(a, m, k)), B = as_blas(flat3(b, k, n));
  KT_CALL(out.device(), gemm, dt, A.trans, B.trans, m, n, k, A.t.data(), A.ld, A.t.strides[0], B.t.data(),
          B.ld, B.t.strides[0], out.data(), n, m * n, nb);
  return out;
}

}  // namespace ops
}  // namespace kt
