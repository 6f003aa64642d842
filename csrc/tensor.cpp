#include "tensor.h"

#include <algorithm>
#include <cstring>

#include "error.h"
#include "ops/ops.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace kt {

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  int64_t n = (int64_t)dtype_size(dtype);
  for (auto s : shape) {
    KT_CHECK(s >= 0, ValueError, "negative dimension in shape ", shape);
    KT_CHECK(!__builtin_mul_overflow(n, s, &n), ValueError, "shape ", shape, " has too many elements");
  }
  Tensor t;
  t.shape = shape;
  t.strides = contiguous_strides(shape);
  t.dtype = dtype;
  t.storage = allocate(std::max<int64_t>(shape_numel(shape), 1) * dtype_size(dtype), device);
  return t;
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int i = ndim() - 1; i >= 0; --i) {
    if (shape[i] != 1 && strides[i] != expect) return false;
    expect *= shape[i];
  }
  return true;
}

Tensor Tensor::as_strided(const Shape& new_shape, const Shape& new_strides, int64_t new_offset) const {
  KT_CHECK(new_shape.size() == new_strides.size(), ValueError, "as_strided: shape ", new_shape,
           " and strides ", new_strides, " differ in length");
  KT_CHECK((int)new_shape.size() <= 64, ValueError, "too many dimensions (", new_shape.size(), ")");
  // Bounds: the lowest and highest element the view can touch must lie in the storage.
  int64_t lo = new_offset, hi = new_offset;
  bool empty_view = false;
  for (size_t i = 0; i < new_shape.size(); ++i) {
    KT_CHECK(new_shape[i] >= 0, ValueError, "as_strided: negative size in ", new_shape);
    if (new_shape[i] == 0) empty_view = true;
    int64_t span = (new_shape[i] - 1) * new_strides[i];
    (span < 0 ? lo : hi) += span;
  }
  int64_t cap = (int64_t)(storage->nbytes / itemsize());
  KT_CHECK(empty_view || (lo >= 0 && hi < cap), IndexError, "view out of bounds: shape ", new_shape,
           " strides ", new_strides, " offset ", new_offset, " on storage of ", cap, " elements");
  Tensor t = *this;
  t.shape = new_shape;
  t.strides = new_strides;
  t.offset = new_offset;
  return t;
}

Tensor Tensor::permute(const std::vector<int64_t>& axes) const {
  KT_CHECK((int)axes.size() == ndim(), ValueError, "permute: axes ", axes, " do not match a tensor of shape ", shape);
  std::vector<bool> seen(ndim(), false);
  Tensor t = *this;
  for (int i = 0; i < ndim(); ++i) {
    int64_t a = normalize_axis(axes[i], ndim(), "permute");
    KT_CHECK(!seen[a], ValueError, "permute: repeated axis in ", axes);
    seen[a] = true;
    t.shape[i] = shape[a];
    t.strides[i] = strides[a];
  }
  return t;
}

Tensor Tensor::expand(const Shape& target) const {
  KT_CHECK(target.size() >= shape.size(), ValueError, "cannot broadcast shape ", shape, " to ", target);
  Tensor t = *this;
  size_t lead = target.size() - shape.size();
  t.shape = target;
  t.strides.assign(target.size(), 0);
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t s = shape[i], d = target[lead + i];
    KT_CHECK(s == d || s == 1, ValueError, "cannot broadcast shape ", shape, " to ", target);
    t.strides[lead + i] = (s == d && s != 1) ? strides[i] : 0;
  }
  return t;
}

Shape infer_shape(const Shape& shape, int64_t numel) {
  Shape out = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      KT_CHECK(infer < 0, ValueError, "reshape: only one dimension can be -1, got ", shape);
      infer = (int)i;
    } else {
      KT_CHECK(shape[i] >= 0, ValueError, "reshape: invalid shape ", shape);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    KT_CHECK(known != 0 && numel % known == 0, ValueError, "cannot reshape ", numel, " elements into shape ", shape);
    out[infer] = numel / known;
  } else {
    KT_CHECK(known == numel, ValueError, "cannot reshape ", numel, " elements into shape ", shape);
  }
  return out;
}

Tensor Tensor::view(const Shape& new_shape_in) const {
  Shape new_shape = infer_shape(new_shape_in, numel());
  if (numel() == 0) return as_strided(new_shape, contiguous_strides(new_shape), offset);
  // Size-1 axes carry no layout; drop them from the old shape.
  Shape os, ost;
  for (int i = 0; i < ndim(); ++i)
    if (shape[i] != 1) { os.push_back(shape[i]); ost.push_back(strides[i]); }
  Shape ns = new_shape, nst(new_shape.size(), 1);
  size_t oi = 0, ni = 0;
  while (oi < os.size() && ni < ns.size()) {
    // Grow a group of old axes and a group of new axes until their sizes match.
    int64_t op = os[oi], np = ns[ni];
    size_t oj = oi + 1, nj = ni + 1;
    while (op != np) {
      if (np < op) np *= ns[nj++];
      else op *= os[oj++];
    }
    for (size_t k = oi; k + 1 < oj; ++k)
      KT_CHECK(ost[k] == os[k + 1] * ost[k + 1], ValueError, "view: shape ", shape, " with strides ",
               strides, " cannot be viewed as ", new_shape);
    nst[nj - 1] = ost[oj - 1];
    for (size_t k = nj - 1; k > ni; --k) nst[k - 1] = nst[k] * ns[k];
    oi = oj;
    ni = nj;
  }
  Tensor t = *this;
  t.shape = ns;
  t.strides = nst;
  return t;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape, dtype, device());
  ops::copy_(out, *this);
  return out;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = infer_shape(new_shape, numel());
  if (is_contiguous()) return as_strided(s, contiguous_strides(s), offset);
  try {
    return view(s);
  } catch (const ValueError&) {
    return contiguous().reshape(s);
  }
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor src = contiguous();
  Tensor out = Tensor::empty(shape, dtype, target);
  size_t nbytes = numel() * itemsize();
#ifdef KT_WITH_CUDA
  if (nbytes) {
    if (!src.device().is_cuda()) cuda::memcpy(out.data(), src.data(), nbytes, cuda::CopyKind::HostToDevice, target.index);
    else if (!target.is_cuda()) cuda::memcpy(out.data(), src.data(), nbytes, cuda::CopyKind::DeviceToHost, src.device().index);
    else cuda::memcpy(out.data(), src.data(), nbytes, cuda::CopyKind::DeviceToDevice, target.index);
  }
#else
  (void)nbytes;
  throw RuntimeError("ktensor was built without CUDA support");
#endif
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op) {
  int64_t n = ndim == 0 ? 1 : ndim;
  KT_CHECK(axis >= -n && axis < n, IndexError, op, ": axis ", axis, " is out of range for a tensor of rank ", ndim);
  return axis < 0 ? axis + n : axis;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    KT_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": shapes ", a, " and ", b,
             " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Geometry make_geometry(const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  Geometry g;
  g.nops = 1 + (int)inputs.size();
  const int nd = out.ndim();
  // Per-operand strides aligned to the output's axes (0 where broadcast).
  std::vector<Shape> st(g.nops, Shape(nd, 0));
  st[0] = out.strides;
  int k = 1;
  for (const Tensor* t : inputs) {
    int lead = nd - t->ndim();
    for (int i = 0; i < t->ndim(); ++i)
      st[k][lead + i] = t->shape[i] == 1 ? 0 : t->strides[i];
    ++k;
  }
  // Drop size-1 axes, then merge axis i into i+1 when every operand's strides chain.
  std::vector<int64_t> shp;
  std::vector<Shape> cs(g.nops);
  for (int i = 0; i < nd; ++i) {
    if (out.shape[i] == 1) continue;
    bool merge = !shp.empty();
    for (int o = 0; o < g.nops && merge; ++o) merge = cs[o].back() == st[o][i] * out.shape[i];
    if (merge) {
      shp.back() *= out.shape[i];
      for (int o = 0; o < g.nops; ++o) cs[o].back() = st[o][i];
    } else {
      shp.push_back(out.shape[i]);
      for (int o = 0; o < g.nops; ++o) cs[o].push_back(st[o][i]);
    }
  }
  KT_CHECK((int)shp.size() <= kMaxDims, ValueError, "too many non-mergeable dimensions (", shp.size(), ") for an elementwise op");
  g.ndim = (int)shp.size();
  g.numel = out.numel();
  for (int i = 0; i < g.ndim; ++i) {
    g.shape[i] = shp[i];
    for (int o = 0; o < g.nops; ++o) g.strides[o][i] = cs[o][i];
  }
  return g;
}

}  // namespace kt
