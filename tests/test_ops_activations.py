"""Activations and softmax against float64 numpy formulas (Keras 3 definitions), forward and backward."""
import math

import numpy as np
import pytest

import ktensor
from helpers import away_from, check_op, gradcheck, rng

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


REFERENCE = {  # float64 formulas; kinks listed so gradient checks can avoid them
    "relu": (lambda x: np.maximum(x, 0), [0.0]),
    "relu6": (lambda x: np.clip(x, 0, 6), [0.0, 6.0]),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), [0.0]),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), [0.0]),
    "selu": (lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)), [0.0]),
    "gelu": (lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), []),
    "sigmoid": (_sigmoid, []),
    "hard_sigmoid": (lambda x: np.clip(x + 3, 0, 6) / 6, [-3.0, 3.0]),  # Keras 3: relu6(x + 3) / 6
    "tanh": (np.tanh, []),
    "softplus": (lambda x: np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), []),
    "softsign": (lambda x: x / (1 + np.abs(x)), [0.0]),
    "silu": (lambda x: x * _sigmoid(x), []),
}
NAMES = sorted(REFERENCE)
SHAPES = [(), (1,), (7,), (73,), (3, 1, 5), (2, 0, 3)]


def _ref(name, approximate=None):
    if name == "gelu" and approximate:
        c = np.sqrt(2 / np.pi)
        return lambda x: 0.5 * x * (1 + np.tanh(c * (x + 0.044715 * x ** 3)))
    return REFERENCE[name][0]


def _typed(f):
    def ref(x):
        with np.errstate(over="ignore"):  # np.where evaluates both branches
            return f(x.astype(np.float64)).astype(x.dtype)
    return ref


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_activation_forward(name, shape, dtype, device):
    x = rng(1).uniform(-8, 8, shape).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(getattr(ktensor.nn, name), _typed(_ref(name)), [x], device, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_approximate(dtype, device):
    x = rng(2).uniform(-6, 6, (73,)).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(lambda t: ktensor.nn.gelu(t, approximate=True), _typed(_ref("gelu", True)), [x], device, rtol=tol,
             atol=tol)
    check_op(lambda t: ktensor.nn.gelu(t, approximate=False), _typed(_ref("gelu")), [x], device, rtol=tol, atol=tol)


def test_activation_parameters(device):
    x = rng(3).uniform(-4, 4, (5, 7)).astype(np.float32)
    check_op(lambda t: ktensor.nn.leaky_relu(t, alpha=0.05), lambda a: np.where(a > 0, a, np.float32(0.05) * a),
             [x], device)
    check_op(lambda t: ktensor.nn.elu(t, alpha=0.5), _typed(lambda a: np.where(a > 0, a, 0.5 * np.expm1(a))),
             [x], device, rtol=2e-6, atol=2e-6)


def test_hard_sigmoid_keras3_values(device):
    x = np.array([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0], np.float32)
    check_op(ktensor.nn.hard_sigmoid, lambda a: np.array([0, 0, 0.25, 0.5, 0.75, 1, 1], np.float32), [x], device)


def test_activations_extreme_inputs(device):
    x = np.array([-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0], np.float32)
    for name in NAMES:
        check_op(getattr(ktensor.nn, name), _typed(_ref(name)), [x], device, rtol=2e-6, atol=1e-30)


def test_swish_is_silu(device):
    x = rng(4).uniform(-4, 4, (7,)).astype(np.float32)
    check_op(ktensor.nn.swish, _typed(_ref("silu")), [x], device, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_activation_grad(name, shape, device):
    x = away_from(rng(5).uniform(-7, 7, shape), REFERENCE[name][1], 0.05)
    gradcheck(getattr(ktensor.nn, name), [x], device)


def test_activation_grad_parameters(device):
    x = away_from(rng(6).uniform(-3, 3, (2, 4)), [0.0], 0.05)
    gradcheck(lambda t: ktensor.nn.gelu(t, approximate=True), [x], device)
    gradcheck(lambda t: ktensor.nn.leaky_relu(t, alpha=0.05), [x], device)
    gradcheck(lambda t: ktensor.nn.elu(t, alpha=0.5), [x], device)


# ---------------------------------------------------------------- softmax ----
def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 7, 3), (1, 73), (73,), (3, 1)], ids=str)
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_forward(log, axis, shape, dtype, device):
    if axis >= len(shape):
        pytest.skip("axis out of range for this shape")
    x = (rng(7).standard_normal(shape) * 3).astype(dtype)
    fn, ref = (ktensor.nn.log_softmax, _log_softmax) if log else (ktensor.nn.softmax, _softmax)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    check_op(lambda t: fn(t, axis=axis), lambda a: ref(a.astype(np.float64), axis).astype(dtype), [x], device,
             rtol=tol, atol=tol)


_LARGE = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -999.0]], np.float32)


def test_softmax_default_axis_and_stability(device):
    check_op(ktensor.nn.softmax, lambda a: _softmax(a.astype(np.float64), -1).astype(np.float32), [_LARGE], device)


def test_log_softmax_large_logits_precision(device):
    check_op(ktensor.nn.log_softmax, lambda a: _log_softmax(a.astype(np.float64), -1).astype(np.float32), [_LARGE],
             device, rtol=1e-6, atol=2e-6)


def test_log_softmax_large_logits_finite(device):
    check_op(ktensor.nn.log_softmax, lambda a: _log_softmax(a.astype(np.float64), -1).astype(np.float32), [_LARGE],
             device, rtol=1e-4, atol=1e-4)


def test_softmax_transposed_input(device):
    x = rng(8).standard_normal((5, 7)).astype(np.float32)
    check_op(lambda t: ktensor.nn.softmax(ktensor.transpose(t), axis=0),
             lambda a: _softmax(a.T.astype(np.float64), 0).astype(np.float32), [x], device, rtol=2e-6, atol=2e-6)
    check_op(lambda t: ktensor.nn.log_softmax(t[:, ::2], axis=-1),
             lambda a: _log_softmax(a[:, ::2].astype(np.float64), -1).astype(np.float32), [x], device,
             rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_grad(log, axis, device):
    x = rng(9).standard_normal((2, 3, 4))
    fn = ktensor.nn.log_softmax if log else ktensor.nn.softmax
    gradcheck(lambda t: fn(t, axis=axis), [x], device)
