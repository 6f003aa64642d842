"""Data types: ktensor.float32 and friends, and conversions to and from numpy and the core."""
import numpy as np

from . import _core


class DType:
    """A tensor element type. Compares equal to its name and to the matching numpy dtype."""

    __slots__ = ("name", "_core", "_np")

    def __init__(self, name):
        self.name = name
        self._core = getattr(_core.DType, name)
        self._np = np.dtype(name)

    @property
    def is_floating(self):
        return self.name.startswith("float")

    @property
    def is_integer(self):
        return self.name.startswith("int")

    @property
    def is_bool(self):
        return self.name == "bool"

    @property
    def as_numpy_dtype(self):
        return self._np.type

    @property
    def size(self):
        return self._np.itemsize

    def __eq__(self, other):
        if isinstance(other, DType):
            return other.name == self.name
        try:
            return as_dtype(other) is self
        except (TypeError, ValueError):
            return False

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return "ktensor." + self.name

    __str__ = __repr__


float32 = DType("float32")
float64 = DType("float64")
int32 = DType("int32")
int64 = DType("int64")
bool_ = DType("bool")
ALL = (bool_, int32, int64, float32, float64)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "int": int32, "long": int64})
_BY_CORE = {d._core: d for d in ALL}
# numpy types ktensor does not have are widened to the nearest one it does.
_WIDEN = {"float16": float32, "int8": int32, "int16": int32, "uint8": int32, "uint16": int32, "uint32": int64,
          "uint64": int64}


def as_dtype(d):
    """Resolves a DType, a name, a numpy dtype or a Python type to a ktensor DType."""
    if isinstance(d, DType):
        return d
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    if d is float:
        return float32
    if d is int:
        return int32
    if d is bool:
        return bool_
    try:
        name = np.dtype(d).name
    except TypeError:
        raise TypeError(f"cannot interpret {d!r} as a ktensor dtype (valid: {', '.join(x.name for x in ALL)})") from None
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name in _WIDEN:
        return _WIDEN[name]
    raise TypeError(f"unsupported dtype {name} (ktensor has {', '.join(x.name for x in ALL)})")


def from_core(cd):
    return _BY_CORE[cd]
