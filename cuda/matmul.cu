// Matrix multiply, row-major like csrc/cpu/matmul.cpp: C = op(A) @ op(B) with op(A) m x k.
// Floats: shared-memory tiles of 64 x 64 (k in steps of 16), each of the 256 threads keeping a
// 4 x 4 block of C in registers, with the next tiles prefetched into registers during the
// math. Integers: one thread per output.
// One running float total over all of k loses accuracy as k grows (the conv kernel gradient
// sums ~1e5 pixels): each output sums runs of kRun k values on their own, then adds the run
// totals in order. Fixed by k alone, so results stay bitwise reproducible.
#include "common.cuh"

namespace kt {
namespace cuda {
namespace {

constexpr int kTM = 64, kTN = 64, kTK = 16;
constexpr int kMicro = 4;   // each thread owns kMicro x kMicro outputs
constexpr int kSide = 16;   // threads per tile side: kSide * kMicro == kTM == kTN
constexpr int kLoads = kTM * kTK / kBlock;  // A (and B) elements each thread loads per tile
constexpr int kRunTiles = 16;               // k tiles per run: kRun = 256 (float32 error ~20x lower at k ~ 1e5)
static_assert(kSide * kSide == kBlock && kSide * kMicro == kTM && kTN == kTM, "tile shape");

// ---- device functions ----

// The elements of one operand tile that this thread moves from global to shared memory.
// Element (mn, kk) of op(A) (mn = row) or op(B) (mn = column) lives at mn * ld + kk when the
// operand is k-contiguous (A plain, B transposed), else at kk * ld + mn. Threads are laid out
// so that a warp reads consecutive addresses; the l-th element sits kStride positions further
// along mn (k-contiguous) or along k (otherwise).
template <class T, bool KCONTIG>
struct TileLoader {
  static constexpr int kStride = KCONTIG ? kBlock / kTK : kBlock / kTM;
  const T* p;       // this thread's element l = 0 of the current k-tile
  int64_t lstep;    // address step between l and l + 1
  int64_t kadv;     // address step to the next k-tile
  int64_t mn_left;  // matrix extent along mn from element 0 on
  int64_t k_left;   // matrix extent along k from element 0 on
  int mn0, kk0;     // tile position of element 0

  __device__ TileLoader(const T* mat, int64_t ld, int64_t mn_base, int64_t mn_extent, int64_t k) {
    const int t = threadIdx.x;
    mn0 = KCONTIG ? t / kTK : t % kTM;
    kk0 = KCONTIG ? t % kTK : t / kTM;
    p = mat + (KCONTIG ? (mn_base + mn0) * ld + kk0 : kk0 * ld + mn_base + mn0);
    lstep = kStride * ld;
    kadv = KCONTIG ? kTK : kTK * ld;
    mn_left = mn_extent - mn_base - mn0;
    k_left = k - kk0;
  }
  __device__ T get(int l) const {  // zero outside the matrix
    const bool ok = KCONTIG ? (l * kStride < mn_left && k_left > 0) : (mn_left > 0 && l * kStride < k_left);
    return ok ? p[l * lstep] : T(0);
  }
  __device__ void advance() {
    p += kadv;
    k_left -= kTK;
  }
  __device__ int mn(int l) const { return KCONTIG ? mn0 + l * kStride : mn0; }
  __device__ int kk(int l) const { return KCONTIG ? kk0 : kk0 + l * kStride; }
};

// ---- kernels ----

template <class T, bool TA, bool TB>
__global__ void __launch_bounds__(kBlock) gemm_tiled_kernel(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda,
                                                            int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b,
                                                            T* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  // +1 column: the k-contiguous loads store down a column, which would hit one bank.
  __shared__ T As[kTK][kTM + 1];
  __shared__ T Bs[kTK][kTN + 1];
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
  const int64_t m0 = (int64_t)blockIdx.x * kTM;
  for (int64_t bi = blockIdx.z; bi < batch; bi += gridDim.z) {
    for (int64_t n0 = (int64_t)blockIdx.y * kTN; n0 < n; n0 += (int64_t)gridDim.y * kTN) {
      TileLoader<T, !TA> la(a + bi * stride_a, lda, m0, m, k);
      TileLoader<T, TB> lb(b + bi * stride_b, ldb, n0, n, k);
      T ra[kLoads], rb[kLoads];
      auto fetch = [&]() {
#pragma unroll
        for (int l = 0; l < kLoads; ++l) {
          ra[l] = la.get(l);
          rb[l] = lb.get(l);
        }
        la.advance();
        lb.advance();
      };
      auto stash = [&]() {
#pragma unroll
        for (int l = 0; l < kLoads; ++l) {
          As[la.kk(l)][la.mn(l)] = ra[l];
          Bs[lb.kk(l)][lb.mn(l)] = rb[l];
        }
      };
      T acc[kMicro][kMicro], run[kMicro][kMicro];  // run totals added in order; the current run
#pragma unroll
      for (int i = 0; i < kMicro; ++i)
#pragma unroll
        for (int j = 0; j < kMicro; ++j) acc[i][j] = run[i][j] = T(0);
      auto close_run = [&]() {
#pragma unroll
        for (int i = 0; i < kMicro; ++i)
#pragma unroll
          for (int j = 0; j < kMicro; ++j) {
            acc[i][j] += run[i][j];
            run[i][j] = T(0);
          }
      };

      fetch();
      stash();
      __syncthreads();
      int tiles = 0;
      for (int64_t k0 = 0; k0 < k; k0 += kTK) {
        const bool more = k0 + kTK < k;
        if (more) fetch();  // global loads in flight while the tile below is used
#pragma unroll
        for (int kk = 0; kk < kTK; ++kk) {
          T av[kMicro], bv[kMicro];
#pragma unroll
          for (int i = 0; i < kMicro; ++i) av[i] = As[kk][ty + i * kSide];
#pragma unroll
          for (int j = 0; j < kMicro; ++j) bv[j] = Bs[kk][tx + j * kSide];
#pragma unroll
          for (int i = 0; i < kMicro; ++i)
#pragma unroll
            for (int j = 0; j < kMicro; ++j) run[i][j] += av[i] * bv[j];
        }
        if (++tiles == kRunTiles) {
          tiles = 0;
          close_run();
        }
        __syncthreads();
        if (more) {
          stash();
          __syncthreads();
        }
      }
      close_run();
      T* C = c + bi * stride_c;
#pragma unroll
      for (int i = 0; i < kMicro; ++i) {
        const int64_t row = m0 + ty + i * kSide;
        if (row >= m) continue;
#pragma unroll
        for (int j = 0; j < kMicro; ++j) {
          const int64_t col = n0 + tx + j * kSide;
          if (col < n) C[row * ldc + col] = acc[i][j];
        }
      }
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kBlock) gemm_simple_kernel(bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                                                             const T* a, int64_t lda, int64_t stride_a, const T* b,
                                                             int64_t ldb, int64_t stride_b, T* c, int64_t ldc,
                                                             int64_t stride_c, int64_t batch) {
  const int64_t mn = m * n;
  KT_GRID_LOOP(t, batch * mn) {
    const int64_t bi = t / mn, i = (t % mn) / n, j = t % n;
    const T* A = a + bi * stride_a;
    const T* B = b + bi * stride_b;
    T acc = 0;
    for (int64_t p = 0; p < k; ++p) acc += (ta ? A[p * lda + i] : A[i * lda + p]) * (tb ? B[j * ldb + p] : B[p * ldb + j]);
    c[bi * stride_c + i * ldc + j] = acc;
  }
}

// ---- launchers ----

template <class T, bool TA, bool TB>
void gemm_tiled(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, int64_t sa, const T* b, int64_t ldb,
                int64_t sb, T* c, int64_t ldc, int64_t sc, int64_t batch) {
  const int64_t limit = 65535;  // grid y and z; the kernel loops over the rest
  dim3 grid((unsigned)((m + kTM - 1) / kTM), (unsigned)std::min<int64_t>((n + kTN - 1) / kTN, limit),
            (unsigned)std::min<int64_t>(batch, limit));
  gemm_tiled_kernel<T, TA, TB><<<grid, kBlock>>>(m, n, k, a, lda, sa, b, ldb, sb, c, ldc, sc, batch);
  KT_LAUNCH_CHECK();
}

template <class T>
void gemm_float(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, int64_t sa,
                const void* b, int64_t ldb, int64_t sb, void* c, int64_t ldc, int64_t sc, int64_t batch) {
  const T *A = (const T*)a, *B = (const T*)b;
  T* C = (T*)c;
  if (!ta && !tb) gemm_tiled<T, false, false>(m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch);
  else if (ta && !tb) gemm_tiled<T, true, false>(m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch);
  else if (!ta && tb) gemm_tiled<T, false, true>(m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch);
  else gemm_tiled<T, true, true>(m, n, k, A, lda, sa, B, ldb, sb, C, ldc, sc, batch);
}

template <class T>
void gemm_int(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, int64_t sa,
              const void* b, int64_t ldb, int64_t sb, void* c, int64_t ldc, int64_t sc, int64_t batch) {
  gemm_simple_kernel<T><<<grid_for(batch * m * n), kBlock>>>(ta, tb, m, n, k, (const T*)a, lda, sa, (const T*)b, ldb,
                                                             sb, (T*)c, ldc, sc, batch);
  KT_LAUNCH_CHECK();
}

}  // namespace

// ---- entry ----

void gemm(DType dt, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
          int64_t stride_a, const void* b, int64_t ldb, int64_t stride_b, void* c, int64_t ldc,
          int64_t stride_c, int64_t batch) {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (dt == DType::Float32) {
    gemm_float<float>(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch);
  } else if (dt == DType::Float64) {
    gemm_float<double>(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch);
  } else if (dt == DType::Int32) {
    gemm_int<int32_t>(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch);
  } else if (dt == DType::Int64) {
    gemm_int<int64_t>(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch);
  } else if (dt == DType::Bool) {
    gemm_int<uint8_t>(ta, tb, m, n, k, a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch);
  }
}

}  // namespace cuda
}  // namespace kt
