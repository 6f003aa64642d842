// Reductions and softmax over the middle axis of a compact [outer, r, inner] block.
// No atomics: every output is combined in an order fixed by the shape alone, so results are
// bitwise stable from run to run. Long reductions run in two passes over fixed-size chunks.
#include <cmath>
#include <limits>
#include <type_traits>

#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

template <class T>
using Acc = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;

// ---- device functions: reducers (identity, element -> state, combine, state -> output) ----

template <class T>
struct SumR {  // Sum and Mean (scale = 1 / r), as the CPU: T(acc * scale)
  using In = T;
  using State = Acc<T>;
  using Out = T;
  double scale;
  __device__ State identity() const { return State(0); }
  __device__ State make(T v, int64_t) const { return State(v); }
  __device__ State combine(State a, State b) const { return a + b; }
  __device__ Out finish(State s) const { return Out(s * scale); }
};

template <class T>
struct ProdR {
  using In = T;
  using State = Acc<T>;
  using Out = T;
  __device__ State identity() const { return State(1); }
  __device__ State make(T v, int64_t) const { return State(v); }
  __device__ State combine(State a, State b) const { return a * b; }
  __device__ Out finish(State s) const { return Out(s); }
};

// A candidate value and where it was found; k < 0 marks "nothing yet".
template <class T>
struct Pick {
  T v;
  int64_t k;
};

template <class T>
__device__ __forceinline__ Pick<T> shfl_xor(Pick<T> p, int lane_mask) {
  return Pick<T>{T(__shfl_xor_sync(kFullMask, p.v, lane_mask)), __shfl_xor_sync(kFullMask, p.k, lane_mask)};
}

// Max/Min/ArgMax/ArgMin. The winner is decided by (NaN first, then value, then lowest index),
// a total order, so any combination order gives the CPU's answer: the first NaN if any,
// else the first occurrence of the extreme value.
template <class T, bool MX, bool ARG>
struct SelectR {
  using In = T;
  using State = Pick<T>;
  using Out = typename std::conditional<ARG, int64_t, T>::type;
  __device__ State identity() const { return State{T(0), -1}; }
  __device__ State make(T v, int64_t k) const { return State{v, k}; }
  __device__ State combine(State a, State b) const {
    if (a.k < 0) return b;
    if (b.k < 0) return a;
    const bool an = a.v != a.v, bn = b.v != b.v;
    if (an || bn) return (an && bn) ? (a.k < b.k ? a : b) : (an ? a : b);
    if (MX ? b.v > a.v : b.v < a.v) return b;
    if (MX ? a.v > b.v : a.v < b.v) return a;
    return a.k < b.k ? a : b;
  }
  __device__ Out finish(State s) const {
    if constexpr (ARG) return s.k;
    else return s.v;
  }
};

// Where states come from: the input (first pass) or the partial states of a first pass.
template <class R>
struct FromInput {
  const typename R::In* p;
  __device__ typename R::State operator()(const R& red, int64_t pos, int64_t k) const { return red.make(p[pos], k); }
};

template <class R>
struct FromStates {
  const typename R::State* p;
  __device__ typename R::State operator()(const R&, int64_t pos, int64_t) const { return p[pos]; }
};

template <class R>
__device__ __forceinline__ void store(const R& red, void* dst, int64_t at, typename R::State s, bool final) {
  if (final) ((typename R::Out*)dst)[at] = red.finish(s);
  else ((typename R::State*)dst)[at] = s;
}

// ---- kernels ----

// Contiguous rows (inner == 1) of `len` values cut into `nch` chunks of `chunk`: a group of
// tpr threads reduces chunk (j % nch) of row (j / nch) into dst[j].
template <class R, class Src>
__global__ void __launch_bounds__(kBlock) row_kernel(R red, Src src, int64_t rows, int64_t len, int64_t chunk,
                                                     int64_t nch, int tpr, void* dst, bool final) {
  using State = typename R::State;
  KT_ROW_LOOP(j, lane, rows * nch, tpr) {
    const int64_t o = j / nch, k0 = (j % nch) * chunk, k1 = min(len, k0 + chunk);
    State s = red.identity();
    for (int64_t k = k0 + lane; k < k1; k += tpr) s = red.combine(s, src(red, o * len + k, k));
    s = group_allreduce(s, [&](State a, State b) { return red.combine(a, b); }, tpr);
    if (lane == 0) store(red, dst, j, s, final);
  }
}

// Strided columns (inner > 1): one thread per (outer, chunk, inner) walks its chunk in order,
// neighbouring threads reading neighbouring addresses. dst is [outer, nch, inner].
template <class R, class Src>
__global__ void __launch_bounds__(kBlock) column_kernel(R red, Src src, int64_t outer, int64_t r, int64_t inner,
                                                        int64_t chunk, int64_t nch, void* dst, bool final) {
  using State = typename R::State;
  KT_GRID_LOOP(t, outer * nch * inner) {
    const int64_t i = t % inner, oc = t / inner, o = oc / nch;
    const int64_t k0 = (oc % nch) * chunk, k1 = min(r, k0 + chunk);
    const int64_t base = o * r * inner + i;
    State s = red.identity();
    for (int64_t k = k0; k < k1; ++k) s = red.combine(s, src(red, base + k * inner, k));
    store(red, dst, t, s, final);
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) softmax_row_kernel(T* out, const T* in, int64_t rows, int64_t r,
                                                             int tpr, bool log) {
  const T ninf = -std::numeric_limits<T>::infinity();
  KT_ROW_LOOP(j, lane, rows, tpr) {
    const T* p = in + j * r;
    T* q = out + j * r;
    T m = ninf;
    for (int64_t k = lane; k < r; k += tpr) m = p[k] > m ? p[k] : m;
    m = group_allreduce(m, [](T a, T b) { return max_keep(a, b); }, tpr);
    if (m == ninf) m = 0;  // all -inf: avoid inf - inf
    double s = 0;
    for (int64_t k = lane; k < r; k += tpr) s += (double)T(std::exp(p[k] - m));
    s = group_allreduce(s, [](double a, double b) { return a + b; }, tpr);
    if (log) {  // (x - m) - log(s), as the CPU: subtracting m first keeps precision for large logits
      const T ls = T(std::log(s));
      for (int64_t k = lane; k < r; k += tpr) q[k] = (p[k] - m) - ls;
    } else {
      const T inv = T(1.0 / s);
      for (int64_t k = lane; k < r; k += tpr) q[k] = T(std::exp(p[k] - m)) * inv;
    }
  }
}

// inner > 1: one thread per (outer, inner) column, the CPU's loop exactly.
template <class T>
__global__ void __launch_bounds__(kBlock) softmax_column_kernel(T* out, const T* in, int64_t outer, int64_t r,
                                                                int64_t inner, bool log) {
  const T ninf = -std::numeric_limits<T>::infinity();
  KT_GRID_LOOP(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const T* p = in + o * r * inner + i;
    T* q = out + o * r * inner + i;
    T m = ninf;
    for (int64_t k = 0; k < r; ++k) m = p[k * inner] > m ? p[k * inner] : m;
    if (m == ninf) m = 0;
    double s = 0;
    for (int64_t k = 0; k < r; ++k) {
      T ex = std::exp(p[k * inner] - m);
      if (!log) q[k * inner] = ex;
      s += ex;
    }
    if (log) {
      const T ls = T(std::log(s));
      for (int64_t k = 0; k < r; ++k) q[k * inner] = (p[k * inner] - m) - ls;
    } else {
      const T inv = T(1.0 / s);
      for (int64_t k = 0; k < r; ++k) q[k * inner] *= inv;
    }
  }
}

// ---- launchers ----

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <class R>
void reduce_rows(const R& red, const typename R::In* in, void* out, int64_t outer, int64_t r) {
  // Fewer long rows than it takes to fill the GPU: 16K-element chunks in parallel, then one
  // pass over each row's chunk states.
  const int64_t chunk = 16384;
  if (outer >= 256 || r <= 4 * chunk) {
    const int tpr = row_group(outer, r);
    row_kernel<<<row_grid(outer, tpr), kBlock>>>(red, FromInput<R>{in}, outer, r, r, 1, tpr, out, true);
    KT_LAUNCH_CHECK();
    return;
  }
  const int64_t nch = ceil_div(r, chunk);
  DeviceBuffer part(outer * nch * sizeof(typename R::State));
  row_kernel<<<row_grid(outer * nch, kBlock), kBlock>>>(red, FromInput<R>{in}, outer, r, chunk, nch, kBlock,
                                                        part.ptr, false);
  KT_LAUNCH_CHECK();
  const int tpr = row_group(outer, nch);
  row_kernel<<<row_grid(outer, tpr), kBlock>>>(red, FromStates<R>{part.as<typename R::State>()}, outer, nch, nch,
                                               1, tpr, out, true);
  KT_LAUNCH_CHECK();
}

template <class R>
void reduce_columns(const R& red, const typename R::In* in, void* out, int64_t outer, int64_t r, int64_t inner) {
  // Too few columns to fill the GPU: cut r into chunks so that ~64K threads work, then
  // combine each column's chunk states in order.
  const int64_t cols = outer * inner;
  int64_t nch = 1, chunk = r;
  if (cols < 16384 && r > 64) {
    nch = std::min(ceil_div(65536, cols), ceil_div(r, 32));
    chunk = ceil_div(r, nch);
    nch = ceil_div(r, chunk);
  }
  if (nch == 1) {
    column_kernel<<<grid_for(cols), kBlock>>>(red, FromInput<R>{in}, outer, r, inner, r, 1, out, true);
    KT_LAUNCH_CHECK();
    return;
  }
  DeviceBuffer part(cols * nch * sizeof(typename R::State));
  column_kernel<<<grid_for(cols * nch), kBlock>>>(red, FromInput<R>{in}, outer, r, inner, chunk, nch, part.ptr,
                                                  false);
  KT_LAUNCH_CHECK();
  column_kernel<<<grid_for(cols), kBlock>>>(red, FromStates<R>{part.as<typename R::State>()}, outer, nch, inner,
                                            nch, 1, out, true);
  KT_LAUNCH_CHECK();
}

template <class R>
void run_reduce(const R& red, const void* in, void* out, int64_t outer, int64_t r, int64_t inner) {
  const typename R::In* p = (const typename R::In*)in;
  if (inner == 1) reduce_rows(red, p, out, outer, r);
  else reduce_columns(red, p, out, outer, r, inner);
}

template <class T>
void reduce_t(ReduceOp op, void* out, const void* in, int64_t outer, int64_t r, int64_t inner) {
  switch (op) {
    case ReduceOp::Sum: run_reduce(SumR<T>{1.0}, in, out, outer, r, inner); break;
    case ReduceOp::Mean: run_reduce(SumR<T>{1.0 / (double)r}, in, out, outer, r, inner); break;
    case ReduceOp::Prod: run_reduce(ProdR<T>{}, in, out, outer, r, inner); break;
    case ReduceOp::Max: run_reduce(SelectR<T, true, false>{}, in, out, outer, r, inner); break;
    case ReduceOp::Min: run_reduce(SelectR<T, false, false>{}, in, out, outer, r, inner); break;
    case ReduceOp::ArgMax: run_reduce(SelectR<T, true, true>{}, in, out, outer, r, inner); break;
    case ReduceOp::ArgMin: run_reduce(SelectR<T, false, true>{}, in, out, outer, r, inner); break;
    default: break;
  }
}

template <class T>
void softmax_t(T* out, const T* in, int64_t outer, int64_t r, int64_t inner, bool log) {
  if (inner == 1) {
    const int tpr = row_group(outer, r);
    softmax_row_kernel<T><<<row_grid(outer, tpr), kBlock>>>(out, in, outer, r, tpr, log);
  } else {
    softmax_column_kernel<T><<<grid_for(outer * inner), kBlock>>>(out, in, outer, r, inner, log);
  }
  KT_LAUNCH_CHECK();
}

}  // namespace

// ---- entries ----

void reduce(ReduceOp op, DType dt, void* out, const void* in, int64_t outer, int64_t r, int64_t inner) {
  if (outer <= 0 || inner <= 0 || r <= 0) return;  // the op layer fills empty reductions itself
  KT_DISPATCH(dt, T, reduce_t<T>(op, out, in, outer, r, inner));
}

void softmax(DType dt, void* out, const void* in, int64_t outer, int64_t r, int64_t inner, bool log) {
  if (outer <= 0 || inner <= 0 || r <= 0) return;
  KT_DISPATCH_FLOAT(dt, T, softmax_t<T>((T*)out, (const T*)in, outer, r, inner, log));
}

}  // namespace cuda
}  // namespace kt
