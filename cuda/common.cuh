// Helpers shared by the CUDA files: checked calls and launches, grid sizing, device scratch
// buffers and the deterministic group reduction used by reduce, softmax and loss.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "cuda_api.h"
#include "error.h"

// Bool is uint8_t, so the shared formulas instantiated for it compare an unsigned value with
// zero; that is intended, not a bug.
#pragma nv_diag_suppress 186

namespace kt {
namespace cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t e, const char* expr, const char* file, int line) {
  (void)cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  throw RuntimeError(str("CUDA error at ", file, ":", line, ": ", cudaGetErrorString(e), " (", expr, ")"));
}

}  // namespace cuda
}  // namespace kt

#define CUDA_CHECK(EXPR)                                                                      \
  do {                                                                                        \
    cudaError_t kt_err_ = (EXPR);                                                             \
    if (kt_err_ != cudaSuccess) ::kt::cuda::throw_cuda_error(kt_err_, #EXPR, __FILE__, __LINE__); \
  } while (0)

// After every <<<...>>>: reports a bad launch configuration at the launch site.
#define KT_LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

// Grid-stride loop over [0, N) with 64-bit indices.
#define KT_GRID_LOOP(I, N) \
  for (int64_t I = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; I < (N); I += (int64_t)gridDim.x * blockDim.x)

namespace kt {
namespace cuda {

constexpr int kBlock = 256;
constexpr int kWarp = 32;
constexpr unsigned kFullMask = 0xffffffffu;
// Far more threads than an H100 keeps resident; grid-stride loops cover the rest.
constexpr int64_t kMaxGrid = 65536;

inline unsigned grid_for(int64_t n, int block = kBlock) {
  int64_t g = (n + block - 1) / block;
  return (unsigned)std::min<int64_t>(std::max<int64_t>(g, 1), kMaxGrid);
}

// Throws RuntimeError unless 0 <= index < device_count() (runtime.cu).
void check_device(int index);
int current_device();

// Sets a device for a scope and restores the previous one (the allocator runs outside KT_CALL).
struct DeviceGuard {
  int prev = -1;
  explicit DeviceGuard(int device) {
    CUDA_CHECK(cudaGetDevice(&prev));
    if (prev != device) CUDA_CHECK(cudaSetDevice(device));
  }
  ~DeviceGuard() {
    int now = -1;
    if (cudaGetDevice(&now) == cudaSuccess && now != prev) (void)cudaSetDevice(prev);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
};

// Scratch memory on the current device from the caching allocator, returned on scope exit.
// Work is all on the legacy default stream, so returning it early is safe.
struct DeviceBuffer {
  void* ptr = nullptr;
  int device = 0;
  explicit DeviceBuffer(size_t nbytes) : device(current_device()) { ptr = cuda::malloc(nbytes, device); }
  ~DeviceBuffer() { cuda::free(ptr, device); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T> T* as() const { return static_cast<T*>(ptr); }
};

// A device-side "something was out of range" flag: cleared, set by kernels, read back.
struct DeviceFlag {
  DeviceBuffer buf{sizeof(int)};
  DeviceFlag() { CUDA_CHECK(cudaMemsetAsync(buf.ptr, 0, sizeof(int))); }
  int* get() const { return buf.as<int>(); }
  bool raised() const {
    int h = 0;
    CUDA_CHECK(cudaMemcpy(&h, buf.ptr, sizeof(int), cudaMemcpyDeviceToHost));
    return h != 0;
  }
};

template <class S>
__device__ __forceinline__ S shfl_xor(S v, int lane_mask) {
  return S(__shfl_xor_sync(kFullMask, v, lane_mask));
}

// Combines v over a group of `tpr` consecutive threads (tpr == kWarp, or tpr == kBlock ==
// blockDim.x) and gives every thread of the group the result. The combination order is fixed,
// and the xor butterfly leaves all lanes with the same bits because op is commutative.
template <class S, class Op>
__device__ __forceinline__ S group_allreduce(S v, Op op, int tpr) {
#pragma unroll
  for (int m = kWarp / 2; m > 0; m >>= 1) v = op(v, shfl_xor(v, m));
  if (tpr == kWarp) return v;
  __shared__ S part[kBlock / kWarp];
  if ((threadIdx.x & (kWarp - 1)) == 0) part[threadIdx.x / kWarp] = v;
  __syncthreads();
  S r = part[0];
#pragma unroll
  for (int w = 1; w < kBlock / kWarp; ++w) r = op(r, part[w]);
  __syncthreads();  // part is reused by the next call
  return r;
}

// Max for softmax-style row maxima: a NaN never wins (as in the CPU loops), and +0 beats -0
// so that the combination is commutative bit for bit.
template <class T>
__device__ __forceinline__ T max_keep(T x, T y) {
  return (y > x || (y == x && !signbit(y))) ? y : x;
}

// Rows per chunk of a fixed-order column reduction (norm, bias gradients): enough chunks that
// ~64K threads share the work, at least 8 rows each. Set by the shape alone.
inline int64_t chunk_rows(int64_t m, int64_t c) {
  const int64_t r = (m * c + 65535) / 65536;
  return std::min<int64_t>(std::max<int64_t>(r, 8), std::max<int64_t>(m, 1));
}

// Threads per row for row-wise kernels, chosen from the shape only (so results never depend
// on the device): a warp for short rows, the whole block for long rows or few rows.
inline int row_group(int64_t rows, int64_t len) {
  return (len > 1024 || (len > 128 && rows < 1024)) ? kBlock : kWarp;
}

// Blocks for `rows` rows handled by groups of `tpr` threads.
inline unsigned row_grid(int64_t rows, int tpr) {
  const int64_t per_block = kBlock / tpr;
  return (unsigned)std::min<int64_t>((rows + per_block - 1) / per_block, kMaxGrid);
}

}  // namespace cuda
}  // namespace kt

// The row of group g, and the thread's lane within it, for row-wise kernels; loops are
// uniform across a group, so group_allreduce may be called inside.
#define KT_ROW_LOOP(ROW, LANE, ROWS, TPR)                                                   \
  const int LANE = (int)threadIdx.x % (TPR);                                                \
  for (int64_t ROW = (int64_t)blockIdx.x * (kBlock / (TPR)) + threadIdx.x / (TPR); ROW < (ROWS); \
       ROW += (int64_t)gridDim.x * (kBlock / (TPR)))
