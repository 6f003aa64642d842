// What this build of the core can do: CUDA, BLAS, threads.
#pragma once
#include <string>

namespace kt {
bool cuda_compiled();
int cuda_device_count();  // 0 without CUDA, driver or GPU
std::string blas_info();
int num_threads();
void set_num_threads(int n);
}  // namespace kt
