#include <cmath>
#include <type_traits>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "cpu/kernels.h"
#include "cpu/parallel.h"
#include "philox.h"

namespace kt {
namespace cpu {
namespace {

// Bernoulli draws (the Dropout masks) without doubles: u = k / 2^53 for the 53-bit integer k of
// philox_unit, so u < p exactly when k < ceil(p * 2^53) (p * 2^53 is exact). Elements [lo, hi)
// are written; the values are those of random_value.
template <class T>
void bernoulli_scalar(T* o, int64_t lo, int64_t hi, uint64_t seed, uint64_t offset, uint64_t limit) {
  for (int64_t i = lo; i < hi; ++i) {
    const Philox4 r = philox(seed, offset + (uint64_t)i, 0);
    const uint64_t k = ((uint64_t)r.v[0] << 21) ^ (uint64_t)(r.v[1] >> 11);
    o[i] = k < limit ? T(1) : T(0);
  }
}

#ifdef __AVX2__
// The same, four counters per pass in the 64-bit lanes of AVX2 registers (each lane holds one
// 32-bit Philox word; _mm256_mul_epu32 is the 32x32->64 product of a round). Returns how far
// it got (a multiple of 4 past lo); the caller finishes the tail.
template <class T>
int64_t bernoulli_avx2(T* o, int64_t lo, int64_t hi, uint64_t seed, uint64_t offset, uint64_t limit) {
  const __m256i lo32 = _mm256_set1_epi64x(0xFFFFFFFFll), m0 = _mm256_set1_epi64x(0xD2511F53ll),
                m1 = _mm256_set1_epi64x(0xCD9E8D57ll), lanes = _mm256_set_epi64x(3, 2, 1, 0);
  const __m256i lim = _mm256_set1_epi64x((long long)limit);  // k, limit < 2^63: signed compare
  int64_t i = lo;
  for (; i + 4 <= hi; i += 4) {
    const __m256i ctr = _mm256_add_epi64(_mm256_set1_epi64x((long long)(offset + (uint64_t)i)), lanes);
    __m256i c0 = _mm256_and_si256(ctr, lo32), c1 = _mm256_srli_epi64(ctr, 32);
    __m256i c2 = _mm256_setzero_si256(), c3 = _mm256_setzero_si256();
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      const __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
      const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), _mm256_set1_epi64x(k0));
      const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), _mm256_set1_epi64x(k1));
      c1 = _mm256_and_si256(p1, lo32);
      c3 = _mm256_and_si256(p0, lo32);
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m256i k = _mm256_xor_si256(_mm256_slli_epi64(c0, 21), _mm256_srli_epi64(c1, 11));
    const __m256i keep = _mm256_cmpgt_epi64(lim, k);  // all ones where k < limit
    if constexpr (std::is_same_v<T, double>) {
      _mm256_storeu_si256((__m256i*)(o + i), _mm256_and_si256(keep, _mm256_castpd_si256(_mm256_set1_pd(1.0))));
    } else {
      const __m256i packed = _mm256_permutevar8x32_epi32(keep, _mm256_set_epi32(7, 5, 3, 1, 6, 4, 2, 0));
      _mm_storeu_si128((__m128i*)(o + i),
                       _mm_and_si128(_mm256_castsi256_si128(packed), _mm_castps_si128(_mm_set1_ps(1.0f))));
    }
  }
  return i;
}
#endif

#ifdef __AVX512F__
// The same, sixteen counters per pass in the 32-bit lanes of AVX-512 registers: the 32x32->64
// products of a round are taken on the even and the odd lanes and their halves blended back.
// The 53-bit k is compared with the limit as a (high, low) pair of 32-bit words.
template <class T>
int64_t bernoulli_avx512(T* o, int64_t lo, int64_t hi, uint64_t seed, uint64_t offset, uint64_t limit) {
  const __m512i m0 = _mm512_set1_epi32((int)0xD2511F53u), m1 = _mm512_set1_epi32((int)0xCD9E8D57u);
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i lim_hi = _mm512_set1_epi32((int)(uint32_t)(limit >> 32)), lim_lo = _mm512_set1_epi32((int)(uint32_t)limit);
  constexpr __mmask16 odd = 0xAAAA;
  // hi and lo words of the lane-wise products c * m
  auto mul = [&](__m512i c, __m512i m, __m512i& phi, __m512i& plo) {
    const __m512i even = _mm512_mul_epu32(c, m), odd_p = _mm512_mul_epu32(_mm512_srli_epi64(c, 32), m);
    plo = _mm512_mask_blend_epi32(odd, even, _mm512_slli_epi64(odd_p, 32));
    phi = _mm512_mask_blend_epi32(odd, _mm512_srli_epi64(even, 32), odd_p);
  };
  int64_t i = lo;
  for (; i + 16 <= hi; i += 16) {
    const uint64_t base = offset + (uint64_t)i;
    const __m512i base_lo = _mm512_set1_epi32((int)(uint32_t)base), base_hi = _mm512_set1_epi32((int)(uint32_t)(base >> 32));
    __m512i c0 = _mm512_add_epi32(base_lo, lanes);
    // counter = base + lane: a carry into the high word where the low word wrapped
    __m512i c1 = _mm512_mask_add_epi32(base_hi, _mm512_cmplt_epu32_mask(c0, base_lo), base_hi, _mm512_set1_epi32(1));
    __m512i c2 = _mm512_setzero_si512(), c3 = _mm512_setzero_si512();
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      __m512i hi0, lo0, hi2, lo2;
      mul(c0, m0, hi0, lo0);
      mul(c2, m1, hi2, lo2);
      c0 = _mm512_xor_si512(_mm512_xor_si512(hi2, c1), _mm512_set1_epi32((int)k0));
      c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32((int)k1));
      c1 = lo2;
      c3 = lo0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m512i k_hi = _mm512_srli_epi32(c0, 11), k_lo = _mm512_xor_si512(_mm512_slli_epi32(c0, 21), _mm512_srli_epi32(c1, 11));
    const __mmask16 keep = _mm512_cmplt_epu32_mask(k_hi, lim_hi) |
                           (_mm512_cmpeq_epi32_mask(k_hi, lim_hi) & _mm512_cmplt_epu32_mask(k_lo, lim_lo));
    if constexpr (std::is_same_v<T, double>) {
      _mm512_storeu_pd(o + i, _mm512_maskz_mov_pd((__mmask8)keep, _mm512_set1_pd(1.0)));
      _mm512_storeu_pd(o + i + 8, _mm512_maskz_mov_pd((__mmask8)(keep >> 8), _mm512_set1_pd(1.0)));
    } else {
      _mm512_storeu_ps(o + i, _mm512_maskz_mov_ps(keep, _mm512_set1_ps(1.0f)));
    }
  }
  return i;
}
#endif

template <class T>
void bernoulli(T* o, int64_t n, uint64_t seed, uint64_t offset, double p) {
  const double scaled = std::ceil(p * 9007199254740992.0);
  const uint64_t limit = !(p > 0) ? 0 : p >= 1 ? (uint64_t(1) << 53) : (uint64_t)scaled;
  parallel_for(n, 64, [&](int64_t lo, int64_t hi) {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
#ifdef __AVX512F__
      lo = bernoulli_avx512(o, lo, hi, seed, offset, limit);
#endif
#ifdef __AVX2__
      lo = bernoulli_avx2(o, lo, hi, seed, offset, limit);
#endif
    }
    bernoulli_scalar(o, lo, hi, seed, offset, limit);
  });
}

}  // namespace

void random(DType dt, RandomKind kind, void* out, int64_t n, uint64_t seed, uint64_t offset, double a, double b) {
  KT_DISPATCH(dt, T, {
    T* o = (T*)out;
    if (kind == RandomKind::Bernoulli) return bernoulli<T>(o, n, seed, offset, a);
    parallel_for(n, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = T(random_value(kind, seed, offset + (uint64_t)i, a, b));
    });
  });
}

}  // namespace cpu
}  // namespace kt
