"""ktensor: the Keras API on a small native tensor core (C++ with OpenMP/BLAS, and CUDA).

`import ktensor as tf` gives TensorFlow-style ops; `from ktensor import keras` the Keras API.
"""
__version__ = "0.1.0"


def _load_blas():
    # OpenMP (our kernels) and OpenBLAS (matmul) keep separate thread pools; spinning OpenMP
    # threads would steal the cores BLAS needs right after, so idle OpenMP threads sleep.
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # The core links libscipy_openblas.so from the scipy-openblas32 wheel; load it first so the
    # extension resolves it wherever pip put that package.
    import ctypes
    import os

    import scipy_openblas32

    lib = os.path.join(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so")
    if os.path.exists(lib):
        ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)


_load_blas()

from . import _core  # noqa: E402
from . import autograd, config, cuda, dtypes, nn, optim, random  # noqa: E402
from . import data  # noqa: E402
from .autograd import GradientTape, stop_gradient  # noqa: E402
from .config import device  # noqa: E402
from .dtypes import DType, as_dtype, bool_, float32, float64, int32, int64  # noqa: E402
from .ops import *  # noqa: E402,F401,F403
from .ops import range  # noqa: E402,F401  (tf.range shadows the builtin on purpose)
from .tensor import Tensor, TensorShape, Variable  # noqa: E402

bool = bool_  # noqa: A001  (tf.bool)
newaxis = None


class _Math:
    """tf.math: the math ops under their TensorFlow module path."""

    def __getattr__(self, name):
        from . import ops
        return getattr(ops, name)


math = _Math()


def __getattr__(name):
    # keras is imported on first use, so `import ktensor` stays light.
    if name == "keras":
        import importlib
        return importlib.import_module(".keras", __name__)
    raise AttributeError(f"module 'ktensor' has no attribute {name!r}")
