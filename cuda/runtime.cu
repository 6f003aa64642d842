// Devices, synchronisation and copies. Everything runs on the legacy default stream, which
// orders kernels, copies and the caching allocator's reuse of freed blocks.
#include "common.cuh"

namespace kt {
namespace cuda {

int device_count() {
  // Cached: the answer cannot change for a process, and asking may be slow without a driver.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver or no GPU: not an error for a CPU-only run
      n = 0;
    }
    return n;
  }();
  return count;
}

void check_device(int index) {
  const int n = device_count();
  KT_CHECK(index >= 0 && index < n, RuntimeError, "CUDA device ", index, " requested, but ", n,
           " CUDA device(s) are visible");
}

int current_device() {
  int d = 0;
  CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void set_device(int index) {
  check_device(index);
  CUDA_CHECK(cudaSetDevice(index));
}

void synchronize(int device) {
  set_device(device);
  CUDA_CHECK(cudaDeviceSynchronize());
}

void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device) {
  if (nbytes == 0) return;
  set_device(device);
  cudaMemcpyKind k = cudaMemcpyDefault;  // device to device: unified addressing also covers peers
  if (kind == CopyKind::HostToDevice) k = cudaMemcpyHostToDevice;
  else if (kind == CopyKind::DeviceToHost) k = cudaMemcpyDeviceToHost;
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, k));
}

}  // namespace cuda
}  // namespace kt
