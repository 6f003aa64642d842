"""Python operators and convenience methods of Tensor, bound to the ops."""
from ..tensor import Tensor
from . import math as m
from .core import cast
from .linalg import matmul
from .reduce import reduce_max, reduce_mean, reduce_min, reduce_sum
from .shape import getitem, reshape, transpose


def _r(f):
    return lambda self, other: f(other, self)


def install():
    T = Tensor
    T.__add__, T.__radd__ = m.add, _r(m.add)
    T.__sub__, T.__rsub__ = m.subtract, _r(m.subtract)
    T.__mul__, T.__rmul__ = m.multiply, _r(m.multiply)
    T.__truediv__, T.__rtruediv__ = m.divide, _r(m.divide)
    T.__floordiv__, T.__rfloordiv__ = m.floordiv, _r(m.floordiv)
    T.__mod__, T.__rmod__ = m.mod, _r(m.mod)
    T.__pow__, T.__rpow__ = m.pow, _r(m.pow)
    T.__matmul__, T.__rmatmul__ = matmul, _r(matmul)
    T.__neg__ = m.negative
    T.__pos__ = lambda self: self
    T.__abs__ = m.abs
    T.__invert__ = m.logical_not
    T.__and__, T.__or__ = m.logical_and, m.logical_or
    T.__lt__, T.__le__, T.__gt__, T.__ge__ = m.less, m.less_equal, m.greater, m.greater_equal
    T.__eq__, T.__ne__ = m.equal, m.not_equal
    T.__getitem__ = getitem
    T.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int)
                                             else shape)
    T.transpose = lambda self, perm=None: transpose(self, perm)
    T.T = property(lambda self: transpose(self))
    T.astype = cast
    T.sum = _numpy_style(reduce_sum)
    T.mean = _numpy_style(reduce_mean)
    T.max = _numpy_style(reduce_max)
    T.min = _numpy_style(reduce_min)


def _numpy_style(reduction):
    """A reduction method that also takes numpy's keywords, so np.sum(tensor) works."""
    def method(self, axis=None, dtype=None, out=None, keepdims=False, **unused):
        if out is not None:
            raise TypeError("ktensor tensors are immutable: out= is not supported")
        r = reduction(self, axis, bool(keepdims))
        return cast(r, dtype) if dtype is not None else r
    method.__name__ = reduction.__name__
    return method
