"""Elementwise math with numpy broadcasting, and the gradient rule of each op."""
import math as _m

from .. import _core
from ..autograd import record
from .core import cast, convert, pair, record_unary, sum_to_shape, wrap

B = _core.BinaryOp
U = _core.UnaryOp


def _binary(code, x, y, grad=None):
    """Runs a native binary op; `grad(g, x, y, out)` gives the un-broadcast (gx, gy) when recorded."""
    x, y = pair(x, y)
    out = wrap(_core.binary(code, x._t, y._t))
    if grad is not None and (x._node is not None or y._node is not None):
        out_t, xs, ys = out._t, x._t.shape, y._t.shape

        def backward(g):
            gx, gy = grad(g, x, y, wrap(out_t))
            return (None if gx is None else sum_to_shape(gx, xs), None if gy is None else sum_to_shape(gy, ys))

        record(out, backward, (x, y))
    return out


def _unary(code, x, grad=None, alpha=0.0):
    """Runs a native unary op; `grad(g, x, out)` gives the input gradient when recorded."""
    x = convert(x)
    out = wrap(_core.unary(code, x._t, alpha))
    if grad is not None and x._node is not None:
        out_t = out._t
        record_unary(out, lambda g: grad(g, x, wrap(out_t)), x)
    return out


def _float(x):
    x = convert(x)
    return x if x.dtype.is_floating else cast(x, "float32")


# ---- arithmetic ----
def add(x, y):
    return _binary(B.Add, x, y, lambda g, x, y, o: (g, g))


def subtract(x, y):
    return _binary(B.Sub, x, y, lambda g, x, y, o: (g, negative(g)))


def multiply(x, y):
    return _binary(B.Mul, x, y, lambda g, x, y, o: (
        multiply(g, y) if x._node is not None else None, multiply(g, x) if y._node is not None else None))


def divide(x, y):
    """True division; integers divide as float32."""
    x, y = pair(x, y)
    if not x.dtype.is_floating and not y.dtype.is_floating:
        x, y = cast(x, "float32"), cast(y, "float32")
    return _binary(B.Div, x, y, lambda g, x, y, o: (
        divide(g, y) if x._node is not None else None,
        negative(divide(multiply(g, o), y)) if y._node is not None else None))


def floordiv(x, y):
    return _binary(B.FloorDiv, x, y)


def mod(x, y):
    return _binary(B.Mod, x, y, lambda g, x, y, o: (
        g, negative(multiply(g, floordiv(x, y))) if y._node is not None else None))


def pow(x, y):
    def grad(g, x, y, o):
        gx = multiply(g, multiply(y, _binary(B.Pow, x, subtract(y, 1)))) if x._node is not None else None
        gy = None
        if y._node is not None:
            safe_log = where(greater(x, 0), log(where(greater(x, 0), x, 1)), 0)
            gy = multiply(g, multiply(o, safe_log))
        return gx, gy

    return _binary(B.Pow, x, y, grad)


def maximum(x, y):
    return _binary(B.Maximum, x, y, lambda g, x, y, o: (
        multiply(g, cast(greater_equal(x, y), g.dtype)), multiply(g, cast(less(x, y), g.dtype))))


def minimum(x, y):
    return _binary(B.Minimum, x, y, lambda g, x, y, o: (
        multiply(g, cast(less_equal(x, y), g.dtype)), multiply(g, cast(greater(x, y), g.dtype))))


def clip_by_value(x, clip_value_min, clip_value_max):
    return minimum(maximum(x, clip_value_min), clip_value_max)


clip = clip_by_value


# ---- comparisons and logic (no gradient) ----
def equal(x, y):
    return _binary(B.Eq, x, y)


def not_equal(x, y):
    return _binary(B.Ne, x, y)


def less(x, y):
    return _binary(B.Lt, x, y)


def less_equal(x, y):
    return _binary(B.Le, x, y)


def greater(x, y):
    return _binary(B.Gt, x, y)


def greater_equal(x, y):
    return _binary(B.Ge, x, y)


def logical_and(x, y):
    return _binary(B.LogicalAnd, x, y)


def logical_or(x, y):
    return _binary(B.LogicalOr, x, y)


def logical_not(x):
    return _unary(U.LogicalNot, x)


def is_nan(x):
    return _unary(U.IsNan, x)


def is_finite(x):
    return _unary(U.IsFinite, x)


def where(condition, x, y):
    """Elementwise choice; the gradient goes to the branch that was taken."""
    c = convert(condition)
    x, y = pair(x, y)
    out = wrap(_core.where(c._t, x._t, y._t))
    if x._node is not None or y._node is not None:
        xs, ys = x._t.shape, y._t.shape

        def backward(g):
            zero = zeros_like_t(g)
            return sum_to_shape(where(c, g, zero), xs), sum_to_shape(where(c, zero, g), ys)

        record(out, backward, (x, y))
    return out


def zeros_like_t(t):
    return wrap(_core.full(t._t.shape, t._t.dtype, t._t.device, 0.0))


# ---- unary math ----
def negative(x):
    return _unary(U.Neg, x, lambda g, x, o: negative(g))


def abs(x):
    return _unary(U.Abs, x, lambda g, x, o: multiply(g, sign(x)))


def sign(x):
    return _unary(U.Sign, x)


def square(x):
    return _unary(U.Square, x, lambda g, x, o: multiply(g, multiply(x, 2)))


def reciprocal(x):
    return _unary(U.Reciprocal, _float(x), lambda g, x, o: negative(multiply(g, square(o))))


def exp(x):
    return _unary(U.Exp, x, lambda g, x, o: multiply(g, o))


def log(x):
    return _unary(U.Log, x, lambda g, x, o: divide(g, x))


def log1p(x):
    return _unary(U.Log1p, x, lambda g, x, o: divide(g, add(x, 1)))


def sqrt(x):
    return _unary(U.Sqrt, x, lambda g, x, o: divide(multiply(g, 0.5), o))


def rsqrt(x):
    return _unary(U.Rsqrt, x, lambda g, x, o: multiply(g, multiply(_binary(B.Pow, o, 3), -0.5)))


def sin(x):
    return _unary(U.Sin, x, lambda g, x, o: multiply(g, cos(x)))


def cos(x):
    return _unary(U.Cos, x, lambda g, x, o: negative(multiply(g, sin(x))))


def erf(x):
    return _unary(U.Erf, x, lambda g, x, o: multiply(g, multiply(exp(negative(square(x))), 2 / _m.sqrt(_m.pi))))


def floor(x):
    return _unary(U.Floor, x)


def ceil(x):
    return _unary(U.Ceil, x)


def round(x):
    return _unary(U.Round, x)


rsqrt.__doc__ = "1 / sqrt(x)"
