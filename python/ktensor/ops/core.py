"""What every op shares: converting inputs to tensors, wrapping native results, recording."""
import numbers

import numpy as np

from .. import _core
from ..autograd import record, state
from ..config import default_device
from ..dtypes import as_dtype, float32, int32, int64
from ..tensor import Tensor

wrap = Tensor._wrap
_scalar_cache = {}


def _to_array(x, dtype):
    """Python data -> numpy array, with TensorFlow's defaults (Python floats -> float32, ints -> int32)."""
    if isinstance(x, (np.ndarray, np.generic)):
        a = np.asarray(x)
    else:
        a = np.asarray(x)
        if dtype is None:
            if a.dtype == np.float64:
                a = a.astype(np.float32)
            elif a.dtype == np.int64:
                # Python ints become int32 as in TensorFlow, unless they don't fit.
                if a.size == 0 or (a.min() >= -2**31 and a.max() < 2**31):
                    a = a.astype(np.int32)
    if a.dtype == object:
        raise TypeError(f"cannot convert {type(x).__name__} of mixed or ragged data to a tensor")
    target = as_dtype(dtype) if dtype is not None else as_dtype(a.dtype)
    if a.dtype != target._np:
        a = a.astype(target._np)
    return a


def convert(x, dtype=None, device=None):
    """Anything array-like -> Tensor (on the current default device unless it already is a tensor)."""
    if isinstance(x, Tensor):
        if dtype is not None:
            d = as_dtype(dtype)
            if d._core != x._t.dtype:
                return cast(x, d)
        return x
    if hasattr(x, "__dlpack__") and not isinstance(x, np.ndarray):
        from .create import from_dlpack
        return convert(from_dlpack(x), dtype)
    dev = device or default_device()
    a = _to_array(x, dtype)
    return wrap(_core.from_numpy(a, dev, True))


def scalar_like(value, t):
    """A 0-d tensor holding a Python number, typed to combine with tensor `t` (cached: tensors are immutable)."""
    cd = t._t.dtype
    if isinstance(value, bool):
        dt = cd
    elif isinstance(value, numbers.Integral):
        dt = cd if cd != _core.DType.bool else int32._core
    elif isinstance(value, numbers.Real):
        dt = cd if cd in (_core.DType.float32, _core.DType.float64) else float32._core
    else:
        return convert(value)
    dev = t._t.device
    key = (type(value), value, dt, dev)
    s = _scalar_cache.get(key)
    if s is None:
        if len(_scalar_cache) > 4096:
            _scalar_cache.clear()
        s = _scalar_cache[key] = wrap(_core.full((), dt, dev, float(value)))
    return s


def pair(x, y):
    """Converts two operands, typing Python numbers after the tensor they meet."""
    xt, yt = isinstance(x, Tensor), isinstance(y, Tensor)
    if xt and yt:
        return x, y
    if xt:
        return x, (scalar_like(y, x) if isinstance(y, numbers.Number) else convert(y, device=x.device))
    if yt:
        return (scalar_like(x, y) if isinstance(x, numbers.Number) else convert(x, device=y.device)), y
    return convert(x), convert(y)


def record_unary(out, backward, x):
    """Records a one-input op; `backward(g)` returns that input's gradient."""
    if x._node is not None:
        record(out, lambda g: (backward(g),), (x,))
    return out


def sum_to_shape(g, shape):
    """Sums a broadcast gradient back to `shape`."""
    gs = g._t.shape
    if gs == tuple(shape):
        return g
    from .reduce import reduce_sum
    from .shape import reshape

    lead = len(gs) - len(shape)
    axes = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and gs[lead + i] != 1]
    return reshape(reduce_sum(g, axes, keepdims=True) if axes else g, list(shape))


def cast(x, dtype):
    """Converts a tensor to another dtype; the gradient flows back between float types."""
    from ..dtypes import as_dtype as _as

    x = convert(x)
    d = _as(dtype)
    if d._core == x._t.dtype:
        return x
    out = wrap(_core.cast(x._t, d._core))
    if d.is_floating and x.dtype.is_floating:
        src = x.dtype
        record_unary(out, lambda g: cast(g, src), x)
    return out


def is_tensor(x):
    return isinstance(x, Tensor)


def int_dtype_for(n):
    return int32 if -2**31 <= n < 2**31 else int64
