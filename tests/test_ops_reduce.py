"""Reductions over any axes, with and without keepdims, on contiguous and strided inputs."""
import numpy as np
import pytest

import ktensor
from helpers import check_op, distinct, gradcheck, rng

# (shape, axis) pairs: every axis, negative axes, several axes, all axes, odd and unit sizes.
CASES = [
    ((3, 4, 5), None), ((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2), ((3, 4, 5), -1), ((3, 4, 5), (0, 2)),
    ((3, 4, 5), (1, -1)), ((3, 4, 5), (0, 1, 2)), ((73,), 0), ((73,), None), ((1,), 0), ((7, 1, 3), 1),
    ((7, 1, 3), (0, 2)), ((), None), ((1, 7, 73), -1),
]
CASE_IDS = [f"{s}-{a}" for s, a in CASES]


def _data(shape, dtype, seed=0):
    r = rng(seed)
    if np.dtype(dtype).kind == "f":
        return r.uniform(-3, 3, shape).astype(dtype)
    return r.integers(-4, 5, shape).astype(dtype)


def _npaxis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _tol(dtype):
    return (2e-6, 2e-6) if np.dtype(dtype) == np.float32 else (1e-12, 1e-12)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shape,axis", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("name,ref", [("reduce_sum", np.sum), ("reduce_max", np.max), ("reduce_min", np.min)])
def test_sum_max_min(name, ref, shape, axis, dtype, keepdims, device):
    x = _data(shape, dtype)
    rtol, atol = _tol(dtype)
    # results keep the input dtype (TensorFlow; numpy would widen int32 sums to int64)
    check_op(lambda t: getattr(ktensor, name)(t, axis=axis, keepdims=keepdims),
             lambda a: ref(a, axis=_npaxis(axis), keepdims=keepdims).astype(dtype), [x], device, rtol=rtol, atol=atol)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shape,axis", CASES, ids=CASE_IDS)
def test_prod(shape, axis, dtype, keepdims, device):
    r = rng(1)
    x = (r.uniform(0.7, 1.3, shape) * r.choice([-1, 1], shape)).astype(dtype) if np.dtype(dtype).kind == "f" else \
        r.integers(-2, 3, shape).astype(dtype)
    if x.size > 20 and np.dtype(dtype).kind == "i":
        x = np.where(np.abs(x) > 1, np.sign(x), x).astype(dtype)  # no overflow
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-12)
    check_op(lambda t: ktensor.reduce_prod(t, axis=axis, keepdims=keepdims),
             lambda a: np.prod(a, axis=_npaxis(axis), keepdims=keepdims).astype(dtype), [x], device, rtol=rtol,
             atol=atol)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("name,ref", [("reduce_mean", np.mean), ("reduce_variance", np.var),
                                      ("reduce_std", np.std)])
def test_mean_variance_std(name, ref, shape, axis, dtype, keepdims, device):
    x = _data(shape, dtype) + np.asarray(2.0, dtype)  # an offset tests the two-pass variance
    rtol, atol = (1e-5, 1e-5) if dtype == np.float32 else (1e-11, 1e-12)
    check_op(lambda t: getattr(ktensor, name)(t, axis=axis, keepdims=keepdims),
             lambda a: ref(a.astype(np.float64), axis=_npaxis(axis), keepdims=keepdims).astype(dtype), [x], device,
             rtol=rtol, atol=atol)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", CASES, ids=CASE_IDS)
def test_logsumexp(shape, axis, dtype, keepdims, device):
    x = _data(shape, dtype) * np.asarray(10, dtype)

    def ref(a):
        a = a.astype(np.float64)
        m = np.max(a, axis=_npaxis(axis), keepdims=True)
        out = np.log(np.sum(np.exp(a - m), axis=_npaxis(axis), keepdims=True)) + m
        return (out if keepdims else np.squeeze(out, axis=_npaxis(axis)) if axis is not None
                else out.reshape(())).astype(dtype)

    rtol, atol = _tol(dtype)
    check_op(lambda t: ktensor.reduce_logsumexp(t, axis=axis, keepdims=keepdims), ref, [x], device, rtol=rtol,
             atol=atol)


def test_logsumexp_extremes(device):
    x = np.array([[1000.0, 1000.0], [-np.inf, -np.inf], [-1000.0, 0.0]], np.float32)
    check_op(lambda t: ktensor.reduce_logsumexp(t, axis=1),
             lambda a: np.array([1000 + np.log(2), -np.inf, 0.0], np.float32), [x], device, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_mean_of_integers(dtype, device):
    x = _data((4, 6), dtype)
    out = check_op(lambda t: ktensor.reduce_mean(t, axis=1), lambda a: np.mean(a, axis=1), [x], device,
                   rtol=1e-6, check_dtype=False)
    assert out.dtype.is_floating or out.dtype == ktensor.as_dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1])
@pytest.mark.parametrize("name,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_argmin(name, ref, axis, dtype, device):
    x = rng(2).integers(-3, 4, (4, 7, 5)).astype(dtype)  # many ties: the first index wins, as in numpy
    # axis=None means axis 0, as in TensorFlow
    check_op(lambda t: getattr(ktensor, name)(t, axis=axis), lambda a: ref(a, axis=0 if axis is None else axis)
             .astype(np.int64), [x], device)


@pytest.mark.parametrize("name,ref", [("argmax", np.argmax), ("argmin", np.argmin)])
def test_argmax_odd_shapes_and_views(name, ref, device):
    fn = getattr(ktensor, name)
    for shape, axis in [((73,), 0), ((1,), 0), ((3, 1, 5), 1), ((1, 73), 1)]:
        x = rng(3).standard_normal(shape).astype(np.float32)
        check_op(lambda t: fn(t, axis=axis), lambda a: ref(a, axis=axis), [x], device)
    x = rng(4).standard_normal((6, 9)).astype(np.float32)
    check_op(lambda t: fn(ktensor.transpose(t), axis=1), lambda a: ref(a.T, axis=1), [x], device)
    check_op(lambda t: fn(t[::2, ::-3], axis=0), lambda a: ref(a[::2, ::-3], axis=0), [x], device)
    check_op(lambda t: fn(t, axis=1, output_type="int32"), lambda a: ref(a, axis=1).astype(np.int32), [x], device)


@pytest.mark.parametrize("name,ref", [("reduce_any", np.any), ("reduce_all", np.all)])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
def test_any_all(name, ref, axis, device):
    x = rng(5).random((5, 7, 3)) < 0.2
    check_op(lambda t: getattr(ktensor, name)(t, axis=axis), lambda a: ref(a, axis=_npaxis(axis)), [x], device)
    check_op(lambda t: getattr(ktensor, name)(t, axis=axis, keepdims=True),
             lambda a: ref(a, axis=_npaxis(axis), keepdims=True), [x], device)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2)])
@pytest.mark.parametrize("name,ref", [("reduce_sum", np.sum), ("reduce_mean", np.mean), ("reduce_max", np.max),
                                      ("reduce_min", np.min), ("reduce_prod", np.prod), ("reduce_variance", np.var)])
def test_reduce_non_contiguous(name, ref, axis, device):
    x = rng(6).uniform(0.5, 1.5, (5, 4, 6)).astype(np.float32)
    fn = getattr(ktensor, name)
    for view, npview in [(lambda t: ktensor.transpose(t, [2, 0, 1]), lambda a: a.transpose(2, 0, 1)),
                         (lambda t: ktensor.transpose(t), lambda a: a.T),
                         (lambda t: t[::2, :, 1::2], lambda a: a[::2, :, 1::2]),
                         (lambda t: t[::-1, 1:3, ::-2], lambda a: a[::-1, 1:3, ::-2]),
                         (lambda t: ktensor.broadcast_to(t[:, :1, :], [5, 3, 6]),
                          lambda a: np.broadcast_to(a[:, :1, :], (5, 3, 6)))]:
        check_op(lambda t: fn(view(t), axis=axis), lambda a: ref(npview(a).astype(np.float64), axis=_npaxis(axis))
                 .astype(np.float32), [x], device, rtol=1e-5, atol=1e-6)


def test_reduce_empty(device):
    x = np.zeros((2, 0, 3), np.float32)
    check_op(lambda t: ktensor.reduce_sum(t, axis=1), lambda a: a.sum(axis=1), [x], device)
    check_op(lambda t: ktensor.reduce_sum(t), lambda a: a.sum(), [x], device)
    check_op(lambda t: ktensor.reduce_prod(t, axis=1), lambda a: a.prod(axis=1), [x], device)
    check_op(lambda t: ktensor.reduce_sum(t, axis=2), lambda a: a.sum(axis=2), [x], device)
    check_op(lambda t: ktensor.reduce_max(t, axis=2), lambda a: a.max(axis=2), [x], device)


def test_reduce_empty_axis_list_reduces_nothing(device):
    # tf.reduce_sum(x, axis=[]) and np.sum(x, axis=()) return x unchanged
    x = rng(7).standard_normal((3, 4)).astype(np.float32)
    check_op(lambda t: ktensor.reduce_sum(t, axis=[]), lambda a: np.sum(a, axis=()), [x], device)


def test_tensor_reduce_methods(device):
    x = rng(8).standard_normal((3, 4)).astype(np.float32)
    check_op(lambda t: t.sum(), lambda a: a.sum(dtype=np.float64).astype(np.float32), [x], device, rtol=1e-6)
    check_op(lambda t: t.mean(axis=0), lambda a: a.mean(axis=0), [x], device, rtol=1e-6)
    check_op(lambda t: t.max(axis=1, keepdims=True), lambda a: a.max(axis=1, keepdims=True), [x], device)
    check_op(lambda t: t.min(), lambda a: a.min(), [x], device)


def test_reduce_large_odd_shapes(device):
    x = rng(13).standard_normal((33, 1025, 7)).astype(np.float32)
    for axis in [0, 1, 2, (0, 2), None]:
        check_op(lambda t: ktensor.reduce_sum(t, axis=axis),
                 lambda a: a.astype(np.float64).sum(axis=_npaxis(axis)).astype(np.float32), [x], device, rtol=1e-5,
                 atol=2e-5)
        check_op(lambda t: ktensor.reduce_max(t, axis=axis), lambda a: a.max(axis=_npaxis(axis)), [x], device)
    check_op(lambda t: ktensor.argmax(t, axis=1), lambda a: a.argmax(axis=1), [x], device)
    check_op(lambda t: ktensor.reduce_mean(ktensor.transpose(t, [2, 1, 0]), axis=[0, 2]),
             lambda a: a.astype(np.float64).transpose(2, 1, 0).mean(axis=(0, 2)).astype(np.float32), [x], device,
             rtol=1e-5, atol=1e-6)
    check_op(lambda t: ktensor.nn.softmax(ktensor.reshape(t, [-1, 77])[:1025], axis=-1),
             lambda a: _np_softmax(a.reshape(-1, 77)[:1025]), [x], device, rtol=1e-5, atol=1e-7)


def _np_softmax(a):
    e = np.exp(a.astype(np.float64) - a.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


# ---------------------------------------------------------------- determinism ----
def test_reductions_are_bitwise_deterministic(device):
    big = rng(9).standard_normal(1_000_003).astype(np.float32)
    mat = rng(10).standard_normal((4096, 300)).astype(np.float32)
    with ktensor.device(device):
        tb, tm = ktensor.constant(big), ktensor.constant(mat)
        s0 = ktensor.reduce_sum(tb).numpy()
        m0 = ktensor.reduce_mean(tm, axis=0).numpy()
        v0 = ktensor.reduce_sum(tm, axis=1).numpy()
        for _ in range(5):
            assert ktensor.reduce_sum(tb).numpy().tobytes() == s0.tobytes()
            assert ktensor.reduce_mean(tm, axis=0).numpy().tobytes() == m0.tobytes()
            assert ktensor.reduce_sum(tm, axis=1).numpy().tobytes() == v0.tobytes()
    np.testing.assert_allclose(s0, big.astype(np.float64).sum(), rtol=1e-5)
    np.testing.assert_allclose(m0, mat.astype(np.float64).mean(axis=0), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- gradients ----
GRAD_AXES = [None, 1, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", GRAD_AXES, ids=str)
@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
                                  "reduce_variance", "reduce_std", "reduce_logsumexp"])
def test_reduce_grad(name, axis, keepdims, device):
    if name == "reduce_prod":
        r = rng(11)
        x = r.uniform(0.5, 1.5, (2, 3, 4)) * r.choice([-1, 1], (2, 3, 4))
    else:
        x = distinct((2, 3, 4), scale=2.0, seed=11)
    gradcheck(lambda t: getattr(ktensor, name)(t, axis=axis, keepdims=keepdims), [x], device)


@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_variance"])
def test_reduce_grad_scalar_and_transposed(name, device):
    fn = getattr(ktensor, name)
    gradcheck(lambda t: fn(t), [np.array(0.7)], device)
    gradcheck(lambda t: fn(ktensor.transpose(t), axis=0), [distinct((3, 5), seed=12)], device)


def test_reduce_prod_grad_with_zero(device):
    gradcheck(lambda t: ktensor.reduce_prod(t, axis=-1), [np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0]])], device)


def test_reduce_max_ties_share_gradient(device):
    with ktensor.device(device):
        x = ktensor.constant(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]]))
    with ktensor.GradientTape() as tape:
        tape.watch(x)
        y = ktensor.reduce_max(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [[0, 0.5, 0.5], [1, 0, 0]])
