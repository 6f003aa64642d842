// Native harness: times core ops without Python, to separate kernel time from binding overhead.
#include <chrono>
#include <cstdio>
#include <vector>
#include <algorithm>

#include "ops/ops.h"

using namespace kt;

template <class F>
double median_ms(F f, int reps = 20) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main() {
  Device cpu;
  std::printf("%-28s %12s %12s\n", "op", "ms", "GFLOP/s|GB/s");
  for (int64_t n : {256, 1024, 2048}) {
    Tensor a = ops::random({n, n}, DType::Float32, cpu, RandomKind::Normal, 1, 0, 0, 1);
    Tensor b = ops::random({n, n}, DType::Float32, cpu, RandomKind::Normal, 1, 1 << 30, 0, 1);
    double ms = median_ms([&] { ops::matmul(a, b, false, false); });
    std::printf("sgemm %-22lld %12.3f %12.1f\n", (long long)n, ms, 2.0 * n * n * n / ms / 1e6);
  }
  Tensor x = ops::random({1 << 24}, DType::Float32, cpu, RandomKind::Uniform, 1, 0, 0, 1);
  double ms = median_ms([&] { ops::binary(BinaryOp::Add, x, x); });
  std::printf("add 16M %-20s %12.3f %12.1f\n", "", ms, 3.0 * 4 * (1 << 24) / ms / 1e6);
  Tensor one = ops::full({1}, DType::Float32, cpu, 1.0);
  ms = median_ms([&] { for (int i = 0; i < 1000; ++i) ops::binary(BinaryOp::Add, one, one); }, 10);
  std::printf("add 1 element (us) %-9s %12.3f\n", "", ms);
  return 0;
}
