// 2-D convolution on CUDA, the same scheme as csrc/cpu/conv.cpp: im2col into a bounded
// scratch buffer, the tiled gemm of cuda/matmul.cu per group, and a col2im gather (one thread
// per input element, adding in the CPU's (ky, kx) order). No atomics: every result has a
// fixed sum order.
#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

constexpr int64_t kChunkBytes = int64_t(256) << 20;  // patch-matrix budget per chunk of images

int64_t chunk_images(const ConvShape& s, size_t elem) {
  const int64_t per_image = std::max<int64_t>(1, s.pixels() * s.patch() * (int64_t)elem);
  return std::min<int64_t>(std::max<int64_t>(kChunkBytes / per_image, 1), std::max<int64_t>(s.n, 1));
}

// ---- device functions ----

// Patch entry k of row r (rows over images n0..., entries [group][ky][kx][cg]); 0 off the image.
template <class T>
__device__ T patch_value(const ConvShape& s, const T* x, int64_t n0, int64_t r, int64_t k) {
  const int64_t cg = s.cg();
  const int64_t g = k / s.kg(), rem = k % s.kg();
  const int64_t ky = rem / (s.kw * cg), kx = (rem / cg) % s.kw, ci = rem % cg;
  const int64_t img = n0 + r / s.pixels(), oy = (r % s.pixels()) / s.ow, ox = r % s.ow;
  const int64_t iy = s.in_y(oy, ky), ix = s.in_x(ox, kx);
  if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) return T(0);
  return x[((img * s.h + iy) * s.w + ix) * s.c + g * cg + ci];
}

// Input-gradient element e (over images n0...) gathered from the patch gradient.
template <class T>
__device__ T gather_grad(const ConvShape& s, const T* dcols, int64_t e) {
  const int64_t ch = e % s.c, ix = (e / s.c) % s.w, iy = (e / (s.c * s.w)) % s.h, img = e / (s.c * s.w * s.h);
  const int64_t cg = s.cg(), g = ch / cg, ci = ch % cg;
  T acc = T(0);
  for (int64_t ky = 0; ky < s.kh; ++ky) {
    const int64_t oy = s.out_y(iy, ky);
    if (oy < 0) continue;
    for (int64_t kx = 0; kx < s.kw; ++kx) {
      const int64_t ox = s.out_x(ix, kx);
      if (ox < 0) continue;
      acc += dcols[((img * s.oh + oy) * s.ow + ox) * s.patch() + g * s.kg() + (ky * s.kw + kx) * cg + ci];
    }
  }
  return acc;
}

// ---- kernels ----

template <class T>
__global__ void __launch_bounds__(kBlock) im2col_kernel(ConvShape s, const T* x, T* cols, int64_t n0, int64_t total) {
  KT_GRID_LOOP(t, total) { cols[t] = patch_value(s, x, n0, t / s.patch(), t % s.patch()); }
}

template <class T>
__global__ void __launch_bounds__(kBlock) col2im_kernel(ConvShape s, const T* dcols, T* dx, int64_t total) {
  KT_GRID_LOOP(e, total) { dx[e] = gather_grad(s, dcols, e); }
}

template <class T>
__global__ void __launch_bounds__(kBlock) add_kernel(T* dst, const T* src, int64_t n) {
  KT_GRID_LOOP(i, n) { dst[i] += src[i]; }
}

// ---- launchers ----

template <class T>
void im2col(const ConvShape& s, const T* x, T* cols, int64_t n0, int64_t nimg) {
  const int64_t total = nimg * s.pixels() * s.patch();
  im2col_kernel<T><<<grid_for(total), kBlock>>>(s, x, cols, n0, total);
  KT_LAUNCH_CHECK();
}

template <class T>
void col2im(const ConvShape& s, const T* dcols, T* dx, int64_t nimg) {
  const int64_t total = nimg * s.h * s.w * s.c;
  col2im_kernel<T><<<grid_for(total), kBlock>>>(s, dcols, dx, total);
  KT_LAUNCH_CHECK();
}

template <class T>
void add(T* dst, const T* src, int64_t n) {
  add_kernel<T><<<grid_for(n), kBlock>>>(dst, src, n);
  KT_LAUNCH_CHECK();
}

template <class T>
void forward_t(DType dt, const ConvShape& s, T* out, const T* x, const T* w) {
  auto product = [&](int64_t m, const T* cols, int64_t ld, T* o) {
    gemm(dt, false, false, m, s.ocg(), s.kg(), cols, ld, s.kg(), w, s.oc, s.ocg(), o, s.oc, s.ocg(), s.groups);
  };
  if (s.pointwise()) return product(s.n * s.pixels(), x, s.c, out);
  const int64_t chunk = chunk_images(s, sizeof(T));
  DeviceBuffer cols(chunk * s.pixels() * s.patch() * sizeof(T));
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    const int64_t nimg = std::min(chunk, s.n - n0);
    im2col(s, x, cols.as<T>(), n0, nimg);
    product(nimg * s.pixels(), cols.as<T>(), s.patch(), out + n0 * s.pixels() * s.oc);
  }
}

template <class T>
void backward_input_t(DType dt, const ConvShape& s, T* dx, const T* gy, const T* w) {
  auto product = [&](int64_t m, const T* g, T* dcols, int64_t ld) {
    gemm(dt, false, true, m, s.kg(), s.ocg(), g, s.oc, s.ocg(), w, s.oc, s.ocg(), dcols, ld, s.kg(), s.groups);
  };
  if (s.pointwise()) return product(s.n * s.pixels(), gy, dx, s.c);
  const int64_t chunk = chunk_images(s, sizeof(T));
  DeviceBuffer dcols(chunk * s.pixels() * s.patch() * sizeof(T));
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    const int64_t nimg = std::min(chunk, s.n - n0);
    product(nimg * s.pixels(), gy + n0 * s.pixels() * s.oc, dcols.as<T>(), s.patch());
    col2im(s, dcols.as<T>(), dx + n0 * s.h * s.w * s.c, nimg);
  }
}

template <class T>
void backward_kernel_t(DType dt, const ConvShape& s, T* dw, const T* x, const T* gy) {
  auto product = [&](int64_t m, const T* cols, int64_t ld, const T* g, T* dst) {
    gemm(dt, true, false, s.kg(), s.ocg(), m, cols, ld, s.kg(), g, s.oc, s.ocg(), dst, s.oc, s.ocg(), s.groups);
  };
  if (s.pointwise()) return product(s.n * s.pixels(), x, s.c, gy, dw);
  const int64_t chunk = chunk_images(s, sizeof(T)), wn = s.kg() * s.oc;
  DeviceBuffer cols(chunk * s.pixels() * s.patch() * sizeof(T));
  DeviceBuffer part((s.n > chunk ? wn : 1) * sizeof(T));
  for (int64_t n0 = 0; n0 < s.n; n0 += chunk) {
    const int64_t nimg = std::min(chunk, s.n - n0);
    im2col(s, x, cols.as<T>(), n0, nimg);
    const T* g = gy + n0 * s.pixels() * s.oc;
    if (n0 == 0) {
      product(nimg * s.pixels(), cols.as<T>(), s.patch(), g, dw);
    } else {  // chunk products are added in chunk order, as on the CPU
      product(nimg * s.pixels(), cols.as<T>(), s.patch(), g, part.as<T>());
      add(dw, part.as<T>(), wn);
    }
  }
}

}  // namespace

// ---- entries ----

void conv2d_forward(DType dt, const ConvShape& s, void* out, const void* x, const void* w, const void* bias,
                    UnaryOp act) {
  KT_DISPATCH_FLOAT(dt, T, forward_t<T>(dt, s, (T*)out, (const T*)x, (const T*)w));
  if (bias) bias_act(act, dt, s.n * s.pixels(), s.oc, out, bias, out);  // the epilogue, in place
}

void conv2d_backward_input(DType dt, const ConvShape& s, void* dx, const void* gy, const void* w) {
  KT_DISPATCH_FLOAT(dt, T, backward_input_t<T>(dt, s, (T*)dx, (const T*)gy, (const T*)w));
}

void conv2d_backward_kernel(DType dt, const ConvShape& s, void* dw, const void* x, const void* gy) {
  KT_DISPATCH_FLOAT(dt, T, backward_kernel_t<T>(dt, s, (T*)dw, (const T*)x, (const T*)gy));
}

}  // namespace cuda
}  // namespace kt
