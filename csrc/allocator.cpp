#include <cstdlib>

#include "error.h"
#include "storage.h"
#ifdef KT_WITH_CUDA
#include "cuda_api.h"
#endif

namespace kt {

std::shared_ptr<Storage> allocate(size_t nbytes, Device device) {
  if (device.is_cuda()) {
#ifdef KT_WITH_CUDA
    void* p = cuda::malloc(nbytes, device.index);
    int idx = device.index;
    return std::make_shared<Storage>(p, nbytes, device, [idx](void* q) { cuda::free(q, idx); });
#else
    throw RuntimeError("ktensor was built without CUDA support; cannot allocate on " + device.str());
#endif
  }
  size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  KT_CHECK(p != nullptr, OutOfMemory, "out of host memory allocating ", nbytes, " bytes");
  return std::make_shared<Storage>(p, nbytes, device, [](void* q) { std::free(q); });
}

}  // namespace kt
