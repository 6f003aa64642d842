// Elementwise CPU kernels: binary, unary, cast, where and fills, all over for_each_row.
#include <type_traits>

#include "cpu/kernels.h"
#include "cpu/strided.h"
#include "scalar_ops.h"

namespace kt {
namespace cpu {
namespace {

// Applies f to one row with the common stride patterns unrolled so the compiler vectorises them.
template <class R, class A, class B, class F>
inline void row2(R* o, const A* a, const B* b, const int64_t* s, int64_t n, F f) {
  if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
    const B bv = *b;
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
    const A av = *a;
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]], b[i * s[2]]);
  }
}

template <class R, class A, class F>
inline void row1(R* o, const A* a, const int64_t* s, int64_t n, F f) {
  if (s[0] == 1 && s[1] == 1) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
  } else if (s[0] == 1 && s[1] == 0) {
    const R v = f(*a);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]]);
  }
}

template <BinaryOp OP, class T>
void binary_t(const Geometry& g, void* out, const void* a, const void* b) {
  using R = decltype(binary_apply<OP, T>(T(), T()));
  for_each_row(g, [&](const int64_t* off, const int64_t* s, int64_t n) {
    row2((R*)out + off[0], (const T*)a + off[1], (const T*)b + off[2], s, n,
         [](T x, T y) { return binary_apply<OP, T>(x, y); });
  });
}

template <UnaryOp OP, class T>
void unary_t(const Geometry& g, void* out, const void* a, double alpha) {
  using R = decltype(unary_apply<OP, T>(T(), 0.0));
  for_each_row(g, [&](const int64_t* off, const int64_t* s, int64_t n) {
    row1((R*)out + off[0], (const T*)a + off[1], s, n, [alpha](T x) { return unary_apply<OP, T>(x, alpha); });
  });
}

}  // namespace

#include "elementwise_entries.inc"

void cast(DType to, DType from, const Geometry& g, void* out, const void* a) {
  KT_DISPATCH(to, R, KT_DISPATCH(from, A, {
    for_each_row(g, [&](const int64_t* off, const int64_t* s, int64_t n) {
      row1((R*)out + off[0], (const A*)a + off[1], s, n, [](A x) {
        if constexpr (std::is_same<R, uint8_t>::value) return R(x != 0);
        else return R(x);
      });
    });
  }));
}

void where(DType dt, const Geometry& g, void* out, const void* c, const void* a, const void* b) {
  KT_DISPATCH(dt, T, {
    for_each_row(g, [&](const int64_t* off, const int64_t* s, int64_t n) {
      T* o = (T*)out + off[0];
      const uint8_t* pc = (const uint8_t*)c + off[1];
      const T* pa = (const T*)a + off[2];
      const T* pb = (const T*)b + off[3];
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = pc[i * s[1]] ? pa[i * s[2]] : pb[i * s[3]];
    });
  });
}

void fill_affine(DType dt, void* out, int64_t n, double start, double step) {
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    parallel_for(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = T(start + step * (double)i);
    });
  });
}

}  // namespace cpu
}  // namespace kt
