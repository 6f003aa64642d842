"""Creating tensors: constants, fills, ranges, and DLPack import."""
import numpy as np

from .. import _core
from ..config import canonical_device, default_device
from ..dtypes import as_dtype, float32
from .core import convert, wrap


def _dev(device):
    return canonical_device(device) if device is not None else default_device()


def _shape(shape):
    if hasattr(shape, "numpy"):
        shape = shape.numpy().tolist()
    if isinstance(shape, (int, np.integer)):
        return [int(shape)]
    return [int(s) for s in shape]


def constant(value, dtype=None, shape=None, name=None):
    t = convert(np.array(value.numpy()) if hasattr(value, "_t") else value, dtype)
    if shape is not None:
        shape = _shape(shape)
        if t._t.numel == 1:
            return wrap(t._t.reshape([1] * len(shape)).expand(shape).contiguous())
        t = wrap(t._t.reshape(shape))
    return t


def convert_to_tensor(value, dtype=None, name=None):
    return convert(value, dtype)


def fill(dims, value, dtype=None, device=None):
    if dtype is None:
        dtype = "int32" if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else (
            "bool" if isinstance(value, bool) else "float32")
    return wrap(_core.full(_shape(dims), as_dtype(dtype)._core, _dev(device), float(value)))


def zeros(shape, dtype=float32, device=None):
    return wrap(_core.full(_shape(shape), as_dtype(dtype)._core, _dev(device), 0.0))


def ones(shape, dtype=float32, device=None):
    return wrap(_core.full(_shape(shape), as_dtype(dtype)._core, _dev(device), 1.0))


def full(shape, fill_value, dtype=float32, device=None):
    return wrap(_core.full(_shape(shape), as_dtype(dtype)._core, _dev(device), float(fill_value)))


def zeros_like(x, dtype=None):
    x = convert(x)
    dt = as_dtype(dtype)._core if dtype is not None else x._t.dtype
    return wrap(_core.full(list(x._t.shape), dt, x._t.device, 0.0))


def ones_like(x, dtype=None):
    x = convert(x)
    dt = as_dtype(dtype)._core if dtype is not None else x._t.dtype
    return wrap(_core.full(list(x._t.shape), dt, x._t.device, 1.0))


def eye(num_rows, num_columns=None, dtype=float32, device=None):
    n, m = int(num_rows), int(num_columns if num_columns is not None else num_rows)
    out = _core.full([n, m], as_dtype(dtype)._core, _dev(device), 0.0)
    k = min(n, m)
    if k:
        out.as_strided([k], [m + 1], 0).copy_(_core.full([], out.dtype, out.device, 1.0))
    return wrap(out)


def range(start, limit=None, delta=1, dtype=None, device=None):
    """TensorFlow's tf.range: [start, limit) by delta."""
    if limit is None:
        start, limit = 0, start
    if delta == 0:
        raise ValueError("range: delta must not be zero")
    n = max(0, int(np.ceil((limit - start) / delta)))
    if dtype is None:
        dtype = "int32" if all(isinstance(v, (int, np.integer)) for v in (start, limit, delta)) else "float32"
    return wrap(_core.arange(float(start), float(delta), n, as_dtype(dtype)._core, _dev(device)))


arange = range


def linspace(start, stop, num, dtype=float32, device=None):
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num}")
    step = (float(stop) - float(start)) / (num - 1) if num > 1 else 0.0
    out = _core.arange(float(start), step, num, as_dtype(dtype)._core, _dev(device))
    if num > 1:  # the last value is exactly `stop`, as in numpy
        out.as_strided([1], [1], num - 1).copy_(_core.full([], out.dtype, out.device, float(stop)))
    return wrap(out)


def from_dlpack(obj):
    """A tensor sharing memory with any DLPack producer (numpy, PyTorch, CuPy, JAX) or a capsule."""
    cap = obj.__dlpack__() if hasattr(obj, "__dlpack__") else obj
    return wrap(_core.from_dlpack_capsule(cap))


def from_numpy(array):
    """A CPU tensor sharing memory with a numpy array (no copy)."""
    a = np.asarray(array)
    return wrap(_core.from_numpy(a, "cpu", False))
