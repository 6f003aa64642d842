// The Python binding: the only file that sees Python. Maps core errors to Python exceptions,
// exchanges memory with numpy and DLPack, and exposes the ops of ops/ops.h.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "dlpack.h"
#include "error.h"
#include "info.h"
#include "ops/ops.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace py = pybind11;
using namespace kt;

namespace {

// An optional tensor argument as the nullable pointer the ops take.
Tensor* or_null(std::optional<Tensor>& t) { return t ? &*t : nullptr; }

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device{Device::CPU, 0};
  if (s.rfind("cuda", 0) == 0) {
    int idx = 0;
    if (s.size() > 4) {
      KT_CHECK(s[4] == ':' && s.size() > 5, ValueError, "invalid device '", s, "' (expected 'cpu', 'cuda' or 'cuda:N')");
      try { idx = std::stoi(s.substr(5)); } catch (...) { throw ValueError("invalid device '" + s + "'"); }
    }
    int n = cuda_device_count();
    KT_CHECK(cuda_compiled(), RuntimeError, "device '", s, "' requested, but ktensor was built without CUDA");
    KT_CHECK(idx >= 0 && idx < n, RuntimeError, "device '", s, "' requested, but ", n, " CUDA device(s) are visible");
    return Device{Device::CUDA, idx};
  }
  throw ValueError("invalid device '" + s + "' (expected 'cpu', 'cuda' or 'cuda:N')");
}

DType dtype_from_numpy(const py::dtype& d) {
  switch (d.kind()) {
    case 'b': return DType::Bool;
    case 'f':
      if (d.itemsize() == 4) return DType::Float32;
      if (d.itemsize() == 8) return DType::Float64;
      break;
    case 'i':
    case 'u':
      if (d.kind() == 'i' && d.itemsize() == 4) return DType::Int32;
      if (d.kind() == 'i' && d.itemsize() == 8) return DType::Int64;
      break;
  }
  throw TypeError("unsupported numpy dtype " + std::string(py::str(d)) + " (ktensor has bool, int32, int64, float32, float64)");
}

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool: return py::dtype("bool");
    case DType::Int32: return py::dtype("int32");
    case DType::Int64: return py::dtype("int64");
    case DType::Float32: return py::dtype("float32");
    case DType::Float64: return py::dtype("float64");
  }
  return py::dtype("float32");
}

// Wraps a numpy array's memory without copying; the array stays alive while the tensor does.
Tensor wrap_numpy(py::array arr) {
  DType dt = dtype_from_numpy(arr.dtype());
  const int64_t es = (int64_t)dtype_size(dt);
  Shape shape(arr.shape(), arr.shape() + arr.ndim()), strides(arr.ndim());
  int64_t lo = 0, hi = 0;
  bool empty = false;
  for (int i = 0; i < arr.ndim(); ++i) {
    KT_CHECK(arr.strides(i) % es == 0, ValueError, "numpy array strides are not a multiple of its item size");
    strides[i] = arr.strides(i) / es;
    if (shape[i] == 0) empty = true;
    int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  if (empty) { lo = hi = 0; }
  char* base = (char*)arr.request().ptr;  // non-const: the tensor may be written through
  auto* keep = new py::object(arr);
  auto release = [keep](void*) {
    py::gil_scoped_acquire gil;
    delete keep;
  };
  Tensor t;
  t.storage = std::make_shared<Storage>(base + lo * es, (size_t)((hi - lo + 1) * es), Device{}, release);
  t.shape = shape;
  t.strides = strides;
  t.offset = -lo;
  t.dtype = dt;
  return t;
}

Tensor from_numpy(py::array arr, const std::string& device, bool copy) {
  if (!arr.writeable() && !copy) copy = true;  // never hand out writes to read-only memory
  Device dev = parse_device(device);
  Tensor t = wrap_numpy(arr);
  if (dev.is_cuda()) return t.to(dev);
  if (copy) return t.clone();
  return t;
}

py::array to_numpy(const Tensor& t_in) {
  Tensor t = t_in.device().is_cuda() ? t_in.to(Device{}) : t_in;
  const int64_t es = (int64_t)t.itemsize();
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end()), strides(t.ndim());
  for (int i = 0; i < t.ndim(); ++i) strides[i] = t.strides[i] * es;
  // The capsule owns a reference to the storage, so numpy's view keeps the memory alive.
  auto* keep = new std::shared_ptr<Storage>(t.storage);
  py::capsule owner(keep, [](void* p) { delete reinterpret_cast<std::shared_ptr<Storage>*>(p); });
  return py::array(numpy_dtype(t.dtype), shape, strides, t.data(), owner);
}

py::object item(const Tensor& t_in) {
  KT_CHECK(t_in.numel() == 1, ValueError, "only a tensor with one element converts to a Python scalar, got shape ", t_in.shape);
  Tensor t = t_in.device().is_cuda() ? t_in.to(Device{}) : t_in;
  switch (t.dtype) {
    case DType::Bool: return py::bool_(*t.data_as<uint8_t>() != 0);
    case DType::Int32: return py::int_(*t.data_as<int32_t>());
    case DType::Int64: return py::int_(*t.data_as<int64_t>());
    case DType::Float32: return py::float_(*t.data_as<float>());
    case DType::Float64: return py::float_(*t.data_as<double>());
  }
  return py::none();
}

// ---- DLPack ----
struct DLPackCtx {
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  DLManagedTensor managed;
};

py::capsule to_dlpack(const Tensor& t) {
  auto* ctx = new DLPackCtx{t.storage, t.shape, t.strides, {}};
  DLTensor& d = ctx->managed.dl_tensor;
  d.data = t.storage->data;
  d.byte_offset = (uint64_t)(t.offset * (int64_t)t.itemsize());
  d.device = {t.device().is_cuda() ? kDLCUDA : kDLCPU, t.device().is_cuda() ? t.device().index : 0};
  d.ndim = t.ndim();
  uint8_t code = t.dtype == DType::Bool ? kDLBool : is_floating(t.dtype) ? kDLFloat : kDLInt;
  d.dtype = {code, (uint8_t)(t.itemsize() * 8), 1};
  d.shape = ctx->shape.data();
  d.strides = ctx->strides.data();
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = [](DLManagedTensor* m) { delete static_cast<DLPackCtx*>(m->manager_ctx); };
  PyObject* cap = PyCapsule_New(&ctx->managed, "dltensor", [](PyObject* c) {
    // Only a capsule nobody consumed still owns the tensor.
    if (PyCapsule_IsValid(c, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(c, "dltensor"));
      if (m && m->deleter) m->deleter(m);
    }
  });
  if (!cap) throw py::error_already_set();
  return py::reinterpret_steal<py::capsule>(cap);
}

Tensor from_dlpack_capsule(py::capsule cap) {
  KT_CHECK(PyCapsule_IsValid(cap.ptr(), "dltensor"), ValueError,
           "from_dlpack: expected an unconsumed 'dltensor' capsule");
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), "dltensor"));
  const DLTensor& d = m->dl_tensor;
  DType dt;
  const auto c = d.dtype.code, bits = d.dtype.bits;
  KT_CHECK(d.dtype.lanes == 1, TypeError, "from_dlpack: vector dtypes are not supported");
  if (c == kDLFloat && bits == 32) dt = DType::Float32;
  else if (c == kDLFloat && bits == 64) dt = DType::Float64;
  else if (c == kDLInt && bits == 32) dt = DType::Int32;
  else if (c == kDLInt && bits == 64) dt = DType::Int64;
  else if ((c == kDLBool || c == kDLUInt) && bits == 8) dt = DType::Bool;
  else throw TypeError(str("from_dlpack: unsupported dtype code ", (int)c, " with ", (int)bits, " bits"));
  Device dev;
  if (d.device.device_type == kDLCUDA) dev = Device{Device::CUDA, d.device.device_id};
  else KT_CHECK(d.device.device_type == kDLCPU || d.device.device_type == kDLCUDAHost, ValueError,
                "from_dlpack: unsupported device type ", d.device.device_type);
  const int64_t es = (int64_t)dtype_size(dt);
  Shape shape(d.shape, d.shape + d.ndim);
  Shape strides = d.strides ? Shape(d.strides, d.strides + d.ndim) : contiguous_strides(shape);
  KT_CHECK(d.byte_offset % es == 0, ValueError, "from_dlpack: byte offset is not a multiple of the item size");
  int64_t lo = 0, hi = 0;
  for (int i = 0; i < d.ndim; ++i) {
    if (shape[i] == 0) { lo = hi = 0; break; }
    int64_t span = (shape[i] - 1) * strides[i];
    (span < 0 ? lo : hi) += span;
  }
  char* base = (char*)d.data + d.byte_offset;
  Tensor t;
  t.storage = std::make_shared<Storage>(base + lo * es, (size_t)((hi - lo + 1) * es), dev,
                                        [m](void*) { if (m->deleter) m->deleter(m); });
  t.shape = shape;
  t.strides = strides;
  t.offset = -lo;
  t.dtype = dt;
  PyCapsule_SetName(cap.ptr(), "used_dltensor");
  return t;
}

py::tuple shape_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
  return t;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "ktensor native core";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const kt::ValueError& e) { PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const kt::TypeError& e) { PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const kt::IndexError& e) { PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const kt::OutOfMemory& e) { PyErr_SetString(PyExc_MemoryError, e.what());
    } catch (const kt::RuntimeError& e) { PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  py::enum_<DType>(m, "DType")
      .value("bool", DType::Bool).value("int32", DType::Int32).value("int64", DType::Int64)
      .value("float32", DType::Float32).value("float64", DType::Float64);
  py::enum_<BinaryOp> bop(m, "BinaryOp");
#define KT_PY_ENUM_(N) bop.value(#N, BinaryOp::N);
  KT_BINARY_OPS(KT_PY_ENUM_)
#undef KT_PY_ENUM_
  py::enum_<UnaryOp> uop(m, "UnaryOp");
#define KT_PY_ENUM_(N) uop.value(#N, UnaryOp::N);
  KT_UNARY_OPS(KT_PY_ENUM_)
#undef KT_PY_ENUM_
  py::enum_<ReduceOp>(m, "ReduceOp")
      .value("Sum", ReduceOp::Sum).value("Mean", ReduceOp::Mean).value("Prod", ReduceOp::Prod)
      .value("Max", ReduceOp::Max).value("Min", ReduceOp::Min).value("ArgMax", ReduceOp::ArgMax)
      .value("ArgMin", ReduceOp::ArgMin);
  py::enum_<RandomKind>(m, "RandomKind")
      .value("Uniform", RandomKind::Uniform).value("Normal", RandomKind::Normal)
      .value("TruncatedNormal", RandomKind::TruncatedNormal).value("Bernoulli", RandomKind::Bernoulli);

  py::class_<Tensor>(m, "Tensor")
      .def_property_readonly("shape", [](const Tensor& t) { return shape_tuple(t.shape); })
      .def_property_readonly("strides", [](const Tensor& t) { return shape_tuple(t.strides); })
      .def_property_readonly("offset", [](const Tensor& t) { return t.offset; })
      .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype; })
      .def_property_readonly("device", [](const Tensor& t) { return t.device().str(); })
      .def_property_readonly("ndim", &Tensor::ndim)
      .def_property_readonly("numel", &Tensor::numel)
      .def_property_readonly("storage_id", [](const Tensor& t) { return (uintptr_t)t.storage.get(); })
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("numpy", &to_numpy)
      .def("item", &item)
      .def("contiguous", &Tensor::contiguous)
      .def("clone", &Tensor::clone)
      .def("reshape", &Tensor::reshape)
      .def("view", &Tensor::view)
      .def("permute", &Tensor::permute)
      .def("expand", &Tensor::expand)
      .def("as_strided", &Tensor::as_strided)
      .def("to", [](const Tensor& t, const std::string& d) { return t.to(parse_device(d)); })
      .def("copy_", [](Tensor& dst, const Tensor& src) { ops::copy_(dst, src); })
      .def("__dlpack__", [](const Tensor& t, py::kwargs) { return to_dlpack(t); })
      .def("__dlpack_device__", [](const Tensor& t) {
        return py::make_tuple(t.device().is_cuda() ? (int)kDLCUDA : (int)kDLCPU, t.device().is_cuda() ? t.device().index : 0);
      });

  m.def("from_numpy", &from_numpy, py::arg("array"), py::arg("device") = "cpu", py::arg("copy") = true);
  m.def("from_dlpack_capsule", &from_dlpack_capsule);
  m.def("empty", [](const Shape& s, DType dt, const std::string& d) { return Tensor::empty(s, dt, parse_device(d)); });
  m.def("full", [](const Shape& s, DType dt, const std::string& d, double v) { return ops::full(s, dt, parse_device(d), v); });
  m.def("arange", [](double start, double step, int64_t n, DType dt, const std::string& d) {
    return ops::arange(start, step, n, dt, parse_device(d));
  });
  m.def("binary", &ops::binary);
  m.def("unary", &ops::unary, py::arg("op"), py::arg("a"), py::arg("alpha") = 0.0);
  m.def("cast", &ops::cast);
  m.def("where", &ops::where);
  m.def("reduce", &ops::reduce);
  m.def("softmax", &ops::softmax);
  m.def("matmul", &ops::matmul);
  m.def("take", &ops::take);
  m.def("take_backward", &ops::take_backward);
  m.def("one_hot", &ops::one_hot);
  m.def("concat", &ops::concat);
  m.def("pad", &ops::pad);
  m.def("random", [](const Shape& s, DType dt, const std::string& d, RandomKind k, uint64_t seed, uint64_t off,
                     double a, double b) { return ops::random(s, dt, parse_device(d), k, seed, off, a, b); });
  m.def("softmax_xent", &ops::softmax_xent);
  m.def("softmax_xent_backward", &ops::softmax_xent_backward);
  m.def("optim_step", [](int kind, Tensor& var, const Tensor& grad, std::optional<Tensor> s1, std::optional<Tensor> s2,
                         std::optional<Tensor> s3, const std::array<double, 8>& hp) {
    ops::optim_step(kind, var, grad, or_null(s1), or_null(s2), or_null(s3), hp);
  });

  // conv family: strides (2), pads (top, bottom, left, right), dilations (2), groups
  auto conv_args = [](const std::array<int64_t, 2>& st, const std::array<int64_t, 4>& pads,
                      const std::array<int64_t, 2>& dil, int64_t groups) { return ops::Conv2dArgs{st, pads, dil, groups}; };
  m.def(
      "conv2d",
      [=](const Tensor& x, const Tensor& w, const std::array<int64_t, 2>& st, const std::array<int64_t, 4>& pads,
          const std::array<int64_t, 2>& dil, int64_t groups, std::optional<Tensor> bias, UnaryOp act) {
        return ops::conv2d(x, w, conv_args(st, pads, dil, groups), or_null(bias), act);
      },
      py::arg("x"), py::arg("w"), py::arg("strides"), py::arg("pads"), py::arg("dilations"), py::arg("groups"),
      py::arg("bias") = py::none(), py::arg("act") = UnaryOp::Copy);
  m.def("conv2d_backward_input", [=](const Tensor& gy, const Tensor& w, const Shape& x_shape,
                                     const std::array<int64_t, 2>& st, const std::array<int64_t, 4>& pads,
                                     const std::array<int64_t, 2>& dil, int64_t groups) {
    return ops::conv2d_backward_input(gy, w, x_shape, conv_args(st, pads, dil, groups));
  });
  m.def("conv2d_backward_kernel", [=](const Tensor& x, const Tensor& gy, const Shape& w_shape,
                                      const std::array<int64_t, 2>& st, const std::array<int64_t, 4>& pads,
                                      const std::array<int64_t, 2>& dil, int64_t groups) {
    return ops::conv2d_backward_kernel(x, gy, w_shape, conv_args(st, pads, dil, groups));
  });

  // pool and norm family
  m.def("max_pool2d", &ops::max_pool2d);
  m.def("max_pool2d_backward", &ops::max_pool2d_backward);
  m.def("avg_pool2d", &ops::avg_pool2d);
  m.def("avg_pool2d_backward", &ops::avg_pool2d_backward);
  m.def("batch_norm_stats", &ops::batch_norm_stats);
  m.def("batch_norm_apply", &ops::batch_norm_apply);
  m.def("batch_norm_backward", &ops::batch_norm_backward);
  m.def("layer_norm", &ops::layer_norm);
  m.def("layer_norm_backward", &ops::layer_norm_backward);
  m.def("bias_act", &ops::bias_act);
  m.def("bias_act_backward", &ops::bias_act_backward);

  // rnn family
  m.def("rnn_forward", [](int kind, int act, int ract, const Tensor& xw, const Tensor& u, std::optional<Tensor> brec,
                          const Tensor& h0, std::optional<Tensor> c0, std::optional<Tensor> mask,
                          std::optional<Tensor> rmask, bool reverse, bool zero_out) {
    return ops::rnn_forward(kind, act, ract, xw, u, or_null(brec), h0, or_null(c0),
                            or_null(mask), or_null(rmask), reverse, zero_out);
  });
  m.def("rnn_backward", [](int kind, int act, int ract, const Tensor& u, const Tensor& H, const Tensor& C,
                           const Tensor& G, const Tensor& RH, std::optional<Tensor> mask, std::optional<Tensor> rmask,
                           bool reverse, bool zero_out, const Tensor& dpacked) {
    return ops::rnn_backward(kind, act, ract, u, H, C, G, RH, or_null(mask), or_null(rmask),
                             reverse, zero_out, dpacked);
  });

  m.def("cuda_compiled", &cuda_compiled);
  m.def("cuda_device_count", &cuda_device_count);
  m.def("blas_info", &blas_info);
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", &set_num_threads);
#ifdef KT_WITH_CUDA
  m.def("cuda_memory_allocated", [](int d) { return cuda::memory_allocated(d); });
  m.def("cuda_max_memory_allocated", [](int d) { return cuda::max_memory_allocated(d); });
  m.def("cuda_memory_reserved", [](int d) { return cuda::memory_reserved(d); });
  m.def("cuda_reset_peak", [](int d) { cuda::reset_peak(d); });
  m.def("cuda_empty_cache", []() { cuda::empty_cache(); });
  m.def("cuda_synchronize", [](int d) { cuda::synchronize(d); });
#endif
}
