// KT_HD marks functions compiled for both host and CUDA device, so both devices share one formula.
#pragma once
#ifdef __CUDACC__
#define KT_HD __host__ __device__ __forceinline__
#else
#define KT_HD inline
#endif
