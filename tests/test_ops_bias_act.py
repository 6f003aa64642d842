"""bias_act (activation(x + bias) over the last axis, fused) against numpy, forward and backward,
on odd shapes and across the multi-chunk dbias reduction; dbias must not depend on the thread
count; the Conv/Dense layers that use it give what the op-by-op epilogue gives."""
import numpy as np
import pytest

import ktensor
from ktensor import _core
from ktensor.keras import layers
from ktensor.ops.bias_act import bias_act
from helpers import away_from, cuda_only, gradcheck, parity, rng, to_kt

ACTS = ["linear", "relu", "sigmoid", "tanh"]
SHAPES = [(7,), (3, 5), (2, 7, 13), (1, 73, 3), (4, 3, 5, 9), (900, 48)]


def np_forward(x, b, act):
    z = x + b
    return {"linear": z, "relu": np.maximum(z, 0), "sigmoid": 1 / (1 + np.exp(-z)), "tanh": np.tanh(z)}[act]


def np_dx(g, y, act):
    return {"linear": g, "relu": g * (y > 0), "sigmoid": g * y * (1 - y), "tanh": g * (1 - y * y)}[act]


def _grads(fn, inputs, g, device):
    with ktensor.device(device):
        ts = [to_kt(a, device) for a in inputs]
        with ktensor.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
        return y, tape.gradient(y, ts, output_gradients=to_kt(g, device))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_bias_act_matches_numpy(device, shape, act, dtype):
    r = rng(1)
    x = r.standard_normal(shape).astype(dtype)
    b = r.standard_normal(shape[-1:]).astype(dtype)
    g = r.standard_normal(shape).astype(dtype)
    y, (dx, db) = _grads(lambda a, c: bias_act(a, c, act), [x, b], g, device)
    tol = 1e-6 if dtype == "float32" else 1e-12
    want = np_forward(x.astype(np.float64), b.astype(np.float64), act)
    assert y.dtype.name == dtype and y.shape == shape
    np.testing.assert_allclose(y.numpy(), want, rtol=tol, atol=tol)
    ddx = np_dx(g.astype(np.float64), y.numpy().astype(np.float64), act)
    np.testing.assert_allclose(dx.numpy(), ddx, rtol=tol, atol=tol)
    np.testing.assert_allclose(db.numpy(), ddx.reshape(-1, shape[-1]).sum(0), rtol=10 * tol, atol=10 * tol)


@pytest.mark.parametrize("act", ACTS)
def test_bias_act_equals_op_by_op(device, act):
    """Forward bitwise the same as activation(x + bias); dx bitwise the same as the op-by-op rule."""
    r = rng(2)
    x, b = r.standard_normal((6, 5, 17)).astype(np.float32), r.standard_normal(17).astype(np.float32)
    g = r.standard_normal((6, 5, 17)).astype(np.float32)
    fn = {"linear": lambda z: z, "relu": ktensor.nn.relu, "sigmoid": ktensor.nn.sigmoid, "tanh": ktensor.nn.tanh}[act]
    y1, (dx1, db1) = _grads(lambda a, c: bias_act(a, c, act), [x, b], g, device)
    y0, (dx0, db0) = _grads(lambda a, c: fn(a + c), [x, b], g, device)
    np.testing.assert_array_equal(y1.numpy(), y0.numpy())
    np.testing.assert_array_equal(dx1.numpy(), dx0.numpy())
    np.testing.assert_allclose(db1.numpy(), db0.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("act", ACTS)
def test_bias_act_gradcheck(device, act):
    r = rng(3)
    x = r.standard_normal((3, 2, 4))
    b = r.standard_normal(4)
    x = away_from(x, [0.0]) if act != "relu" else x
    if act == "relu":  # keep x + b away from the kink
        x = away_from(x + b, [0.0], margin=0.1) - b
    gradcheck(lambda a, c: bias_act(a, c, act), [x, b], device)


@pytest.mark.parametrize("shape", [(5, 3), (4,)], ids=str)
@pytest.mark.parametrize("act", ["linear", "tanh"])
def test_bias_act_second_order_as_op_by_op(device, act, shape):
    """Gradients of gradients go through the op-by-op rules: the same as act(x + b) (None where that gives
    None: the *Grad formulas are not differentiated again)."""
    r = rng(4)
    x, b, w = r.standard_normal(shape), r.standard_normal(shape[-1:]), r.standard_normal(shape)
    fn = {"linear": lambda z: z, "tanh": ktensor.nn.tanh}[act]
    out = []
    for f in (lambda a, c: bias_act(a, c, act), lambda a, c: fn(a + c)):
        with ktensor.device(device):
            xt, bt, wt = ktensor.Variable(x), ktensor.Variable(b), ktensor.Variable(w)
            with ktensor.GradientTape() as outer:
                with ktensor.GradientTape() as inner:
                    y = ktensor.reduce_sum(f(xt, bt) * wt)
                gx, gb = inner.gradient(y, [xt, bt])
                s = ktensor.reduce_sum(gx * gx) + ktensor.reduce_sum(gb * gb)
            out.append([None if t is None else t.numpy() for t in [gx, gb] + outer.gradient(s, [xt, bt, wt])])
    if act == "linear":
        assert out[0][4] is not None
    for a, c in zip(*out):
        assert (a is None) == (c is None)
        if a is not None:
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


def test_bias_act_dbias_does_not_depend_on_threads():
    r = rng(5)
    x, b = r.standard_normal((3001, 37)).astype(np.float32), r.standard_normal(37).astype(np.float32)
    g = r.standard_normal((3001, 37)).astype(np.float32)
    before = _core.num_threads()
    runs = []
    try:
        for n in (1, 2, 3):
            _core.set_num_threads(n)
            run = []
            for act in ("linear", "relu"):
                y, grads = _grads(lambda a, c: bias_act(a, c, act), [x, b], g, "cpu")
                run += [t.numpy() for t in [y] + list(grads)]
            runs.append(run)
    finally:
        _core.set_num_threads(before)
    for other in runs[1:]:
        for a, c in zip(runs[0], other):
            np.testing.assert_array_equal(a, c)


def test_bias_act_output_gradient_of_another_dtype():
    x, b = ktensor.constant(np.array([[-1.0, 2.0]], np.float32)), ktensor.constant(np.array([0.5, 0.5], np.float32))
    with ktensor.GradientTape() as tape:
        tape.watch(x)
        y = bias_act(x, b, "relu")
    dx = tape.gradient(y, x, output_gradients=ktensor.constant(np.array([[3.0, 4.0]])))
    np.testing.assert_array_equal(dx.numpy(), [[0.0, 4.0]])


def test_bias_act_errors():
    x = ktensor.constant(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="activation must be one of"):
        bias_act(x, ktensor.constant(np.ones(3, np.float32)), "gelu")
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        bias_act(x, ktensor.constant(np.ones(4, np.float32)), "relu")
    with pytest.raises(TypeError, match="float32 or float64"):
        bias_act(ktensor.constant(np.ones((2, 3), np.int32)), ktensor.constant(np.ones(3, np.float32)))


def test_bias_add_formats(device):
    r = rng(6)
    x, b = r.standard_normal((2, 3, 4, 5)).astype(np.float32), r.standard_normal(3).astype(np.float32)
    with ktensor.device(device):
        got = ktensor.nn.bias_add(to_kt(x, device), to_kt(b, device), data_format="NCHW").numpy()
        last = ktensor.nn.bias_add(to_kt(x, device), to_kt(r.standard_normal(5).astype(np.float32), device))
    np.testing.assert_allclose(got, x + b.reshape(3, 1, 1), rtol=1e-6)
    assert last.shape == x.shape


LAYERS = [
    (lambda a: layers.Dense(7, activation=a), (4, 5)),
    (lambda a: layers.Dense(6, activation=a), (2, 3, 5)),
    (lambda a: layers.Conv1D(5, 3, activation=a), (2, 9, 3)),
    (lambda a: layers.Conv1D(4, 3, padding="causal", dilation_rate=2, activation=a), (2, 9, 3)),
    (lambda a: layers.Conv2D(6, 3, activation=a), (2, 7, 8, 3)),
    (lambda a: layers.Conv2D(4, 3, activation=a, data_format="channels_first"), (2, 3, 7, 8)),
    (lambda a: layers.Conv2DTranspose(5, 3, strides=2, activation=a), (2, 4, 5, 3)),
    (lambda a: layers.DepthwiseConv2D(3, depth_multiplier=2, activation=a), (2, 6, 7, 3)),
    (lambda a: layers.SeparableConv2D(5, 3, activation=a), (2, 6, 7, 3)),
]


@pytest.mark.parametrize("act", ["linear", "relu", "tanh"])
@pytest.mark.parametrize("make,shape", LAYERS, ids=lambda v: str(v) if isinstance(v, tuple) else "")
def test_layers_fused_epilogue_equals_op_by_op(device, make, shape, act, monkeypatch):
    calls = []
    monkeypatch.setattr(ktensor.ops.bias_act, "bias_act", lambda *a: calls.append(a[2]) or bias_act(*a))
    conv_bias_act = ktensor.ops.conv._conv_bias_act  # Conv2D's epilogue inside the convolution op
    monkeypatch.setattr(ktensor.ops.conv, "_conv_bias_act", lambda *a: calls.append(a[4]) or conv_bias_act(*a))
    r = rng(7)
    x = r.standard_normal(shape).astype(np.float32)
    with ktensor.device(device):
        layer = make(act)
        xt = ktensor.constant(x)
        layer(xt)
        layer.bias.assign(r.standard_normal(layer.bias.shape).astype(np.float32))
        fn = {"linear": lambda z: z, "relu": ktensor.nn.relu, "tanh": ktensor.nn.tanh}[act]
        g = ktensor.constant(r.standard_normal(layer(xt).shape).astype(np.float32))

        def unfused(t):
            last = getattr(layer, "data_format", "channels_last") == "channels_last"
            perm = [0] + list(range(2, t.ndim)) + [1]
            z = layer.convolve(t if last else ktensor.transpose(t, perm)) if hasattr(layer, "convolve") \
                else ktensor.matmul(t, layer.kernel)
            z = fn(z + layer.bias)
            return z if last else ktensor.transpose(z, [0, t.ndim - 1] + list(range(1, t.ndim - 1)))

        outs = []
        for f in (layer, unfused):
            with ktensor.GradientTape() as tape:
                tape.watch(xt)
                y = f(xt)
            outs.append([y.numpy()] + [v.numpy() for v in tape.gradient(y, [xt] + layer.trainable_weights,
                                                                         output_gradients=g)])
    assert calls and set(calls) == {act}  # the layer took the fused path
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    for a, c in zip(outs[0][1:], outs[1][1:]):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)


@cuda_only
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("shape", [(7, 3), (2, 9, 13, 32), (20000, 40), (128, 24, 24, 64)], ids=str)
def test_cuda_parity_bias_act(shape, act):
    r = rng(8)
    x, b = r.standard_normal(shape).astype(np.float32), r.standard_normal(shape[-1:]).astype(np.float32)
    parity(lambda a, c: bias_act(a, c, act), [x, b], rtol=1e-5, atol=1e-4)


@cuda_only
def test_cuda_bias_act_is_deterministic():
    r = rng(9)
    x, b = r.standard_normal((5000, 40)).astype(np.float32), r.standard_normal(40).astype(np.float32)
    g = r.standard_normal((5000, 40)).astype(np.float32)
    runs = [[t.numpy() for t in _grads(lambda a, c: bias_act(a, c, "relu"), [x, b], g, "cuda")[1]] for _ in range(2)]
    for a, c in zip(*runs):
        np.testing.assert_array_equal(a, c)
