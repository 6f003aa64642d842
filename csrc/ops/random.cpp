#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

Tensor random(const Shape& shape, DType dt, Device dev, RandomKind kind, uint64_t seed, uint64_t offset,
              double a, double b) {
  KT_CHECK(is_floating(dt), TypeError, "random: dtype must be float32 or float64, got ", dtype_name(dt));
  if (kind == RandomKind::Bernoulli) KT_CHECK(a >= 0 && a <= 1, ValueError, "bernoulli: p must lie in [0, 1], got ", a);
  if (kind == RandomKind::Uniform) KT_CHECK(a <= b, ValueError, "uniform: minval ", a, " exceeds maxval ", b);
  Tensor out = Tensor::empty(shape, dt, dev);
  if (out.numel()) KT_CALL(dev, random, dt, kind, out.data(), out.numel(), seed, offset, a, b);
  return out;
}

}  // namespace ops
}  // namespace kt
