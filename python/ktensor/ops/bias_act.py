"""bias_act: activation(x + bias), bias broadcast over the last axis, in one native pass, and its
gradient (dx and dbias) in one more: the epilogue of the Conv and Dense layers. tf.nn.bias_add
is its linear case. Results equal `activation(x + bias)` computed op by op."""
from .. import _core
from ..autograd import record, state
from .core import cast, convert, wrap
from .math import B, U, _binary

# name -> (forward code, gradient formula from the output y; None: the gradient passes through)
_ACTS = {"linear": (U.Copy, None), "relu": (U.Relu, B.ReluGrad), "sigmoid": (U.Sigmoid, B.SigmoidGrad),
         "tanh": (U.Tanh, B.TanhGrad)}


def bias_act(x, bias, activation="linear"):
    """activation(x + bias) for activation in 'linear', 'relu', 'sigmoid', 'tanh'; bias has shape
    (x.shape[-1],)."""
    check_activation("bias_act", activation)
    x, bias = convert(x), convert(bias)
    if not x.dtype.is_floating:
        raise TypeError(f"bias_act: input must be float32 or float64, got {x.dtype.name}")
    if bias.dtype.name != x.dtype.name:
        bias = cast(bias, x.dtype)
    y = wrap(_core.bias_act(x._t, bias._t, _ACTS[activation][0]))
    y_t, dtype = y._t, y.dtype
    return record(y, lambda g: bias_act_grads(g, y_t, dtype, activation), (x, bias))


def check_activation(op, activation):
    if activation not in _ACTS:
        raise ValueError(f"{op}: activation must be one of {', '.join(_ACTS)}, got {activation!r}")
    return _ACTS[activation][0]


def bias_act_grads(g, y_t, dtype, activation):
    """(dx, dbias) of y = activation(x + bias) from the output gradient g and the output y_t."""
    code, grad = _ACTS[activation]
    if state.active:  # a gradient to be differentiated again: the op-by-op rules, recorded
        from .reduce import reduce_sum
        dx = g if grad is None else _binary(grad, g, wrap(y_t))
        return dx, (reduce_sum(dx, axis=list(range(dx.ndim - 1))) if dx.ndim > 1 else dx)
    if g.dtype.name != dtype.name:  # an output gradient of another float type
        g = cast(g, dtype)
    dx, dbias = _core.bias_act_backward(g._t, y_t, code)
    return wrap(dx), wrap(dbias)


def bias_add(value, bias, data_format=None, name=None):
    """tf.nn.bias_add: value + bias over the channels axis (last, or axis 1 for 'NC...' formats)."""
    value = convert(value)
    if data_format is not None and data_format.startswith("NC") and value.ndim > 2:
        from .shape import reshape
        from .math import add
        return add(value, reshape(bias, [-1] + [1] * (value.ndim - 2)))
    return bias_act(value, bias)
