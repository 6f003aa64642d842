// The CPU kernels: the contract of kernels.inc, in namespace kt::cpu.
#pragma once
#include <cstddef>
#include <cstdint>

#include "conv_shape.h"  // conv family
#include "dtype.h"
#include "geometry.h"
#include "op_codes.h"
#include "pool_geom.h"  // pool family
#include "rnn_step.h"  // rnn family

namespace kt {
namespace cpu {
#include "kernels.inc"
}  // namespace cpu
}  // namespace kt
