// The native ops: one entry point each. An op checks its arguments, allocates its output on
// the inputs' device, and calls the kernel of that device (cpu:: or cuda::, same contract).
#pragma once
#include <array>
#include <optional>  // norm family
#include <utility>
#include <vector>

#include "op_codes.h"
#include "tensor.h"

namespace kt {
namespace ops {

// elementwise.cpp
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor unary(UnaryOp op, const Tensor& a, double alpha = 0.0);
Tensor cast(const Tensor& a, DType to);
void copy_(Tensor& dst, const Tensor& src);  // broadcasts and casts src into dst (a view)
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor full(const Shape& shape, DType dt, Device dev, double value);
Tensor arange(double start, double step, int64_t n, DType dt, Device dev);

// bias_act.cpp: act(x + bias), bias of shape (x.shape[-1],), act Copy (linear) / Relu / Sigmoid /
// Tanh; backward from the gradient and the output y (unused for Copy): {dx, dbias}
Tensor bias_act(const Tensor& x, const Tensor& bias, UnaryOp act);
std::vector<Tensor> bias_act_backward(const Tensor& g, const Tensor& y, UnaryOp act);
// Checks an epilogue (act, bias of c values for an output like `like`) of `op`; the bias, compact
// and of like's dtype.
Tensor epilogue_bias(const char* op, UnaryOp act, const Tensor& bias, int64_t c, const Tensor& like);

// reduce.cpp; empty axes reduce everything
Tensor reduce(ReduceOp op, const Tensor& a, const std::vector<int64_t>& axes, bool keepdims);
Tensor softmax(const Tensor& a, int64_t axis, bool log);

// matmul.cpp: (..., m, k) @ (..., k, n) with batch broadcasting; ta/tb transpose the last two axes
Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb);

// index.cpp
Tensor take(const Tensor& a, const Tensor& idx, int64_t axis);
Tensor take_backward(const Tensor& grad, const Tensor& idx, int64_t axis, int64_t dim_size);
Tensor one_hot(const Tensor& idx, int64_t depth, DType dt, double on, double off);
Tensor concat(const std::vector<Tensor>& ts, int64_t axis);
Tensor pad(const Tensor& a, const std::vector<std::pair<int64_t, int64_t>>& pads, double value);

// random.cpp
Tensor random(const Shape& shape, DType dt, Device dev, RandomKind kind, uint64_t seed,
              uint64_t offset, double a, double b);

// train.cpp: fused loss and optimizer kernels
Tensor softmax_xent(const Tensor& logits, const Tensor& labels);  // per-row loss
Tensor softmax_xent_backward(const Tensor& logits, const Tensor& labels, const Tensor& g);
void optim_step(int kind, Tensor& var, const Tensor& grad, Tensor* s1, Tensor* s2, Tensor* s3,
                const std::array<double, 8>& hp);

// conv.cpp (conv family): NHWC images, (kh, kw, c / groups, oc) kernels; pads are (top,
// bottom, left, right). backward_input is also the transposed convolution.
struct Conv2dArgs {
  std::array<int64_t, 2> strides{1, 1};
  std::array<int64_t, 4> pads{0, 0, 0, 0};
  std::array<int64_t, 2> dilations{1, 1};
  int64_t groups = 1;
};
// With a bias (oc,), the output is act(conv + bias) (the bias_act epilogue, act a bias_act code).
Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dArgs& args, const Tensor* bias = nullptr,
              UnaryOp act = UnaryOp::Copy);
Tensor conv2d_backward_input(const Tensor& gy, const Tensor& w, const Shape& x_shape, const Conv2dArgs& args);
Tensor conv2d_backward_kernel(const Tensor& x, const Tensor& gy, const Shape& w_shape, const Conv2dArgs& args);

// pool.cpp (pool family): NHWC, TensorFlow "valid" / "same" padding. max_pool2d returns the
// output and, when argmax is true, the int32 argmax (flat h * W + w) that its backward takes.
using Window2 = std::array<int64_t, 2>;
std::vector<Tensor> max_pool2d(const Tensor& x, const Window2& pool, const Window2& strides, bool same, bool argmax);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& argmax, const Shape& input_shape, const Window2& pool,
                           const Window2& strides, bool same);
Tensor avg_pool2d(const Tensor& x, const Window2& pool, const Window2& strides, bool same);
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, const Window2& pool, const Window2& strides,
                           bool same);

// norm.cpp (norm family): batch norm over the last axis (channels) of x, every other axis
// reduced; layer norm over the trailing axes from begin_axis. Statistics have x's dtype.
std::vector<Tensor> batch_norm_stats(const Tensor& x);  // {mean, biased variance}
Tensor batch_norm_apply(const Tensor& x, const Tensor& mean, const Tensor& var, const std::optional<Tensor>& gamma,
                        const std::optional<Tensor>& beta, double eps);
std::vector<Tensor> batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                                        const std::optional<Tensor>& gamma, double eps);  // {dx, dgamma, dbeta}
std::vector<Tensor> layer_norm(const Tensor& x, const std::optional<Tensor>& gamma, const std::optional<Tensor>& beta,
                               int64_t begin_axis, double eps);  // {y, mean, rstd}
std::vector<Tensor> layer_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& rstd,
                                        const std::optional<Tensor>& gamma, int64_t begin_axis);  // {dx, dgamma, dbeta}

// rnn.cpp (rnn family): whole-sequence SimpleRNN / LSTM / GRU recurrences over a precomputed
// input projection xw (time, batch, gates * units); kind and activation codes in rnn_step.h.
// Forward returns {packed (batch, time + states, units): outputs in processing order then the
// final h (and c), H, C, G, RH} (the last four are saved for backward; unused ones have shape
// (0,)). Backward takes the gradient of packed and returns {dxw, dU, d recurrent bias, dh0, dc0}.
std::vector<Tensor> rnn_forward(int kind, int act, int ract, const Tensor& xw, const Tensor& u, const Tensor* brec,
                                const Tensor& h0, const Tensor* c0, const Tensor* mask, const Tensor* rmask,
                                bool reverse, bool zero_out);
std::vector<Tensor> rnn_backward(int kind, int act, int ract, const Tensor& u, const Tensor& H, const Tensor& C,
                                 const Tensor& G, const Tensor& RH, const Tensor* mask, const Tensor* rmask,
                                 bool reverse, bool zero_out, const Tensor& dpacked);

// Helpers shared by the op files.
void check_same_device(const char* op, const Tensor& a, const Tensor& b);

}  // namespace ops
}  // namespace kt
