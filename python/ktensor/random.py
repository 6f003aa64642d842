"""Random draws from one counter-based generator (Philox), identical on CPU and CUDA.

The state is (seed, offset): each draw of n values uses counters offset..offset+n-1 and then
advances the offset, so a seed fixes every draw (initial weights, dropout masks) on any device.
"""
import os

from . import _core
from .config import canonical_device, default_device
from .dtypes import as_dtype, float32

_state = {"seed": int.from_bytes(os.urandom(8), "little") >> 1, "offset": 0}
K = _core.RandomKind


def set_seed(seed):
    """Makes every later draw reproducible (also reachable as keras.utils.set_random_seed)."""
    _state["seed"] = int(seed) & ((1 << 63) - 1)
    _state["offset"] = 0


def get_state():
    return dict(_state)


def _draw(kind, shape, a, b, dtype, seed=None, device=None):
    from .ops.create import _shape
    from .tensor import Tensor

    shape = _shape(shape)
    n = 1
    for s in shape:
        n *= s
    if seed is None:
        s, off = _state["seed"], _state["offset"]
        _state["offset"] = off + n
    else:  # a per-call seed gives a stateless, repeatable draw
        s, off = int(seed) & ((1 << 63) - 1), 0
    dev = canonical_device(device) if device is not None else default_device()
    return Tensor._wrap(_core.random(shape, as_dtype(dtype)._core, dev, kind, s, off, float(a), float(b)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=float32, seed=None, device=None):
    return _draw(K.Uniform, shape, minval, maxval, dtype, seed, device)


def normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, device=None):
    return _draw(K.Normal, shape, mean, stddev, dtype, seed, device)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, device=None):
    """Normal values redrawn until within two standard deviations of the mean."""
    return _draw(K.TruncatedNormal, shape, mean, stddev, dtype, seed, device)


def bernoulli(shape, p=0.5, dtype=float32, seed=None, device=None):
    """1 with probability p, else 0."""
    return _draw(K.Bernoulli, shape, p, 0.0, dtype, seed, device)


def shuffle_seed():
    """A deterministic integer drawn from the generator (for host-side shuffles)."""
    s, off = _state["seed"], _state["offset"]
    _state["offset"] = off + 1
    return (s * 6364136223846793005 + off * 1442695040888963407) & ((1 << 63) - 1)
