// Winograd F(4x4, 3x3) convolution on the CPU (cpu/winograd.cpp), used by cpu/conv.cpp for
// the shapes winograd_fits() accepts.
#pragma once
#include "conv_shape.h"
#include "dtype.h"
#include "op_codes.h"

namespace kt {
namespace cpu {

// 3x3 kernel, stride 1, no dilation, one group, and channels and tiles enough for the transforms
// to pay.
bool winograd_fits(const ConvShape& s);

// With a bias (null: none), the bias_act epilogue act(conv + bias) as the tiles are written.
void winograd_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                      UnaryOp act);
void winograd_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w);
void winograd_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy);

}  // namespace cpu
}  // namespace kt
