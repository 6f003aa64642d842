"""keras.utils.normalize: scale vectors to unit norm along an axis."""
import numpy as np

__all__ = ["normalize"]


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis`, as Keras.

    A numpy array (or nested list) is normalised with numpy (floats keep their dtype, integers
    give float64) and zero vectors stay zero. A ktensor Tensor stays a Tensor on its device,
    computed as Keras' `ops.normalize`: the norm is clipped below at `backend.epsilon()`.

    Args:
        x: array or Tensor.
        axis: the axis along which the vectors lie.
        order: the norm order (2 for L2, 1 for L1, `np.inf` for the max norm, any p >= 1).
    """
    from ... import tensor as _tensor  # local: keep utils importable on its own

    if not isinstance(axis, (int, np.integer)):
        raise ValueError(f"normalize: axis must be an integer, got {axis!r}")
    if isinstance(x, _tensor.Tensor):
        return _normalize_tensor(x, axis, order)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis, keepdims=True))
    norm[norm == 0] = 1
    return x / norm


def _normalize_tensor(x, axis, order):
    from ... import ops
    from .. import backend

    eps = backend.epsilon()
    if order == 2:
        inv = ops.rsqrt(ops.reduce_sum(ops.square(x), axis=axis, keepdims=True))
        return x * ops.minimum(inv, 1.0 / eps)
    if order == 1:
        norm = ops.reduce_sum(ops.abs(x), axis=axis, keepdims=True)
    elif order == np.inf:
        norm = ops.reduce_max(ops.abs(x), axis=axis, keepdims=True)
    elif isinstance(order, (int, float)) and order >= 1:
        norm = ops.pow(ops.reduce_sum(ops.pow(ops.abs(x), order), axis=axis, keepdims=True),
                       1.0 / order)
    else:
        raise ValueError(f"normalize: order must be a number >= 1 or numpy.inf, got {order!r}")
    return x / ops.maximum(norm, eps)
