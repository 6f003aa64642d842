"""matmul against numpy: 2-D, batched with broadcasting, transposes, vectors, strided views; gradients."""
import numpy as np
import pytest

import ktensor
from helpers import check_op, gradcheck, rng


def _mat(shape, dtype=np.float32, seed=0):
    r = rng(seed)
    if np.dtype(dtype).kind == "f":
        return r.uniform(-1, 1, shape).astype(dtype)
    return r.integers(-5, 6, shape).astype(dtype)


def _tol(dtype, k=1):
    return (1e-5, 1e-5 * max(1, k) ** 0.5) if np.dtype(dtype) == np.float32 else (1e-12, 1e-12)


SHAPES = [  # a, b: odd sizes, unit dims, batch broadcasting, empty
    ((1, 7), (7, 73)), ((7, 1), (1, 5)), ((73, 7), (7, 3)), ((5, 5), (5, 5)), ((3, 17), (17, 1)),
    ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 6)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
    ((1, 3, 4), (7, 4, 2)), ((3, 0), (0, 4)), ((0, 3), (3, 4)), ((2, 0, 3), (3, 4)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("sa,sb", SHAPES, ids=[f"{a}@{b}" for a, b in SHAPES])
def test_matmul_forward(sa, sb, dtype, device):
    a, b = _mat(sa, dtype, 1), _mat(sb, dtype, 2)
    rtol, atol = _tol(dtype, sa[-1])
    check_op(ktensor.matmul, np.matmul, [a, b], device, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("sa,sb", [((7, 3), (3, 73)), ((1, 5), (5, 1)), ((2, 3, 4), (2, 4, 5)),
                                   ((2, 1, 3, 4), (5, 4, 6))])
def test_matmul_transpose_flags(sa, sb, ta, tb, dtype, device):
    a, b = _mat(sa, dtype, 3), _mat(sb, dtype, 4)
    swap = lambda m: np.swapaxes(m, -1, -2)  # noqa: E731
    a_in, b_in = (swap(a).copy() if ta else a), (swap(b).copy() if tb else b)
    rtol, atol = _tol(dtype, sa[-1])
    check_op(lambda x, y: ktensor.matmul(x, y, transpose_a=ta, transpose_b=tb),
             lambda x, y: np.matmul(swap(x) if ta else x, swap(y) if tb else y), [a_in, b_in], device,
             rtol=rtol, atol=atol)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4,)), ((4,), (4, 5)), ((7,), (7,)), ((1,), (1,)), ((73,), (73,)),
                                   ((2, 3, 4), (4,)), ((4,), (2, 4, 3))])
def test_matmul_vectors(sa, sb, device):
    a, b = _mat(sa, np.float32, 5), _mat(sb, np.float32, 6)
    check_op(ktensor.matmul, np.matmul, [a, b], device, rtol=1e-5, atol=1e-5)
    check_op(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], device, rtol=1e-5, atol=1e-5)


def test_matmul_strided_views(device):
    a = _mat((9, 6), np.float32, 7)
    b = _mat((6, 10), np.float32, 8)
    cases = [
        (lambda x, y: ktensor.matmul(ktensor.transpose(x), x), lambda x, y: x.T @ x),
        (lambda x, y: ktensor.matmul(x[::2], y), lambda x, y: x[::2] @ y),
        (lambda x, y: ktensor.matmul(x[:, 1:5], y[1:5, ::3]), lambda x, y: x[:, 1:5] @ y[1:5, ::3]),
        (lambda x, y: ktensor.matmul(x[::-1, ::-1], y[::-1]), lambda x, y: x[::-1, ::-1] @ y[::-1]),
        (lambda x, y: ktensor.matmul(ktensor.transpose(y), ktensor.transpose(x)), lambda x, y: y.T @ x.T),
        (lambda x, y: ktensor.matmul(x, ktensor.transpose(x[:6]), transpose_b=True), lambda x, y: x @ x[:6]),
        (lambda x, y: ktensor.matmul(ktensor.broadcast_to(y[:, :4], [3, 6, 4]), x[:4, :6], transpose_a=True,
                                     transpose_b=True),
         lambda x, y: np.swapaxes(np.broadcast_to(y[:, :4], (3, 6, 4)), -1, -2) @ x[:4, :6].T),
    ]
    for kfn, nfn in cases:
        check_op(kfn, nfn, [a, b], device, rtol=1e-5, atol=1e-5)


def test_matmul_large_odd(device):
    a, b = _mat((67, 129), np.float32, 9), _mat((129, 33), np.float32, 10)
    check_op(ktensor.matmul, lambda x, y: (x.astype(np.float64) @ y).astype(np.float32), [a, b], device,
             rtol=1e-4, atol=1e-4)


def test_matmul_mixed_float_dtypes(device):
    a, b = _mat((3, 2), np.float32, 11), _mat((2, 4), np.float64, 12)
    check_op(ktensor.matmul, lambda x, y: x.astype(np.float64) @ y, [a, b], device, rtol=1e-6, atol=1e-6)


def test_tensordot(device):
    a, b = _mat((3, 4, 5), np.float32, 13), _mat((4, 5, 6), np.float32, 14)
    check_op(lambda x, y: ktensor.tensordot(x, y, 2), lambda x, y: np.tensordot(x, y, 2), [a, b], device,
             rtol=1e-5, atol=1e-5)
    check_op(lambda x, y: ktensor.tensordot(x, y, [[1], [0]]), lambda x, y: np.tensordot(x, y, [[1], [0]]),
             [a, b], device, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- gradients ----
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_matmul_grad_2d(ta, tb, device):
    a = rng(20).standard_normal((4, 3) if ta else (3, 4))
    b = rng(21).standard_normal((5, 4) if tb else (4, 5))
    gradcheck(lambda x, y: ktensor.matmul(x, y, transpose_a=ta, transpose_b=tb), [a, b], device)


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("sa,sb", [((2, 2, 3), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (2, 3, 4)),
                                   ((2, 2, 3), (3, 2))])
def test_matmul_grad_batched(sa, sb, ta, tb, device):
    sw = lambda s: s[:-2] + (s[-1], s[-2])  # noqa: E731
    a = rng(22).standard_normal(sw(sa) if ta else sa)
    b = rng(23).standard_normal(sw(sb) if tb else sb)
    gradcheck(lambda x, y: ktensor.matmul(x, y, transpose_a=ta, transpose_b=tb), [a, b], device)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4,)), ((4,), (4, 2)), ((5,), (5,)), ((2, 3, 4), (4,))])
def test_matmul_grad_vectors(sa, sb, device):
    gradcheck(ktensor.matmul, [rng(24).standard_normal(sa), rng(25).standard_normal(sb)], device)


def test_matmul_grad_views(device):
    a, b = rng(26).standard_normal((4, 3)), rng(27).standard_normal((5, 4))
    gradcheck(lambda x, y: ktensor.matmul(ktensor.transpose(x), ktensor.transpose(y)), [a, b], device)
    gradcheck(lambda x, y: ktensor.matmul(x[::2], y[1:4, ::2]), [a, b], device)


def test_tensordot_grad(device):
    a, b = rng(28).standard_normal((2, 3, 2)), rng(29).standard_normal((3, 2, 2))
    gradcheck(lambda x, y: ktensor.tensordot(x, y, [[1, 2], [0, 1]]), [a, b], device)
