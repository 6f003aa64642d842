"""Fused cross-entropy losses: one native kernel forward, one backward, numerically stable."""
from .. import _core
from ..autograd import record
from .core import convert, pair, record_unary, wrap
from .math import B, _binary, cast, multiply


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
    record_unary(out, lambda g: wrap(_core.softmax_xent_backward(lg, lb, g._t.reshape([-1])).reshape(
        list(logits._t.shape))), logits)
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
    record_unary(out, lambda g: wrap(_core.softmax_xent_backward(lg, lb, g._t.reshape([-1])).reshape(
        list(logits._t.shape))), logits)
    return out


def sigmoid_cross_entropy_with_logits(labels, logits):
    """Elementwise max(x, 0) - x z + log(1 + exp(-|x|)) for logits x and labels z."""
    x, z = pair(convert(logits), labels)
    z = cast(z, x.dtype)
    out = wrap(_core.binary(B.BceLogits, x._t, z._t))
    if x._node is not None:
        from .core import sum_to_shape
        xs = x._t.shape
        record(out, lambda g: (sum_to_shape(multiply(g, _binary(B.BceLogitsGrad, x, z)), xs), None), (x, z))
    return out
