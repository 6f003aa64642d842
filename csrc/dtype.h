// Element types and the switch that turns a runtime dtype into a C++ type.
#pragma once
#include <cstddef>
#include <cstdint>

namespace kt {

// Order matters: promotion picks the larger of two (bool < int32 < int64 < float32 < float64).
enum class DType : uint8_t { Bool = 0, Int32 = 1, Int64 = 2, Float32 = 3, Float64 = 4 };
constexpr int kNumDTypes = 5;

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline DType promote(DType a, DType b) { return a > b ? a : b; }

}  // namespace kt

// KT_DISPATCH(dtype, T, body): runs body with T bound to the element type (bool stored as uint8_t).
#define KT_CASE_(ENUM, CTYPE, T, ...) \
  case ::kt::DType::ENUM: {           \
    using T = CTYPE;                  \
    __VA_ARGS__;                      \
    break;                            \
  }
#define KT_DISPATCH(DT, T, ...)                          \
  switch (DT) {                                          \
    KT_CASE_(Bool, uint8_t, T, __VA_ARGS__)              \
    KT_CASE_(Int32, int32_t, T, __VA_ARGS__)             \
    KT_CASE_(Int64, int64_t, T, __VA_ARGS__)             \
    KT_CASE_(Float32, float, T, __VA_ARGS__)             \
    KT_CASE_(Float64, double, T, __VA_ARGS__)            \
  }
#define KT_DISPATCH_FLOAT(DT, T, ...)                    \
  switch (DT) {                                          \
    KT_CASE_(Float32, float, T, __VA_ARGS__)             \
    KT_CASE_(Float64, double, T, __VA_ARGS__)            \
    default: break;                                      \
  }
