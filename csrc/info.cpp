#include "info.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace kt {

bool cuda_compiled() {
#ifdef KT_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count() {
#ifdef KT_WITH_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

std::string blas_info() { return std::string("scipy-openblas32 ") + scipy_openblas_get_config(); }

int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n);  // BLAS stays single-threaded: matmul splits its work over these threads
#endif
}

}  // namespace kt
