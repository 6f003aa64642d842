"""Reductions over any axes (fixed-order native kernels), and the statistics built on them."""
from .. import _core
from .core import convert, record_unary, wrap
from .math import add, cast, divide, equal, exp, log, multiply, square, sqrt, subtract

R = _core.ReduceOp


def _axes(x, axis):
    """Axis argument -> list for the core, where [] means all axes."""
    if axis is None:
        return []
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if hasattr(axis, "numpy"):
        return [int(a) for a in axis.numpy().reshape(-1)]
    return [int(axis)]


def _reduce(code, x, axis, keepdims):
    """The native reduction; an explicitly empty axis list reduces nothing (as TF and numpy)."""
    if isinstance(axis, (list, tuple)) and len(axis) == 0:
        from .shape import identity
        return identity(x)
    return wrap(_core.reduce(code, x._t, _axes(x, axis), keepdims))


def _norm_axes(x, axes):
    nd = x.ndim
    return sorted(set(a % nd if nd else 0 for a in axes)) if axes else list(range(nd))


def _expand_back(g, x, axes, keepdims):
    """Reshapes a reduced gradient so it broadcasts against x."""
    if keepdims or not x.ndim:
        return g
    from .shape import reshape

    shape = list(x._t.shape)
    for a in _norm_axes(x, axes):
        shape[a] = 1
    return reshape(g, shape)


def _broadcast(g, x):
    from .shape import broadcast_to
    return broadcast_to(g, x._t.shape)


def reduce_sum(x, axis=None, keepdims=False):
    x = convert(x)
    axes = _axes(x, axis)
    out = _reduce(R.Sum, x, axis, keepdims)
    if out._node is not None:
        return out
    return record_unary(out, lambda g: _broadcast(_expand_back(g, x, axes, keepdims), x), x)


def reduce_mean(x, axis=None, keepdims=False):
    x = convert(x)
    axes = _axes(x, axis)
    out = _reduce(R.Mean, x, axis, keepdims)
    if x._node is None or out._node is not None:
        return out
    n = 1
    for a in _norm_axes(x, axes):
        n *= x._t.shape[a] if x.ndim else 1
    return record_unary(out, lambda g: _broadcast(multiply(_expand_back(g, x, axes, keepdims), 1.0 / max(n, 1)), x), x)


def reduce_prod(x, axis=None, keepdims=False):
    x = convert(x)
    axes = _axes(x, axis)
    out = _reduce(R.Prod, x, axis, keepdims)
    if out._node is not None:
        return out

    def backward(g):
        # d prod / d x_i = product of the others: exact with one zero in the group, 0 with more.
        from .math import logical_and, where
        nz = equal(x, 0)
        safe = where(nz, 1, x)
        prod_safe = _expand_back(reduce_prod(safe, axis, keepdims), x, axes, keepdims)
        zeros = _expand_back(reduce_sum(cast(nz, "int32"), axis, keepdims), x, axes, keepdims)
        no_zero = divide(prod_safe, safe)
        one_zero = where(logical_and(nz, equal(zeros, 1)), prod_safe, 0)
        return multiply(_expand_back(g, x, axes, keepdims), where(equal(zeros, 0), no_zero, one_zero))

    return record_unary(out, backward, x)


def _minmax(code, x, axis, keepdims):
    x = convert(x)
    axes = _axes(x, axis)
    out = _reduce(code, x, axis, keepdims)
    if out._node is not None:
        return out
    out_t = out._t

    def backward(g):
        # Ties share the gradient equally.
        mask = cast(equal(x, _expand_back(wrap(out_t), x, axes, keepdims)), g.dtype)
        count = reduce_sum(mask, _norm_axes(x, axes) if x.ndim else None, True)
        return divide(multiply(mask, _expand_back(g, x, axes, keepdims)), count)

    return record_unary(out, backward, x)


def reduce_max(x, axis=None, keepdims=False):
    return _minmax(R.Max, x, axis, keepdims)


def reduce_min(x, axis=None, keepdims=False):
    return _minmax(R.Min, x, axis, keepdims)


def _arg(code, x, axis, output_type):
    x = convert(x)
    if axis is None:  # TensorFlow: axis 0 (not the flattened tensor, as numpy)
        axis = 0
    if x.ndim == 0:
        x = wrap(x._t.reshape([1]))
    out = wrap(_core.reduce(code, x._t, [int(axis)], False))
    return out if output_type in ("int64", None) else cast(out, output_type)


def argmax(x, axis=None, output_type="int64"):
    """Index of the largest value along `axis` (0 when None, as in TensorFlow); first one on ties."""
    return _arg(R.ArgMax, x, axis, output_type)


def argmin(x, axis=None, output_type="int64"):
    """Index of the smallest value along `axis` (0 when None, as in TensorFlow); first one on ties."""
    return _arg(R.ArgMin, x, axis, output_type)


def reduce_variance(x, axis=None, keepdims=False):
    x = convert(x)
    if not x.dtype.is_floating:
        x = cast(x, "float32")
    mean = reduce_mean(x, axis, keepdims=True)
    return reduce_mean(square(subtract(x, mean)), axis, keepdims)


def reduce_std(x, axis=None, keepdims=False):
    return sqrt(reduce_variance(x, axis, keepdims))


def reduce_logsumexp(x, axis=None, keepdims=False):
    x = convert(x)
    from ..autograd import stop_gradient

    m = stop_gradient(reduce_max(x, axis, keepdims=True))
    # A row of -inf would give inf - inf; shifting by 0 there keeps the result -inf.
    from .math import is_finite, where
    m = where(is_finite(m), m, 0.0)
    s = log(reduce_sum(exp(subtract(x, m)), axis, keepdims=True))
    out = add(s, m)
    if not keepdims:
        shape = [d for i, d in enumerate(x._t.shape) if i not in _norm_axes(x, _axes(x, axis))]
        from .shape import reshape
        out = reshape(out, shape)
    return out


def reduce_any(x, axis=None, keepdims=False):
    return cast(reduce_max(cast(x, "int32"), axis, keepdims), "bool")


def reduce_all(x, axis=None, keepdims=False):
    return cast(reduce_min(cast(x, "int32"), axis, keepdims), "bool")


