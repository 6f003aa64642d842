// Winograd F(4x4, 3x3) convolution on the CPU (cpu/winograd.cpp), used by cpu/conv.cpp for
// the shapes winograd_fits() accepts.
#pragma once
#include "conv_shape.h"
#include "dtype.h"

namespace kt {
namespace cpu {

// 3x3 kernel, stride 1, no dilation, one group, and channels enough for the transforms to pay.
bool winograd_fits(const ConvShape& s);

void winograd_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w);
void winograd_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w);
void winograd_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy);

}  // namespace cpu
}  // namespace kt
