"""Max and average pooling (ktensor.nn.max_pool2d / avg_pool2d / 1-D / generic) against numpy,
forward and backward, for every pool size / stride / padding combination on odd shapes."""
import math

import numpy as np
import pytest

import ktensor
from helpers import assert_close, check_op, distinct, cuda_only, gradcheck, parity, rng, to_kt

# (pool, strides): square and not, strides equal to / smaller than / larger than the pool.
WINDOWS = [((1, 1), (1, 1)), ((2, 2), (2, 2)), ((3, 3), (2, 2)), ((2, 3), (3, 1)), ((3, 2), (1, 2)),
           ((5, 1), (2, 3)), ((1, 4), (1, 3))]
SHAPES = [(1, 7, 7, 1), (2, 5, 13, 3), (3, 6, 1, 2)]


def _plan(n, k, s, padding):
    """Output size and padding before, TensorFlow's rule."""
    if padding == "SAME":
        out = -(-n // s)
        return out, max((out - 1) * s + k - n, 0) // 2
    return (n - k) // s + 1, 0


def np_pool(x, k, s, padding, kind):
    """Reference NHWC pooling: each window clipped to the image (padding never counts)."""
    n, h, w, c = x.shape
    (oh, ph), (ow, pw) = _plan(h, k[0], s[0], padding), _plan(w, k[1], s[1], padding)
    out = np.empty((n, oh, ow, c), x.dtype)
    for r in range(oh):
        for q in range(ow):
            h0, w0 = r * s[0] - ph, q * s[1] - pw
            win = x[:, max(h0, 0):min(h0 + k[0], h), max(w0, 0):min(w0 + k[1], w), :]
            out[:, r, q, :] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


def np_pool_grad(x, g, k, s, padding, kind):
    """Reference input gradient: each window sends its gradient to its first maximum (row-major),
    or spreads it evenly over its valid elements."""
    n, h, w, c = x.shape
    (oh, ph), (ow, pw) = _plan(h, k[0], s[0], padding), _plan(w, k[1], s[1], padding)
    dx = np.zeros_like(x, dtype=np.float64)
    for r in range(oh):
        for q in range(ow):
            h0, w0 = r * s[0] - ph, q * s[1] - pw
            hs, ws = slice(max(h0, 0), min(h0 + k[0], h)), slice(max(w0, 0), min(w0 + k[1], w))
            win = x[:, hs, ws, :]
            if kind == "max":
                flat = win.reshape(n, -1, c)
                first = np.argmax(flat, axis=1)  # numpy's argmax is the first maximum
                hit = np.zeros_like(flat, dtype=np.float64)
                np.put_along_axis(hit, first[:, None, :], 1.0, axis=1)
                dx[:, hs, ws, :] += hit.reshape(win.shape) * g[:, r:r + 1, q:q + 1, :]
            else:
                dx[:, hs, ws, :] += g[:, r:r + 1, q:q + 1, :] / (win.shape[1] * win.shape[2])
    return dx


def _fits(shape, k, padding):
    return padding == "SAME" or (shape[1] >= k[0] and shape[2] >= k[1])


def _op(kind):
    return ktensor.nn.max_pool2d if kind == "max" else ktensor.nn.avg_pool2d


CASES = [(shape, k, s, p) for shape in SHAPES for k, s in WINDOWS for p in ("VALID", "SAME") if _fits(shape, k, p)]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,k,s,padding", CASES, ids=str)
def test_pool2d_forward(shape, k, s, padding, kind, device):
    x = rng(1).standard_normal(shape).astype(np.float32)
    check_op(lambda t: _op(kind)(t, k, s, padding), lambda a: np_pool(a, k, s, padding, kind), [x], device,
             rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,k,s,padding", CASES, ids=str)
def test_pool2d_backward(shape, k, s, padding, kind, device):
    x = distinct(shape, np.float32, seed=2)
    x_t = to_kt(x, device)
    y_ref = np_pool(x, k, s, padding, kind)
    g = rng(3).standard_normal(y_ref.shape).astype(np.float32)
    with ktensor.GradientTape() as tape:
        tape.watch(x_t)
        y = _op(kind)(x_t, k, s, padding)
    dx = tape.gradient(y, x_t, output_gradients=to_kt(g, device))
    assert_close(dx, np_pool_grad(x, g, k, s, padding, kind).astype(np.float32), rtol=1e-5, atol=1e-6,
                 device=device)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s", WINDOWS, ids=str)
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_pool2d_gradcheck(k, s, padding, kind, device):
    shape = (1, 5, 6, 1) if padding == "SAME" or k[0] <= 5 else (1, 6, 5, 1)
    x = distinct(shape, seed=4)
    gradcheck(lambda t: _op(kind)(t, k, s, padding), [x], device)


def test_max_pool_ties_go_to_the_first_maximum(device):
    # Overlapping 2x2 windows over a constant image: each window's gradient goes to its top-left element.
    x = np.ones((1, 3, 3, 1), np.float32)
    x_t = to_kt(x, device)
    with ktensor.GradientTape() as tape:
        tape.watch(x_t)
        y = ktensor.nn.max_pool2d(x_t, 2, 1, "VALID")
    dx = tape.gradient(y, x_t).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_propagates_nan(device):
    x = rng(5).standard_normal((1, 4, 4, 2)).astype(np.float32)
    x[0, 1, 2, 1] = np.nan
    y = ktensor.nn.max_pool2d(to_kt(x, device), 2, 2, "VALID").numpy()
    assert np.isnan(y[0, 0, 1, 1]) and np.isfinite(np.delete(y.reshape(-1), 3)).all()


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,padding", [(3, 2, "VALID"), (2, 2, "SAME"), (4, 3, "SAME"), (1, 2, "VALID")])
def test_pool1d(k, s, padding, kind, device):
    x = rng(6).standard_normal((2, 13, 3)).astype(np.float64)
    op = ktensor.nn.max_pool1d if kind == "max" else ktensor.nn.avg_pool1d
    check_op(lambda t: op(t, k, s, padding),
             lambda a: np_pool(a[:, None], (1, k), (1, s), padding, kind)[:, 0], [x], device, rtol=1e-12,
             atol=1e-12)
    gradcheck(lambda t: op(t, k, s, padding), [distinct((1, 9, 2), seed=7)], device)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_channels_first_and_generic_entry_points(kind, device):
    x = rng(8).standard_normal((2, 3, 7, 5)).astype(np.float32)  # NCHW
    ref = np_pool(x.transpose(0, 2, 3, 1), (3, 2), (2, 1), "SAME", kind).transpose(0, 3, 1, 2)
    op2 = _op(kind)
    gen = ktensor.nn.max_pool if kind == "max" else ktensor.nn.avg_pool
    check_op(lambda t: op2(t, [1, 1, 3, 2], [1, 1, 2, 1], "SAME", data_format="NCHW"), lambda a: ref, [x], device)
    check_op(lambda t: gen(t, (3, 2), (2, 1), "same", data_format="NCHW"), lambda a: ref, [x], device)
    x1 = x[:, :, 0, :]  # NCW
    ref1 = np_pool(x1.transpose(0, 2, 1)[:, None], (1, 2), (1, 2), "VALID", kind)[:, 0].transpose(0, 2, 1)
    check_op(lambda t: gen(t, 2, 2, "VALID", data_format="NCW"), lambda a: ref1, [x1], device)
    x3 = x.transpose(0, 2, 3, 1)
    check_op(lambda t: gen(t, [1, 3, 2, 1], [1, 2, 1, 1], "SAME"), lambda a: np_pool(a, (3, 2), (2, 1), "SAME", kind),
             [x3], device)


def test_float64_and_determinism(device):
    x = rng(9).standard_normal((2, 9, 11, 5))
    a = ktensor.nn.avg_pool2d(to_kt(x, device), 3, 2, "SAME")
    assert a.dtype == ktensor.float64
    assert_close(a, np_pool(x, (3, 3), (2, 2), "SAME", "avg"), rtol=1e-12, atol=1e-12)
    g = rng(10).standard_normal(tuple(a.shape))
    runs = []
    for _ in range(2):
        x_t = to_kt(x, device)
        with ktensor.GradientTape() as tape:
            tape.watch(x_t)
            y = ktensor.nn.max_pool2d(x_t, 3, 2, "SAME")
        runs.append(tape.gradient(y, x_t, output_gradients=to_kt(g, device)).numpy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_avg_pool_second_order(device):
    # The avg-pool backward is itself differentiable (its adjoint is the pool).
    x = to_kt(rng(11).standard_normal((1, 5, 5, 1)), device)
    with ktensor.GradientTape() as outer:
        outer.watch(x)
        with ktensor.GradientTape() as inner:
            inner.watch(x)
            y = ktensor.reduce_sum(ktensor.square(ktensor.nn.avg_pool2d(x, 2, 1, "SAME")))
        gx = inner.gradient(y, x)
        z = ktensor.reduce_sum(gx)
    ggx = outer.gradient(z, x)
    # z = sum_i dy/dx_i = 2 * sum(P^T P x . 1) -> gradient 2 P^T P 1, by numpy
    ones = np.ones((1, 5, 5, 1))
    p1 = np_pool(ones, (2, 2), (1, 1), "SAME", "avg")
    ref = 2 * np_pool_grad(ones, p1, (2, 2), (1, 1), "SAME", "avg")
    assert_close(ggx, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("call,exc,words", [
    (lambda x: ktensor.nn.max_pool2d(x[0], 2, 2, "VALID"), ValueError, "4-D"),
    (lambda x: ktensor.nn.max_pool2d(x, 6, 1, "VALID"), ValueError, "larger than the input"),
    (lambda x: ktensor.nn.avg_pool2d(x, 2, 0, "VALID"), ValueError, "strides must be positive"),
    (lambda x: ktensor.nn.avg_pool2d(x, -1, 1, "SAME"), ValueError, "ksize must be positive"),
    (lambda x: ktensor.nn.max_pool2d(x, 2, 2, "FULL"), ValueError, "padding"),
    (lambda x: ktensor.nn.max_pool2d(x, 2, 2, "VALID", data_format="HWCN"), ValueError, "data_format"),
    (lambda x: ktensor.nn.max_pool2d(x, [2, 2, 2, 1], 1, "VALID"), ValueError, "batch and channel"),
    (lambda x: ktensor.nn.max_pool2d(x, [2, 2, 2], 1, "VALID"), ValueError, "entries"),
    (lambda x: ktensor.nn.max_pool2d(ktensor.cast(x, "int32"), 2, 2, "VALID"), TypeError, "float32"),
    (lambda x: ktensor.nn.max_pool(ktensor.reshape(x, [1, 1, 5, 5, 3]), 2, 2, "VALID"), ValueError, "rank"),
    (lambda x: ktensor.nn.avg_pool1d(x, 2, 2, "VALID"), ValueError, "3-D"),
])
def test_bad_input(call, exc, words):
    x = ktensor.constant(rng(12).standard_normal((1, 5, 5, 3)).astype(np.float32))
    with pytest.raises(exc, match=words):
        call(x)


def test_native_errors_name_the_op():
    from ktensor import _core
    x = ktensor.constant(np.zeros((1, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="max_pool2d_backward: gradient of shape"):
        _core.max_pool2d_backward(x._t, _core.full([1, 2, 2, 1], _core.DType.int32, "cpu", 0), [1, 4, 4, 1], [2, 2],
                                  [2, 2], False)
    with pytest.raises(ValueError, match="avg_pool2d: pool size must be positive"):
        _core.avg_pool2d(x._t, [0, 2], [1, 1], True)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,padding", [((3, 3), (2, 2), "SAME"), ((2, 3), (3, 1), "VALID"), ((2, 2), (2, 2), "VALID")])
@cuda_only
def test_cuda_parity(k, s, padding, kind):
    x = distinct((2, 9, 13, 7), np.float32, seed=13)
    parity(lambda t: _op(kind)(t, k, s, padding), [x], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@cuda_only
def test_cuda_parity_grid_stride(kind):
    # 18M outputs and inputs: more than one grid (65536 blocks of 256 threads) per launch
    x = rng(14).standard_normal((2, 300, 300, 100)).astype(np.float32)
    parity(lambda t: _op(kind)(t, (2, 2), (1, 1), "SAME"), [x], rtol=1e-6, atol=1e-6)


def test_output_length_matches_the_kernel():
    from ktensor.ops.pool import output_length
    for n in (1, 5, 8):
        for k in (1, 2, 3):
            for s in (1, 2, 3):
                for p in ("valid", "same"):
                    if p == "valid" and n < k:
                        continue
                    y = ktensor.nn.avg_pool1d(ktensor.zeros((1, n, 1)), k, s, p.upper())
                    assert y.shape[1] == output_length(n, k, s, p) == (
                        math.ceil(n / s) if p == "same" else (n - k) // s + 1)
