"""Activation functions and softmax, with gradient rules built from native ops."""
import math as _m

from .. import _core
from .core import convert, record_unary, wrap
from .math import B, U, _binary, _unary, add, cast, divide, exp, greater, less, logical_and, multiply, square, \
    subtract, where
from .math import abs as _abs


def relu(x):
    return _unary(U.Relu, x, lambda g, x, o: _binary(B.ReluGrad, g, o))


def relu6(x):
    return _unary(U.Relu6, x, lambda g, x, o: multiply(g, cast(logical_and(greater(x, 0), less(x, 6)), g.dtype)))


def leaky_relu(x, alpha=0.2):
    return _unary(U.LeakyRelu, x, lambda g, x, o: where(greater(x, 0), g, multiply(g, alpha)), alpha)


def elu(x, alpha=1.0):
    return _unary(U.Elu, x, lambda g, x, o: where(greater(x, 0), g, multiply(g, add(o, alpha))), alpha)


_SELU_A, _SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(x):
    return _unary(U.Selu, x, lambda g, x, o: where(greater(x, 0), multiply(g, _SELU_S),
                                                     multiply(g, add(o, _SELU_S * _SELU_A))))


def gelu(x, approximate=False):
    if approximate:
        c = _m.sqrt(2 / _m.pi)

        def grad(g, x, o):
            inner = multiply(add(x, multiply(multiply(square(x), x), 0.044715)), c)
            t = _unary(U.Tanh, inner)
            dinner = multiply(add(multiply(square(x), 3 * 0.044715), 1.0), c)
            d = add(multiply(add(t, 1.0), 0.5), multiply(multiply(multiply(x, 0.5), subtract(1.0, square(t))), dinner))
            return multiply(g, d)

        return _unary(U.GeluTanh, x, grad)

    def grad(g, x, o):
        cdf = multiply(add(_unary(U.Erf, multiply(x, 1 / _m.sqrt(2))), 1.0), 0.5)
        pdf = multiply(exp(multiply(square(x), -0.5)), 1 / _m.sqrt(2 * _m.pi))
        return multiply(g, add(cdf, multiply(x, pdf)))

    return _unary(U.Gelu, x, grad)


def sigmoid(x):
    x = convert(x)
    out = _unary(U.Sigmoid, x, lambda g, x, o: _binary(B.SigmoidGrad, g, o))
    out._logits = ("sigmoid", x)
    return out


def hard_sigmoid(x):
    return _unary(U.HardSigmoid, x, lambda g, x, o: multiply(
        multiply(g, cast(logical_and(greater(x, -3), less(x, 3)), g.dtype)), 1 / 6))


def tanh(x):
    return _unary(U.Tanh, x, lambda g, x, o: _binary(B.TanhGrad, g, o))


def softplus(x):
    return _unary(U.Softplus, x, lambda g, x, o: multiply(g, _unary(U.Sigmoid, x)))


def softsign(x):
    return _unary(U.Softsign, x, lambda g, x, o: divide(g, square(add(_abs(x), 1.0))))


def silu(x):
    def grad(g, x, o):
        s = _unary(U.Sigmoid, x)
        return multiply(g, multiply(s, add(multiply(x, subtract(1.0, s)), 1.0)))

    return _unary(U.Silu, x, grad)


swish = silu


def _softmax_backward(g, y, axis):
    from .reduce import reduce_sum
    return multiply(y, subtract(g, reduce_sum(multiply(g, y), axis=axis, keepdims=True)))


def softmax(x, axis=-1):
    x = convert(x)
    out = wrap(_core.softmax(x._t, axis, False))
    out_t = out._t
    record_unary(out, lambda g: _softmax_backward(g, wrap(out_t), axis), x)
    if axis in (-1, x.ndim - 1):  # losses fuse over the last axis only
        out._logits = ("softmax", x)
    return out


def log_softmax(x, axis=-1):
    from .reduce import reduce_sum

    x = convert(x)
    out = wrap(_core.softmax(x._t, axis, True))
    out_t = out._t
    record_unary(out, lambda g: subtract(g, multiply(exp(wrap(out_t)), reduce_sum(g, axis=axis, keepdims=True))), x)
    return out


def exponential(x):
    return exp(x)


def linear(x):
    return convert(x)


__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh", "softplus",
           "softsign", "silu", "swish", "softmax", "log_softmax", "exponential", "linear"]
