// Fused training kernels: softmax cross-entropy and in-place optimizer steps.
#include "error.h"
#include "ops/device_call.h"
#include "ops/ops.h"

namespace kt {
namespace ops {

namespace {
struct XentArgs {
  Tensor logits, labels;
  bool sparse;
  int64_t n, c;
};

XentArgs xent_args(const Tensor& logits, const Tensor& labels) {
  check_same_device("softmax_cross_entropy", logits, labels);
  KT_CHECK(logits.ndim() == 2, ValueError, "softmax_cross_entropy: logits must be 2-D (batch, classes), got shape ",
           logits.shape);
  KT_CHECK(is_floating(logits.dtype), TypeError, "softmax_cross_entropy: logits must be float, got ", dtype_name(logits.dtype));
  const int64_t n = logits.shape[0], c = logits.shape[1];
  bool sparse = labels.ndim() == 1;
  if (sparse) {
    KT_CHECK(labels.dtype == DType::Int32 || labels.dtype == DType::Int64, TypeError,
             "sparse softmax cross-entropy: labels must be integers, got ", dtype_name(labels.dtype));
    KT_CHECK(labels.shape[0] == n, ValueError, "sparse softmax cross-entropy: ", labels.shape[0], " labels for ", n,
             " rows of logits");
    return {logits.contiguous(), cast(labels, DType::Int64).contiguous(), true, n, c};
  }
  KT_CHECK(labels.shape == logits.shape, ValueError, "softmax cross-entropy: labels shape ", labels.shape,
           " does not match logits shape ", logits.shape);
  Tensor y = labels.dtype == logits.dtype ? labels.contiguous() : cast(labels, logits.dtype);
  return {logits.contiguous(), y, false, n, c};
}
}  // namespace

Tensor softmax_xent(const Tensor& logits, const Tensor& labels) {
  XentArgs x = xent_args(logits, labels);
  Tensor loss = Tensor::empty({x.n}, x.logits.dtype, x.logits.device());
  bool ok = true;
  if (x.n) KT_CALL(loss.device(), xent_forward, x.logits.dtype, loss.data(), x.logits.data(), x.labels.data(), x.sparse,
                   x.n, x.c, &ok);
  KT_CHECK(ok, ValueError, "sparse softmax cross-entropy: a label is out of range [0, ", x.c, ")");
  return loss;
}

Tensor softmax_xent_backward(const Tensor& logits, const Tensor& labels, const Tensor& g) {
  XentArgs x = xent_args(logits, labels);
  Tensor gg = (g.dtype == x.logits.dtype ? g : cast(g, x.logits.dtype)).contiguous();
  KT_CHECK(gg.numel() == x.n, ValueError, "softmax cross-entropy backward: ", gg.numel(), " gradients for ", x.n, " rows");
  Tensor grad = Tensor::empty(x.logits.shape, x.logits.dtype, x.logits.device());
  if (grad.numel()) KT_CALL(grad.device(), xent_backward, x.logits.dtype, grad.data(), x.logits.data(), x.labels.data(),
                            x.sparse, gg.data(), x.n, x.c);
  return grad;
}

void optim_step(int kind, Tensor& var, const Tensor& grad_in, Tensor* s1, Tensor* s2, Tensor* s3,
                const std::array<double, 8>& hp) {
  KT_CHECK(kind >= 0 && kind <= 5, ValueError, "optimizer step: unknown kind ", kind);
  KT_CHECK(is_floating(var.dtype), TypeError, "optimizer step: variable must be float, got ", dtype_name(var.dtype));
  KT_CHECK(var.is_contiguous(), ValueError, "optimizer step: variable must be contiguous");
  KT_CHECK(grad_in.shape == var.shape, ValueError, "optimizer step: gradient shape ", grad_in.shape,
           " does not match variable shape ", var.shape);
  check_same_device("optimizer step", var, grad_in);
  Tensor grad = (grad_in.dtype == var.dtype ? grad_in : cast(grad_in, var.dtype)).contiguous();
  for (Tensor* s : {s1, s2, s3})
    if (s) {
      KT_CHECK(s->shape == var.shape && s->dtype == var.dtype && s->is_contiguous() && s->device() == var.device(),
               ValueError, "optimizer step: slot of shape ", s->shape, " does not match variable of shape ", var.shape);
    }
  if (!var.numel()) return;
  KT_CALL(var.device(), optim_step, var.dtype, kind, var.numel(), var.data(), grad.data(), s1 ? s1->data() : nullptr,
          s2 ? s2->data() : nullptr, s3 ? s3->data() : nullptr, hp.data());
}

}  // namespace ops
}  // namespace kt
