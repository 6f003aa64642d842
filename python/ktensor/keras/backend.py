"""keras.backend: global settings (floatx, epsilon) and the Keras 2 `K.*` functions.

`K.variable` makes a variable whose every use is recorded without a tape, so `K.gradients(loss,
variables)` can differentiate an expression that was computed earlier (the graph-mode style of
Keras 2 scripts).
"""
import numpy as np

import ktensor as kt
from ktensor import autograd

_config = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


# -- settings --
def floatx():
    return _config["floatx"]


def set_floatx(value):
    if value not in ("float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r}. Expected one of 'float32', 'float64'")
    _config["floatx"] = str(value)


def epsilon():
    return _config["epsilon"]


def set_epsilon(value):
    _config["epsilon"] = float(value)


def image_data_format():
    return _config["image_data_format"]


def backend():
    return "ktensor"


def clear_session():
    """Resets the automatic layer names ('dense', 'dense_1', ... start over)."""
    from .utils import naming
    naming.reset()


# -- variables and evaluation --
def variable(value, dtype=None, name=None):
    value = value.numpy() if isinstance(value, kt.Tensor) else value
    v = kt.Variable(np.asarray(value, dtype=dtype or floatx()), name=name)
    v._node = autograd.LEAF_ALWAYS  # record its uses outside any tape (for K.gradients)
    return v


def constant(value, dtype=None, shape=None, name=None):
    return kt.constant(value, dtype=dtype or floatx(), shape=shape)


def zeros(shape, dtype=None, name=None):
    return variable(np.zeros(shape), dtype=dtype, name=name)


def ones(shape, dtype=None, name=None):
    return variable(np.ones(shape), dtype=dtype, name=name)


def eval(x):  # noqa: A001 (Keras name)
    """A numpy value; a list of tensors (what K.gradients returns) is stacked, as TensorFlow does."""
    if isinstance(x, (list, tuple)):
        return np.asarray([eval(e) for e in x])
    return x.numpy() if isinstance(x, kt.Tensor) else np.asarray(x)


get_value = eval


def set_value(x, value):
    x.assign(np.asarray(value, dtype=x.dtype.name))


def gradients(loss, variables):
    """The list of gradients of `loss` (summed if not a scalar) with respect to `variables` (one
    variable or a list) made by K.variable; None for a variable the loss does not depend on."""
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    loss = kt.convert_to_tensor(loss)
    if loss._node is None:
        raise ValueError("K.gradients: the loss was not computed from a K.variable (nothing was recorded)")
    grads = autograd.backprop([loss], [None])
    return [grads.get(id(v)) for v in variables]


def is_tensor(x):
    return isinstance(x, kt.Tensor)


# -- math (Keras 2 names and argument conventions) --
def _axis(axis):
    return list(axis) if isinstance(axis, tuple) else axis


def square(x):
    return kt.square(x)


def sqrt(x):
    return kt.sqrt(x)


def exp(x):
    return kt.exp(x)


def log(x):
    return kt.log(x)


def abs(x):  # noqa: A001
    return kt.abs(x)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    return kt.reduce_sum(x, axis=_axis(axis), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return kt.reduce_mean(x, axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return kt.reduce_max(x, axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return kt.reduce_min(x, axis=_axis(axis), keepdims=keepdims)


def dot(x, y):
    """Matrix product over the last axis of x and the first of y (y may be 2-D with x of any rank)."""
    x, y = kt.convert_to_tensor(x), kt.convert_to_tensor(y)
    if x.ndim > 2 and y.ndim == 2:
        lead = tuple(x.shape[:-1])
        out = kt.matmul(kt.reshape(x, (-1, x.shape[-1])), y)
        return kt.reshape(out, lead + (y.shape[-1],))
    return kt.matmul(x, y)


def transpose(x):
    return kt.transpose(x)


def reshape(x, shape):
    return kt.reshape(x, shape)


def concatenate(tensors, axis=-1):
    return kt.concat(list(tensors), axis=axis)


def cast(x, dtype):
    return kt.cast(x, dtype)


def shape(x):
    return kt.shape(x)


def int_shape(x):
    return tuple(int(s) for s in kt.convert_to_tensor(x).shape)


def ndim(x):
    return kt.convert_to_tensor(x).ndim


def dtype(x):
    return kt.convert_to_tensor(x).dtype.name
