"""Matrix products (BLAS on the CPU) and their gradients."""
from .. import _core
from ..autograd import record
from .core import pair, sum_to_shape, wrap


def _mm(a, b, ta, tb):
    return wrap(_core.matmul(a._t, b._t, ta, tb))


def matmul(a, b, transpose_a=False, transpose_b=False):
    """(..., m, k) @ (..., k, n) with batch broadcasting; 1-D operands act as vectors, as in numpy."""
    a, b = pair(a, b)
    va, vb = a.ndim == 1, b.ndim == 1
    if va or vb:
        from .shape import reshape
        a = reshape(a, [1, -1]) if va else a
        b = reshape(b, [-1, 1]) if vb else b
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}")
    out = _mm(a, b, transpose_a, transpose_b)
    if a._node is not None or b._node is not None:
        a_shape, b_shape = a._t.shape, b._t.shape

        def backward(g):
            ga = gb = None
            if a._node is not None:  # dA = g B^T (or B g^T when A was transposed)
                ga = _mm(b, g, transpose_b, True) if transpose_a else _mm(g, b, False, not transpose_b)
                ga = sum_to_shape(ga, a_shape)
            if b._node is not None:  # dB = A^T g (or g^T A when B was transposed)
                gb = _mm(g, a, True, transpose_a) if transpose_b else _mm(a, g, not transpose_a, False)
                gb = sum_to_shape(gb, b_shape)
            return ga, gb

        record(out, backward, (a, b))
    shape = list(out._t.shape)
    if va and vb:
        return _reshape_keep(out, shape[:-2])
    if va:
        return _reshape_keep(out, shape[:-2] + shape[-1:])
    if vb:
        return _reshape_keep(out, shape[:-1])
    return out


def _reshape_keep(t, shape):
    from .shape import reshape
    return reshape(t, shape)


def tensordot(a, b, axes):
    from .shape import reshape, transpose

    a, b = pair(a, b)
    if isinstance(axes, int):
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        ax_a, ax_b = [x % a.ndim for x in axes[0]], [x % b.ndim for x in axes[1]]
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = 1
    for i in ax_a:
        k *= a.shape[i]
    at = reshape(transpose(a, free_a + ax_a), [-1, k])
    bt = reshape(transpose(b, ax_b + free_b), [k, -1])
    return reshape(matmul(at, bt), [a.shape[i] for i in free_a] + [b.shape[i] for i in free_b])
