// Gather along an axis (take), its deterministic backward, and one_hot. Tensors are compact
// [outer, d, inner] (source / gradient output) and [outer, n, inner] (gathered side).
#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

// ---- kernels ----

__global__ void __launch_bounds__(kBlock) check_index_kernel(const int64_t* idx, int64_t n, int64_t d, int* bad) {
  KT_GRID_LOOP(j, n) {
    if (idx[j] < 0 || idx[j] >= d) *bad = 1;
  }
}

// Rows are copied as words of type W (rows of `row` words), whatever the element type.
template <class W>
__global__ void __launch_bounds__(kBlock) take_kernel(W* out, const W* src, const int64_t* idx, int64_t n, int64_t d,
                                                      int64_t row, int64_t total) {
  KT_GRID_LOOP(t, total) {
    const int64_t w = t % row, oj = t / row, o = oj / n, j = oj % n;
    out[t] = src[(o * d + idx[j]) * row + w];
  }
}

// Each thread owns one output element and adds the matching gradient rows in index order,
// exactly the CPU's sum order, so the result is deterministic and equal to the CPU's.
template <class T>
__global__ void __launch_bounds__(kBlock) take_backward_kernel(T* out, const T* grad, const int64_t* idx,
                                                               int64_t outer, int64_t d, int64_t n, int64_t inner) {
  KT_GRID_LOOP(t, outer * d * inner) {
    const int64_t i = t % inner, od = t / inner, dd = od % d, o = od / d;
    const T* g = grad + o * n * inner + i;
    T acc = out[t];
    for (int64_t j = 0; j < n; ++j)
      if (idx[j] == dd) acc += g[j * inner];
    out[t] = acc;
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) one_hot_kernel(T* out, const int64_t* idx, int64_t n, int64_t depth,
                                                         double on, double off) {
  KT_GRID_LOOP(t, n * depth) {
    const int64_t j = t / depth, k = t % depth;
    out[t] = T(idx[j] == k ? on : off);
  }
}

// ---- launchers ----

template <class W>
void take_words(void* out, const void* src, const int64_t* idx, int64_t outer, int64_t d, int64_t n,
                int64_t row_bytes) {
  const int64_t row = row_bytes / (int64_t)sizeof(W), total = outer * n * row;
  take_kernel<W><<<grid_for(total), kBlock>>>((W*)out, (const W*)src, idx, n, d, row, total);
  KT_LAUNCH_CHECK();
}

}  // namespace

// ---- entries ----

bool take(DType dt, void* out, const void* src, const int64_t* idx, int64_t outer, int64_t d,
          int64_t n, int64_t inner) {
  if (n > 0) {
    DeviceFlag bad;
    check_index_kernel<<<grid_for(n), kBlock>>>(idx, n, d, bad.get());
    KT_LAUNCH_CHECK();
    if (bad.raised()) return false;
  }
  if (outer <= 0 || n <= 0 || inner <= 0) return true;
  // Widest word that divides the row and both base addresses: fewer, wider loads.
  const int64_t row_bytes = inner * (int64_t)dtype_size(dt);
  const uint64_t align = (uint64_t)row_bytes | (uint64_t)(uintptr_t)out | (uint64_t)(uintptr_t)src;
  if (align % 8 == 0) take_words<uint64_t>(out, src, idx, outer, d, n, row_bytes);
  else if (align % 4 == 0) take_words<uint32_t>(out, src, idx, outer, d, n, row_bytes);
  else if (align % 2 == 0) take_words<uint16_t>(out, src, idx, outer, d, n, row_bytes);
  else take_words<uint8_t>(out, src, idx, outer, d, n, row_bytes);
  return true;
}

void take_backward(DType dt, void* out, const void* grad, const int64_t* idx, int64_t outer,
                   int64_t d, int64_t n, int64_t inner) {
  const int64_t total = outer * d * inner;
  if (total <= 0) return;
  KT_DISPATCH(dt, T, {
    take_backward_kernel<T><<<grid_for(total), kBlock>>>((T*)out, (const T*)grad, idx, outer, d, n, inner);
    KT_LAUNCH_CHECK();
  });
}

void one_hot(DType dt, void* out, const int64_t* idx, int64_t n, int64_t depth, double on, double off) {
  if (n <= 0 || depth <= 0) return;
  KT_DISPATCH(dt, T, {
    one_hot_kernel<T><<<grid_for(n * depth), kBlock>>>((T*)out, idx, n, depth, on, off);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
