"""Normalization ops against numpy: tf.nn.moments, tf.nn.batch_normalization, the fused batch norm
(training / inference) and layer norm, forward and backward, on odd shapes; large shapes run the
multi-chunk reductions; results must not depend on the thread count."""
import numpy as np
import pytest

import ktensor
from ktensor import _core
from helpers import assert_close, check_op, cuda_only, gradcheck, parity, rng, to_kt


def np_bn_train(x, gamma, beta, eps):
    """Batch norm over the last axis: y, mean, biased variance (float64)."""
    x64 = x.astype(np.float64).reshape(-1, x.shape[-1])
    mean, var = x64.mean(0), x64.var(0)
    y = (x64 - mean) / np.sqrt(var + eps)
    y = y * (1 if gamma is None else gamma) + (0 if beta is None else beta)
    return y.reshape(x.shape), mean, var


def np_bn_train_grad(x, g, gamma, eps):
    """dx, dgamma, dbeta of batch norm with batch statistics (the textbook formulas)."""
    c = x.shape[-1]
    x64, g64 = x.astype(np.float64).reshape(-1, c), g.astype(np.float64).reshape(-1, c)
    m = x64.shape[0]
    mean, var = x64.mean(0), x64.var(0)
    rs = 1 / np.sqrt(var + eps)
    xh = (x64 - mean) * rs
    gm = 1 if gamma is None else gamma
    dx = gm * rs / m * (m * g64 - g64.sum(0) - xh * (g64 * xh).sum(0))
    return dx.reshape(x.shape), (g64 * xh).sum(0), g64.sum(0)


def np_ln(x, gamma, beta, axes, eps):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=tuple(axes), keepdims=True)
    var = x64.var(axis=tuple(axes), keepdims=True)
    y = (x64 - mean) / np.sqrt(var + eps)
    shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    if gamma is not None:
        y = y * gamma.reshape(shape)
    if beta is not None:
        y = y + beta.reshape(shape)
    return y


def np_ln_grad(x, g, gamma, eps):
    """dx, dgamma, dbeta of layer norm over the last axis."""
    x64, g64 = x.astype(np.float64).reshape(-1, x.shape[-1]), g.astype(np.float64).reshape(-1, x.shape[-1])
    d = x64.shape[1]
    mean, var = x64.mean(1, keepdims=True), x64.var(1, keepdims=True)
    rs = 1 / np.sqrt(var + eps)
    xh = (x64 - mean) * rs
    gg = g64 * (1 if gamma is None else gamma)
    dx = rs * (gg - gg.mean(1, keepdims=True) - xh * (gg * xh).mean(1, keepdims=True))
    return dx.reshape(x.shape), (g64 * xh).sum(0), g64.sum(0)


def _grads(fn, arrays, g, device):
    ts = [to_kt(a, device) for a in arrays]
    with ktensor.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = fn(*ts)
    return tape.gradient(y, ts, output_gradients=to_kt(g, device))


# ---- moments ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axes", [((4, 3), [0]), ((2, 5, 7, 3), [0, 1, 2]), ((3, 5, 7), [1]), ((3, 5, 7), [0, 2]),
                                        ((13,), [0]), ((2, 3, 4), [-1, 0])], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_moments(shape, axes, keepdims, dtype, device):
    x = (rng(1).standard_normal(shape) * 2 + 0.5).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    ax = tuple(a % len(shape) for a in axes)
    check_op(lambda t: ktensor.nn.moments(t, axes, keepdims=keepdims),
             lambda a: [a.astype(np.float64).mean(ax, keepdims=keepdims).astype(dtype),
                        a.astype(np.float64).var(ax, keepdims=keepdims).astype(dtype)], [x], device, rtol=tol, atol=tol)


@pytest.mark.parametrize("shape,axes", [((4, 2, 3), [0, 1]), ((3, 4, 2), [1]), ((7, 3), [0])], ids=str)
def test_moments_gradcheck(shape, axes, device):
    gradcheck(lambda t: ktensor.nn.moments(t, axes), [rng(2).standard_normal(shape)], device)


def test_moments_large_mean_is_stable(device):
    # float32 values around 1e4 with unit spread, over several chunks: the variance keeps its digits.
    x = (1e4 + rng(3).standard_normal((3000, 4))).astype(np.float32)
    mean, var = ktensor.nn.moments(to_kt(x, device), [0])
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(var.numpy(), x64.var(0), rtol=1e-5)
    np.testing.assert_allclose(mean.numpy(), x64.mean(0), rtol=1e-7)


# ---- tf.nn.batch_normalization ----

@pytest.mark.parametrize("with_offset,with_scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batch_normalization_per_channel(with_offset, with_scale, device):
    x = rng(4).standard_normal((2, 5, 3, 7)).astype(np.float32)
    mean, var = rng(5).standard_normal(7).astype(np.float32), rng(6).uniform(0.5, 2, 7).astype(np.float32)
    off = rng(7).standard_normal(7).astype(np.float32) if with_offset else None
    sc = rng(8).standard_normal(7).astype(np.float32) if with_scale else None
    ref = (x - mean) / np.sqrt(var + 1e-3) * (1 if sc is None else sc) + (0 if off is None else off)
    check_op(lambda a, m, v: ktensor.nn.batch_normalization(a, m, v, to_kt(off, device), to_kt(sc, device), 1e-3),
             lambda a, m, v: ref.astype(np.float32), [x, mean, var], device, rtol=2e-6, atol=2e-6)


def test_batch_normalization_broadcast_statistics(device):
    # Statistics per sample (not per channel) take the composite path.
    x = rng(9).standard_normal((3, 4, 5)).astype(np.float64)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    sc = rng(10).standard_normal((1, 1, 5))
    ref = (x - mean) / np.sqrt(var + 1e-5) * sc + 0.25
    check_op(lambda a, m, v, s: ktensor.nn.batch_normalization(a, m, v, 0.25, s, 1e-5), lambda *a: ref,
             [x, mean, var, sc], device, rtol=1e-12, atol=1e-12)


def test_batch_normalization_gradcheck(device):
    r = rng(11)
    x, mean, var = r.standard_normal((4, 2, 3)), r.standard_normal(3), r.uniform(0.5, 2, 3)
    off, sc = r.standard_normal(3), r.standard_normal(3)
    gradcheck(lambda a, m, v, o, s: ktensor.nn.batch_normalization(a, m, v, o, s, 1e-3), [x, mean, var, off, sc],
              device)
    gradcheck(lambda a, m, v: ktensor.nn.batch_normalization(a, m, v, None, None, 1e-3), [x, mean, var], device)


# ---- fused batch norm ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7, 3), (2, 5, 13, 3), (1, 1), (600, 64), (3, 1, 5)], ids=str)
def test_batch_norm_training(shape, dtype, device):
    r = rng(12)
    x = (r.standard_normal(shape) * 3 + 1).astype(dtype)
    c = shape[-1]
    gamma, beta = r.standard_normal(c).astype(dtype), r.standard_normal(c).astype(dtype)
    y_ref, m_ref, v_ref = np_bn_train(x, gamma, beta, 1e-3)
    tol = 5e-5 if dtype == np.float32 else 1e-10
    y, m, v = ktensor.nn.batch_norm_training(to_kt(x, device), to_kt(gamma, device), to_kt(beta, device), 1e-3)
    assert_close([y, m, v], [a.astype(dtype) for a in (y_ref, m_ref, v_ref)], rtol=tol, atol=tol, device=device)
    g = r.standard_normal(shape).astype(dtype)
    dx, dg, db = _grads(lambda a, gm, bt: ktensor.nn.batch_norm_training(a, gm, bt, 1e-3)[0], [x, gamma, beta], g,
                        device)
    refs = np_bn_train_grad(x, g, gamma, 1e-3)
    assert_close([dx, dg, db], [a.astype(dtype) for a in refs], rtol=tol * 10, atol=tol * 10, device=device)


def test_batch_norm_training_without_gamma_beta_and_axis(device):
    x = rng(13).standard_normal((4, 3, 5)).astype(np.float32)
    y, m, v = ktensor.nn.batch_norm_training(to_kt(x, device), epsilon=1e-2, axis=1)
    xt = np.moveaxis(x, 1, -1)
    y_ref, m_ref, v_ref = np_bn_train(xt, None, None, 1e-2)
    assert_close([y, m, v], [np.moveaxis(y_ref, -1, 1).astype(np.float32), m_ref.astype(np.float32),
                             v_ref.astype(np.float32)], rtol=2e-5, atol=2e-5)


def test_batch_norm_training_gradcheck(device):
    r = rng(14)
    x, gamma, beta = r.standard_normal((4, 2, 3)), r.standard_normal(3), r.standard_normal(3)
    gradcheck(lambda a, g, b: ktensor.nn.batch_norm_training(a, g, b, 1e-3)[0], [x, gamma, beta], device)
    gradcheck(lambda a: ktensor.nn.batch_norm_training(a, None, None, 1e-3, axis=0)[0], [r.standard_normal((3, 5, 2))],
              device)


def test_batch_norm_inference(device):
    r = rng(15)
    x = r.standard_normal((2, 3, 4, 5))
    mean, var, gamma, beta = r.standard_normal(5), r.uniform(0.5, 2, 5), r.standard_normal(5), r.standard_normal(5)
    ref = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    check_op(lambda *a: ktensor.nn.batch_norm_inference(*a, epsilon=1e-3), lambda *a: ref,
             [x, mean, var, gamma, beta], device, rtol=1e-12, atol=1e-12)
    xc = np.moveaxis(x, -1, 1)
    check_op(lambda *a: ktensor.nn.batch_norm_inference(*a, epsilon=1e-3, axis=1), lambda *a: np.moveaxis(ref, -1, 1),
             [xc, mean, var, gamma, beta], device, rtol=1e-12, atol=1e-12)
    gradcheck(lambda *a: ktensor.nn.batch_norm_inference(*a, epsilon=1e-3),
              [r.standard_normal((3, 2, 4)), r.standard_normal(4), r.uniform(0.5, 2, 4), r.standard_normal(4),
               r.standard_normal(4)], device)


def test_batch_norm_results_do_not_depend_on_threads():
    x = rng(16).standard_normal((900, 48)).astype(np.float32)
    g = rng(17).standard_normal((900, 48)).astype(np.float32)
    gamma = np.linspace(0.5, 1.5, 48).astype(np.float32)
    before = _core.num_threads()
    runs = []
    try:
        for n in (1, 2, 3):
            _core.set_num_threads(n)
            y, m, v = ktensor.nn.batch_norm_training(ktensor.constant(x), ktensor.constant(gamma))
            grads = _grads(lambda a, gm: ktensor.nn.batch_norm_training(a, gm)[0], [x, gamma], g, "cpu")
            lg = _grads(lambda a, gm: ktensor.nn.layer_normalization(a, gm), [x, gamma], g, "cpu")
            runs.append([t.numpy() for t in [y, m, v] + list(grads) + list(lg)])
    finally:
        _core.set_num_threads(before)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


# ---- layer norm ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axes", [((4, 7), [-1]), ((2, 5, 13), [1, 2]), ((3, 1), [1]), ((700, 64), [1]),
                                        ((3, 4, 5), [1]), ((3, 4, 5), [0, 2])], ids=str)
def test_layer_normalization(shape, axes, dtype, device):
    r = rng(18)
    x = (r.standard_normal(shape) * 2 - 1).astype(dtype)
    ax = sorted(a % len(shape) for a in axes)
    feat = tuple(shape[a] for a in ax)
    gamma, beta = r.standard_normal(feat).astype(dtype), r.standard_normal(feat).astype(dtype)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    check_op(lambda a, gm, bt: ktensor.nn.layer_normalization(a, gm, bt, axis=axes, epsilon=1e-3),
             lambda a, gm, bt: np_ln(a, gm, bt, ax, 1e-3).astype(dtype), [x, gamma, beta], device, rtol=tol, atol=tol)
    if ax == [len(shape) - 1]:
        g = r.standard_normal(shape).astype(dtype)
        got = _grads(lambda a, gm, bt: ktensor.nn.layer_normalization(a, gm, bt, axis=axes, epsilon=1e-3),
                     [x, gamma, beta], g, device)
        assert_close(list(got), [a.astype(dtype) for a in np_ln_grad(x, g, gamma, 1e-3)], rtol=tol * 10,
                     atol=tol * 10, device=device)


@pytest.mark.parametrize("width", [8, 63, 64, 71, 129, 300])
def test_layer_normalization_row_sum_widths(width, device):
    # The CPU sums a row in float spans of 64 terms, then in double lanes of 8, then the tail:
    # widths on either side of those bounds, rows offset far from zero (the variance must not
    # cancel), forward and gradients against float64 (to the float inputs' own precision at 300).
    r = rng(21)
    x = (300.0 + r.standard_normal((37, width))).astype(np.float32)
    gamma, beta = r.standard_normal(width).astype(np.float32), r.standard_normal(width).astype(np.float32)
    g = r.standard_normal((37, width)).astype(np.float32)
    with ktensor.device(device):
        y = ktensor.nn.layer_normalization(ktensor.constant(x), ktensor.constant(gamma), ktensor.constant(beta),
                                           epsilon=1e-3)
    assert_close(y, np_ln(x, gamma, beta, [1], 1e-3).astype(np.float32), rtol=2e-4, atol=2e-4, device=device)
    got = _grads(lambda a, gm, bt: ktensor.nn.layer_normalization(a, gm, bt, epsilon=1e-3), [x, gamma, beta], g,
                 device)
    want = np_ln_grad(x.astype(np.float64), g.astype(np.float64), gamma.astype(np.float64), 1e-3)
    assert_close(list(got), [a.astype(np.float32) for a in want], rtol=5e-4, atol=5e-4, device=device)


@pytest.mark.parametrize("with_gamma,with_beta", [(True, True), (True, False), (False, True), (False, False)])
def test_layer_normalization_gradcheck(with_gamma, with_beta, device):
    r = rng(19)
    args = [r.standard_normal((3, 2, 4))]
    if with_gamma:
        args.append(r.standard_normal(4))
    if with_beta:
        args.append(r.standard_normal(4))

    def fn(x, *p):
        it = iter(p)
        gm = next(it) if with_gamma else None
        bt = next(it) if with_beta else None
        return ktensor.nn.layer_normalization(x, gm, bt, epsilon=1e-3)

    gradcheck(fn, args, device)


def test_layer_normalization_several_axes_gradcheck(device):
    r = rng(20)
    gradcheck(lambda a, g, b: ktensor.nn.layer_normalization(a, g, b, axis=[0, 2], epsilon=1e-3),
              [r.standard_normal((3, 2, 4)), r.standard_normal((3, 4)), r.standard_normal((3, 4))], device)


def test_empty_and_degenerate_inputs(device):
    x = to_kt(np.zeros((0, 3), np.float32), device)
    m, v = ktensor.nn.moments(x, [0])
    assert np.isnan(m.numpy()).all() and np.isnan(v.numpy()).all()
    assert ktensor.nn.layer_normalization(x).shape == (0, 3)
    # A constant row normalizes to 0 (epsilon keeps it finite).
    y = ktensor.nn.layer_normalization(to_kt(np.full((2, 5), 3.0, np.float32), device))
    np.testing.assert_array_equal(y.numpy(), np.zeros((2, 5), np.float32))


@pytest.mark.parametrize("call,exc,words", [
    (lambda x: ktensor.nn.batch_norm_training(x, ktensor.ones((4,))), ValueError, "must have shape"),
    (lambda x: ktensor.nn.batch_norm_training(x, axis=3), ValueError, "out of range"),
    (lambda x: ktensor.nn.batch_norm_training(ktensor.cast(x, "int32")), TypeError, "float32"),
    (lambda x: ktensor.nn.batch_norm_inference(x, ktensor.zeros((2,)), ktensor.ones((3,))), ValueError, "mean"),
    (lambda x: ktensor.nn.layer_normalization(x, ktensor.ones((5,))), ValueError, "gamma"),
    (lambda x: ktensor.nn.layer_normalization(x, axis=[1, 1]), ValueError, "repeated"),
    (lambda x: ktensor.nn.layer_normalization(x, axis=-4), ValueError, "out of range"),
    (lambda x: ktensor.nn.moments(x, [5]), ValueError, "out of range"),
])
def test_bad_input(call, exc, words):
    x = ktensor.constant(rng(21).standard_normal((2, 4, 3)).astype(np.float32))
    with pytest.raises(exc, match=words):
        call(x)


@cuda_only
# (20000, 40): more than 8 rows per GPU chunk and more chunks than a block has threads
@pytest.mark.parametrize("shape", [(7, 3), (2, 9, 13, 32), (5000, 7), (20000, 40)], ids=str)
def test_cuda_parity_batch_norm(shape):
    r = rng(22)
    x, gamma, beta = r.standard_normal(shape).astype(np.float32) * 2 + 1, r.standard_normal(shape[-1:]), \
        r.standard_normal(shape[-1:])
    gamma, beta = gamma.astype(np.float32), beta.astype(np.float32)
    parity(lambda a, g, b: ktensor.nn.batch_norm_training(a, g, b, 1e-3), [x, gamma, beta], rtol=1e-5, atol=1e-5)
    parity(lambda a, m, v: ktensor.nn.batch_norm_inference(a, m, v, epsilon=1e-3),
           [x, gamma, np.abs(beta) + 0.5], rtol=1e-5, atol=1e-5)


@cuda_only
@pytest.mark.parametrize("shape", [(7, 3), (64, 1000), (3, 2000), (4000, 33)], ids=str)
def test_cuda_parity_layer_norm(shape):
    r = rng(23)
    x = r.standard_normal(shape).astype(np.float32)
    gamma, beta = r.standard_normal(shape[-1:]).astype(np.float32), r.standard_normal(shape[-1:]).astype(np.float32)
    parity(lambda a, g, b: ktensor.nn.layer_normalization(a, g, b, epsilon=1e-5), [x, gamma, beta], rtol=1e-5,
           atol=1e-5)
    parity(lambda a: ktensor.nn.moments(a, [0]), [x], rtol=1e-5, atol=1e-5)


@cuda_only
def test_cuda_norm_is_deterministic():
    x = rng(24).standard_normal((3000, 40)).astype(np.float32)
    outs = []
    for _ in range(2):
        with ktensor.device("cuda"):
            t = ktensor.constant(x)
            with ktensor.GradientTape() as tape:
                tape.watch(t)
                y = ktensor.nn.batch_norm_training(t)[0] + ktensor.nn.layer_normalization(t)
            outs.append([y.numpy(), tape.gradient(y, t).numpy()])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
