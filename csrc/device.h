// Where a tensor's memory lives: the host, or one CUDA device.
#pragma once
#include <string>

namespace kt {

struct Device {
  enum Type : unsigned char { CPU = 0, CUDA = 1 };
  Type type = CPU;
  int index = 0;

  bool is_cuda() const { return type == CUDA; }
  bool operator==(const Device& o) const { return type == o.type && (type == CPU || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return type == CPU ? "cpu" : "cuda:" + std::to_string(index); }
};

}  // namespace kt
