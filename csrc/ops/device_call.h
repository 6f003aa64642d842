// KT_CALL(device, kernel, args...): runs the kernel of the device the data lives on.
#pragma once
#include "cpu/kernels.h"
#include "error.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#define KT_CALL(DEV, FN, ...) \
  ((DEV).is_cuda() ? (::kt::cuda::set_device((DEV).index), ::kt::cuda::FN(__VA_ARGS__)) : ::kt::cpu::FN(__VA_ARGS__))
#else
// Without CUDA no tensor can live on a GPU (allocation refuses), so the CPU kernel is the only one.
#define KT_CALL(DEV, FN, ...) ::kt::cpu::FN(__VA_ARGS__)
#endif
