// The native ops: one entry point each. An op checks its arguments, allocates its output on
// the inputs' device, and calls the kernel of that device (cpu:: or cuda::, same contract).
#pragma once
#include <array>
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
