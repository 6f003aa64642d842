// Counter-based random numbers (Philox4x32-10), identical on CPU and CUDA: element i of a draw
// uses counter (offset + i), so a draw depends only on (seed, offset) and never on threading.
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"
#include "op_codes.h"

namespace kt {

struct Philox4 { uint32_t v[4]; };

KT_HD Philox4 philox(uint64_t seed, uint64_t counter, uint32_t stream) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = stream, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 53 random bits from two 32-bit words.
KT_HD double philox_unit(uint32_t hi, uint32_t lo) {
  return (double)(((uint64_t)hi << 21) ^ (uint64_t)(lo >> 11)) * (1.0 / 9007199254740992.0);
}

// One draw for element i. Computed in double and rounded by the caller, so that the CPU and
// CUDA math libraries agree on the float32 result.
KT_HD double random_value(RandomKind kind, uint64_t seed, uint64_t counter, double a, double b) {
  const double two_pi = 6.283185307179586476925286766559;
  if (kind == RandomKind::Uniform || kind == RandomKind::Bernoulli) {
    Philox4 r = philox(seed, counter, 0);
    double u = philox_unit(r.v[0], r.v[1]);
    if (kind == RandomKind::Bernoulli) return u < a ? 1.0 : 0.0;
    return a + (b - a) * u;
  }
  // Box-Muller; the truncated normal redraws (stream 1, 2, ...) until |z| <= 2, as Keras does.
  for (uint32_t stream = 0;; ++stream) {
    Philox4 r = philox(seed, counter, stream);
    double u1 = 1.0 - philox_unit(r.v[0], r.v[1]);  // (0, 1]
    double u2 = philox_unit(r.v[2], r.v[3]);
    double rad = std::sqrt(-2.0 * std::log(u1));
    double z = rad * std::cos(two_pi * u2);
    if (kind == RandomKind::Normal || std::fabs(z) <= 2.0) return a + b * z;
    z = rad * std::sin(two_pi * u2);
    if (std::fabs(z) <= 2.0) return a + b * z;
  }
}

}  // namespace kt
