"""Fused cross-entropy losses: one native kernel forward, one backward, numerically stable."""
from .. import _core
from ..autograd import record
from ..autograd import first_order_only
from .activations import log_softmax
from .core import convert, pair, record_unary, sum_to_shape, wrap
from .math import B, _binary, cast, multiply, negative
from .shape import expand_dims


def softmax_cross_entropy_with_logits(labels, logits, axis=-1):
    """Per-row -sum(labels * log_softmax(logits)); labels are probabilities of the same shape."""
    logits = convert(logits)
    labels = convert(labels, logits.dtype)
    if axis not in (-1, logits.ndim - 1):
        from .shape import transpose
        perm = [i for i in range(logits.ndim) if i != axis % logits.ndim] + [axis % logits.ndim]
        logits, labels = transpose(logits, perm), transpose(labels, perm)
    if tuple(labels.shape) != tuple(logits.shape):
        raise ValueError(f"softmax_cross_entropy_with_logits: labels shape {tuple(labels.shape)} does not match logits "
                         f"shape {tuple(logits.shape)}")
    lead = list(logits._t.shape[:-1])
    lg = logits._t.reshape([-1, logits._t.shape[-1]])
    lb = labels._t.reshape([-1, labels._t.shape[-1]])
    out = wrap(_core.softmax_xent(lg, lb).reshape(lead))
    if logits._node is not None or labels._node is not None:
        def backward(g):
            first_order_only("softmax_cross_entropy_with_logits")
            gl = wrap(_core.softmax_xent_backward(lg, lb, g._t.reshape([-1])).reshape(list(logits._t.shape)))
            gy = None
            if labels._node is not None:  # d/dy of -sum(y * log_softmax(x)) = -log_softmax(x)
                gy = multiply(negative(log_softmax(logits)), expand_dims(g, -1))
            return gl, gy
        record(out, backward, (logits, labels))
    return out


def sparse_softmax_cross_entropy_with_logits(labels, logits):
    """Per-row -log_softmax(logits)[label]; labels are integer class ids (ValueError when out of range)."""
    logits = convert(logits)
    labels = convert(labels)
    if not labels.dtype.is_integer:
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be integers, got {labels.dtype.name}")
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels shape {tuple(labels.shape)} must equal "
                         f"logits shape without the last axis {tuple(logits.shape[:-1])}")
    lead = list(logits._t.shape[:-1])
    lg = logits._t.reshape([-1, logits._t.shape[-1]])
    lb = labels._t.reshape([-1])
    out = wrap(_core.softmax_xent(lg, lb).reshape(lead))

    def backward(g):
        first_order_only("sparse_softmax_cross_entropy_with_logits")
        return wrap(_core.softmax_xent_backward(lg, lb, g._t.reshape([-1])).reshape(list(logits._t.shape)))

    record_unary(out, backward, logits)
    return out


def sigmoid_cross_entropy_with_logits(labels, logits):
    """Elementwise max(x, 0) - x z + log(1 + exp(-|x|)) for logits x and labels z."""
    x, z = pair(convert(logits), labels)
    z = cast(z, x.dtype)
    out = wrap(_core.binary(B.BceLogits, x._t, z._t))
    if x._node is not None or z._node is not None:
        xs, zs = x._t.shape, z._t.shape
        record(out, lambda g: (sum_to_shape(multiply(g, _binary(B.BceLogitsGrad, x, z)), xs),
                               sum_to_shape(negative(multiply(g, x)), zs) if z._node is not None else None), (x, z))
    return out
