"""keras.activations: activation functions by name or callable (Keras 3 names and defaults)."""
import ktensor as kt

from .utils.serialization import lookup

def fused_logits(output, kind):
    """The logits behind `output` if ktensor's softmax (last axis) or sigmoid made it, else None."""
    src = getattr(output, "_logits", None)
    return src[1] if src is not None and src[0] == kind else None


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return kt.nn.relu(x)
    x = kt.convert_to_tensor(x)
    below = kt.multiply(x - threshold, negative_slope) if negative_slope else kt.zeros_like(x)
    y = kt.where(kt.greater_equal(x, threshold), x, below)
    return kt.minimum(y, float(max_value)) if max_value is not None else y


def leaky_relu(x, negative_slope=0.2):
    return kt.nn.leaky_relu(x, negative_slope)


def relu6(x):
    return kt.nn.relu6(x)


def elu(x, alpha=1.0):
    return kt.nn.elu(x, alpha)


def selu(x):
    return kt.nn.selu(x)


def gelu(x, approximate=False):
    return kt.nn.gelu(x, approximate=approximate)


def sigmoid(x):
    return kt.nn.sigmoid(x)


def hard_sigmoid(x):
    return kt.nn.hard_sigmoid(x)


def tanh(x):
    return kt.nn.tanh(x)


def softplus(x):
    return kt.nn.softplus(x)


def softsign(x):
    return kt.nn.softsign(x)


def silu(x):
    return kt.nn.silu(x)


swish = silu


def softmax(x, axis=-1):
    return kt.nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return kt.nn.log_softmax(x, axis=axis)


def linear(x):
    return x


def exponential(x):
    return kt.exp(x)


_ALL = {f.__name__: f for f in (relu, leaky_relu, relu6, elu, selu, gelu, sigmoid, hard_sigmoid, tanh, softplus,
                                softsign, silu, softmax, log_softmax, linear, exponential)}
_ALL["swish"] = silu


_FUSED = {linear: "linear", relu: "relu", tanh: "tanh"}  # sigmoid stays apart: losses read its logits


def fused_name(activation):
    """The ktensor.ops.bias_act name of an activation that Conv/Dense fuse with their bias add, else None."""
    return _FUSED.get(activation)


def serialize(activation):
    """The Keras name of an activation function ('relu'), or the function's own name."""
    if activation is None:
        return "linear"
    for name, fn in _ALL.items():
        if fn is activation and name != "swish":
            return name
    if hasattr(activation, "get_config"):
        return {"module": type(activation).__module__, "class_name": type(activation).__name__,
                "config": activation.get_config(), "registered_name": None}
    return getattr(activation, "__name__", repr(activation))


def deserialize(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    return lookup(name, _ALL, "activation function")


def get(identifier):
    """None -> linear; a name -> the function; a callable -> itself."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return deserialize(identifier)
    if isinstance(identifier, dict) and isinstance(identifier.get("config"), str):
        return deserialize(identifier["config"])
    if identifier is kt.nn.softmax or identifier is kt.nn.sigmoid:  # `activation=tf.nn.softmax` style
        return softmax if identifier is kt.nn.softmax else sigmoid
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. Valid activation "
                     f"function names are: {', '.join(sorted(_ALL))}")
