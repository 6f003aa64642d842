// Elementwise kernels: binary, unary, cast and where are one generic kernel walking a Geometry,
// each op a small functor over the shared formulas of scalar_ops.h; plus fill_affine.
#include <type_traits>

#include "common.cuh"
#include "scalar_ops.h"

namespace kt {
namespace cuda {
namespace {

// ---- device functions: per-element functors (operand 0 is the output) ----

template <BinaryOp OP, class T>
struct BinaryFn {
  static constexpr int kOps = 3;
  using R = decltype(binary_apply<OP, T>(T(), T()));
  R* o;
  const T* a;
  const T* b;
  __device__ void operator()(const int64_t* off) const { o[off[0]] = binary_apply<OP, T>(a[off[1]], b[off[2]]); }
};

template <UnaryOp OP, class T>
struct UnaryFn {
  static constexpr int kOps = 2;
  using R = decltype(unary_apply<OP, T>(T(), 0.0));
  R* o;
  const T* a;
  double alpha;
  __device__ void operator()(const int64_t* off) const { o[off[0]] = unary_apply<OP, T>(a[off[1]], alpha); }
};

template <class R, class A>
struct CastFn {
  static constexpr int kOps = 2;
  R* o;
  const A* a;
  __device__ void operator()(const int64_t* off) const {
    if constexpr (std::is_same<R, uint8_t>::value) o[off[0]] = R(a[off[1]] != A(0));
    else o[off[0]] = R(a[off[1]]);
  }
};

template <class T>
struct WhereFn {
  static constexpr int kOps = 4;
  T* o;
  const uint8_t* c;
  const T* a;
  const T* b;
  __device__ void operator()(const int64_t* off) const { o[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]]; }
};

// Element offsets of linear index i for the first N operands. The index is decomposed once
// for all operands; I = uint32_t when the tensor is small enough, as 64-bit division is slow.
template <int N, class I>
__device__ __forceinline__ void nd_offsets(const Geometry& g, I i, int64_t* off) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = g.ndim - 1; d > 0; --d) {
    const I n = (I)g.shape[d];
    const I q = i / n;
    const int64_t r = (int64_t)(i - q * n);
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] += r * g.strides[k][d];
    i = q;
  }
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] += (int64_t)i * g.strides[k][0];
}

// ---- kernels ----

template <class F>
__global__ void __launch_bounds__(kBlock) walk_kernel(const Geometry g, const F f) {
  constexpr int N = F::kOps;
  int64_t off[N];
  if (g.ndim <= 1) {  // one merged axis (contiguous, broadcast scalar or strided): no division
    int64_t s[N];
#pragma unroll
    for (int k = 0; k < N; ++k) s[k] = g.ndim == 1 ? g.strides[k][0] : 0;
    KT_GRID_LOOP(i, g.numel) {
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = i * s[k];
      f(off);
    }
  } else if (g.numel <= INT32_MAX) {
    KT_GRID_LOOP(i, g.numel) {
      nd_offsets<N, uint32_t>(g, (uint32_t)i, off);
      f(off);
    }
  } else {
    KT_GRID_LOOP(i, g.numel) {
      nd_offsets<N, int64_t>(g, i, off);
      f(off);
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) fill_affine_kernel(T* o, int64_t n, double start, double step) {
  KT_GRID_LOOP(i, n) o[i] = T(start + step * (double)i);
}

// ---- launchers ----

template <class F>
void walk(const Geometry& g, const F& f) {
  if (g.numel <= 0) return;
  walk_kernel<F><<<grid_for(g.numel), kBlock>>>(g, f);
  KT_LAUNCH_CHECK();
}

template <BinaryOp OP, class T>
void binary_t(const Geometry& g, void* out, const void* a, const void* b) {
  using F = BinaryFn<OP, T>;
  walk(g, F{(typename F::R*)out, (const T*)a, (const T*)b});
}

template <UnaryOp OP, class T>
void unary_t(const Geometry& g, void* out, const void* a, double alpha) {
  using F = UnaryFn<OP, T>;
  walk(g, F{(typename F::R*)out, (const T*)a, alpha});
}

}  // namespace

// ---- entries ----

#include "elementwise_entries.inc"

void cast(DType to, DType from, const Geometry& g, void* out, const void* a) {
  KT_DISPATCH(to, R, KT_DISPATCH(from, A, walk(g, CastFn<R, A>{(R*)out, (const A*)a})));
}

void where(DType dt, const Geometry& g, void* out, const void* c, const void* a, const void* b) {
  KT_DISPATCH(dt, T, walk(g, WhereFn<T>{(T*)out, (const uint8_t*)c, (const T*)a, (const T*)b}));
}

void fill_affine(DType dt, void* out, int64_t n, double start, double step) {
  if (n <= 0) return;
  KT_DISPATCH(dt, T, {
    fill_affine_kernel<T><<<grid_for(n), kBlock>>>((T*)out, n, start, step);
    KT_LAUNCH_CHECK();
  });
}

}  // namespace cuda
}  // namespace kt
