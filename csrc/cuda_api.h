// The CUDA side as seen from the core: plain functions over raw pointers and geometry,
// implemented in cuda/*.cu. Only called when the core was built with KT_WITH_CUDA.
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
namespace cuda {

// Runtime and memory (cuda/runtime.cu, cuda/allocator.cu).
int device_count();  // 0 when there is no driver or no GPU; never throws
void set_device(int index);
void* malloc(size_t nbytes, int device);  // caching; throws OutOfMemory
void free(void* ptr, int device);
size_t memory_allocated(int device);
size_t max_memory_allocated(int device);
size_t memory_reserved(int device);
void reset_peak(int device);
void empty_cache();
void synchronize(int device);
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device);

// Kernels: the same contract as the CPU kernels.
#include "kernels.inc"

}  // namespace cuda
}  // namespace kt
