// Depthwise convolution on the CPU (cpu/depthwise.cpp), used by cpu/conv.cpp for the shapes
// depthwise_fits() accepts.
#pragma once
#include "conv_shape.h"
#include "dtype.h"
#include "op_codes.h"

namespace kt {
namespace cpu {

// Groups over single input channels (DepthwiseConv2D, the depthwise half of SeparableConv2D).
bool depthwise_fits(const ConvShape& s);

// With a bias (null: none), the bias_act epilogue act(conv + bias) row by row.
void depthwise_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                       UnaryOp act);
void depthwise_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w);
void depthwise_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy);

}  // namespace cpu
}  // namespace kt
