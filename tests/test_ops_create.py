"""Creation ops and casts against numpy, on every dtype."""
import numpy as np
import pytest

import ktensor
from helpers import assert_close, check_op, rng

ALL = ["bool", "int32", "int64", "float32", "float64"]
SHAPES = [(), (1,), (7,), (73,), (3, 1, 5), (2, 0, 3)]


@pytest.mark.parametrize("dtype", ALL)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_zeros_ones_full(shape, dtype, device):
    assert_close(ktensor.zeros(shape, dtype=dtype, device=device), np.zeros(shape, dtype), device=device)
    assert_close(ktensor.ones(shape, dtype=dtype, device=device), np.ones(shape, dtype), device=device)
    assert_close(ktensor.full(shape, 3, dtype=dtype, device=device), np.full(shape, 3, dtype), device=device)
    with ktensor.device(device):
        assert_close(ktensor.zeros(list(shape), dtype=dtype), np.zeros(shape, dtype), device=device)
        assert_close(ktensor.fill(shape, 2, dtype=dtype), np.full(shape, 2, dtype), device=device)


def test_defaults_and_inferred_dtypes(device):
    with ktensor.device(device):
        assert_close(ktensor.zeros([2, 3]), np.zeros((2, 3), np.float32), device=device)
        assert_close(ktensor.ones(4), np.ones(4, np.float32), device=device)
        assert_close(ktensor.fill([2], 7), np.full(2, 7, np.int32), device=device)
        assert_close(ktensor.fill([2], 1.5), np.full(2, 1.5, np.float32), device=device)
        assert_close(ktensor.fill([2], True), np.full(2, True), device=device)
        assert_close(ktensor.full([3], -2.25, dtype="float64"), np.full(3, -2.25), device=device)
        assert_close(ktensor.zeros(ktensor.constant([2, 1])), np.zeros((2, 1), np.float32), device=device)


@pytest.mark.parametrize("dtype", [None] + ALL)
def test_zeros_like_ones_like(dtype, device):
    x = rng(0).standard_normal((3, 1, 5)).astype(np.float64)
    want = np.float64 if dtype is None else dtype
    check_op(lambda t: ktensor.zeros_like(t, dtype=dtype), lambda a: np.zeros_like(a, dtype=want), [x], device)
    check_op(lambda t: ktensor.ones_like(t, dtype=dtype), lambda a: np.ones_like(a, dtype=want), [x], device)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize("n,m", [(3, None), (3, 5), (5, 3), (1, None), (0, None), (73, 2)])
def test_eye(n, m, dtype, device):
    assert_close(ktensor.eye(n, m, dtype=dtype, device=device), np.eye(n, m, dtype=dtype), device=device)


@pytest.mark.parametrize("args,dtype", [
    ((5,), None), ((2, 11, 3), None), ((10, 2, -3), None), ((0.5, 2.0, 0.25), None), ((5, 2), None),
    ((0,), None), ((7,), "int64"), ((7,), "float64"), ((-3, 4), "float32"), ((1, 2, 0.3), "float64"),
])
def test_range(args, dtype, device):
    if dtype is None:
        want = np.int32 if all(isinstance(a, int) for a in args) else np.float32
    else:
        want = dtype
    expected = np.arange(*args, dtype=np.float64).astype(want)
    assert_close(ktensor.range(*args, dtype=dtype, device=device), expected, rtol=1e-6, atol=1e-6, device=device)
    assert_close(ktensor.arange(*args, dtype=dtype, device=device), expected, rtol=1e-6, atol=1e-6, device=device)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("start,stop,num", [(0, 1, 5), (-1, 1, 73), (2, 3, 1), (0, 1, 0), (5, -5, 7),
                                            (0.1, 0.7, 2)])
def test_linspace(start, stop, num, dtype, device):
    expected = np.linspace(start, stop, num, dtype=np.float64).astype(dtype)
    out = ktensor.linspace(start, stop, num, dtype=dtype, device=device)
    assert_close(out, expected, rtol=1e-6, atol=1e-6, device=device)
    if num > 1:
        assert out.numpy()[-1] == expected[-1] and out.numpy()[0] == expected[0]


CAST_VALUES = np.array([0.0, 1.0, -1.0, 2.7, -2.7, 0.5, -0.5, 100.25, 1e6, -3.0])


@pytest.mark.parametrize("src", ALL)
@pytest.mark.parametrize("dst", ALL)
def test_cast_all_pairs(src, dst, device):
    x = CAST_VALUES.astype(src)  # float -> int truncates toward zero, nonzero -> True, as numpy
    check_op(lambda t: ktensor.cast(t, dst), lambda a: a.astype(dst), [x], device)
    check_op(lambda t: t.astype(dst), lambda a: a.astype(dst), [x], device)


def test_cast_views_and_dtype_objects(device):
    x = rng(1).uniform(-5, 5, (4, 6))
    check_op(lambda t: ktensor.cast(ktensor.transpose(t), ktensor.int32), lambda a: a.T.astype(np.int32), [x],
             device)
    check_op(lambda t: ktensor.cast(t[::2, ::-3], np.float32), lambda a: a[::2, ::-3].astype(np.float32), [x],
             device)
    check_op(lambda t: ktensor.cast(t, ktensor.bool), lambda a: a.astype(bool), [x], device)


def test_cast_float_gradient_flows(device):
    with ktensor.device(device):
        x = ktensor.constant(np.array([1.0, 2.0]))
    with ktensor.GradientTape() as tape:
        tape.watch(x)
        y = ktensor.reduce_sum(ktensor.cast(x, "float32") * 3.0)
    g = tape.gradient(y, x)
    assert g.dtype == ktensor.float64
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])
    with ktensor.GradientTape() as tape:
        tape.watch(x)
        y = ktensor.reduce_sum(ktensor.cast(ktensor.cast(x, "int32"), "float64"))
    assert tape.gradient(y, x) is None  # no gradient through an integer cast


@pytest.mark.parametrize("value,dtype,expected", [
    ([1.5, 2.5], None, np.array([1.5, 2.5], np.float32)),
    ([[1, 2], [3, 4]], None, np.array([[1, 2], [3, 4]], np.int32)),
    ([True, False], None, np.array([True, False])),
    (3.0, None, np.array(3.0, np.float32)),
    (7, None, np.array(7, np.int32)),
    (2 ** 40, None, np.array(2 ** 40, np.int64)),
    ([1, 2], "float64", np.array([1, 2], np.float64)),
    ([1.7, -1.7], "int32", np.array([1, -1], np.int32)),
    (np.arange(6.0).reshape(2, 3), None, np.arange(6.0).reshape(2, 3)),
    (np.arange(4, dtype=np.int64), None, np.arange(4, dtype=np.int64)),
    (np.arange(4, dtype=np.uint8), None, np.arange(4, dtype=np.int32)),
    (np.zeros((2, 0)), None, np.zeros((2, 0))),
])
def test_constant(value, dtype, expected, device):
    with ktensor.device(device):
        assert_close(ktensor.constant(value, dtype=dtype), expected, device=device)
        assert_close(ktensor.convert_to_tensor(value, dtype=dtype), expected, device=device)


def test_constant_with_shape(device):
    with ktensor.device(device):
        assert_close(ktensor.constant(0.5, shape=[2, 3]), np.full((2, 3), 0.5, np.float32), device=device)
        assert_close(ktensor.constant([1, 2, 3, 4, 5, 6], shape=(2, 3)), np.arange(1, 7, dtype=np.int32)
                     .reshape(2, 3), device=device)


def test_constant_from_tensor_copies(device):
    with ktensor.device(device):
        t = ktensor.constant([1.0, 2.0])
        c = ktensor.constant(t)
    assert_close(c, np.array([1.0, 2.0], np.float32), device=device)
