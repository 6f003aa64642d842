// The tensor: a typed, strided view of a Storage. Views share storage and differ in
// shape, strides and offset; kernels get compact memory from contiguous().
#pragma once
#include <memory>
#include <vector>

#include "dtype.h"
#include "geometry.h"
#include "storage.h"

namespace kt {

class Tensor {
 public:
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements
  int64_t offset = 0;  // in elements, from storage->data
  DType dtype = DType::Float32;

  Tensor() = default;
  static Tensor empty(const Shape& shape, DType dtype, Device device);

  int ndim() const { return (int)shape.size(); }
  int64_t numel() const { return shape_numel(shape); }
  Device device() const { return storage->device; }
  size_t itemsize() const { return dtype_size(dtype); }
  void* data() const { return (char*)storage->data + offset * (int64_t)itemsize(); }
  template <class T> T* data_as() const { return reinterpret_cast<T*>(data()); }
  bool is_contiguous() const;

  // Views (no copy).
  Tensor as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  Tensor permute(const std::vector<int64_t>& axes) const;
  Tensor expand(const Shape& shape) const;  // broadcast_to
  Tensor view(const Shape& shape) const;    // requires a compatible layout; -1 infers one axis

  // Copies when needed.
  Tensor contiguous() const;
  Tensor reshape(const Shape& shape) const;  // a view when possible, else a copy
  Tensor to(Device device) const;
  Tensor clone() const;
};

// Resolves a -1 in `shape` against numel, checking that the sizes agree.
Shape infer_shape(const Shape& shape, int64_t numel);
// Normalises a possibly negative axis against ndim, naming the op on error.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);
// numpy broadcasting of two shapes; throws ValueError naming the op and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Builds the merged broadcast geometry of an output and up to three inputs.
Geometry make_geometry(const Tensor& out, std::initializer_list<const Tensor*> inputs);

}  // namespace kt
