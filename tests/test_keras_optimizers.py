"""Each optimizer's first three steps against a numpy implementation of the Keras 3 formula."""
import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import optimizers

rng = np.random.default_rng(0)


def np_sgd(w, grads, lr=0.01, momentum=0.0, nesterov=False, wd=0.0):
    m = np.zeros_like(w)
    for g in grads:
        w = w - w * wd * lr
        if momentum:
            m = momentum * m - lr * g
            w = w + (momentum * m - lr * g if nesterov else m)
        else:
            w = w - lr * g
    return w


def np_rmsprop(w, grads, lr=0.001, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    v, m, a = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        v = rho * v + (1 - rho) * g * g
        if centered:
            a = rho * a + (1 - rho) * g
            denom = v - a * a + eps
        else:
            denom = v + eps
        inc = lr * g / np.sqrt(denom)
        if momentum > 0:
            m = momentum * m + inc
            w = w - m
        else:
            w = w - inc
    return w


def np_adam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=0.0):
    m, v, vhat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - w * wd * lr
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        if amsgrad:
            vhat = np.maximum(vhat, v)
            w = w - alpha * m / (np.sqrt(vhat) + eps)
        else:
            w = w - alpha * m / (np.sqrt(v) + eps)
    return w


def np_adagrad(w, grads, lr=0.001, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


CASES = [
    (optimizers.SGD, {}, lambda w, gs: np_sgd(w, gs)),
    (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}, lambda w, gs: np_sgd(w, gs, 0.1, 0.9)),
    (optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
     lambda w, gs: np_sgd(w, gs, 0.1, 0.9, True)),
    (optimizers.RMSprop, {}, lambda w, gs: np_rmsprop(w, gs)),
    (optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
     lambda w, gs: np_rmsprop(w, gs, 0.01, momentum=0.5, centered=True)),
    (optimizers.Adam, {}, lambda w, gs: np_adam(w, gs)),
    (optimizers.Adam, {"learning_rate": 0.01, "amsgrad": True}, lambda w, gs: np_adam(w, gs, 0.01, amsgrad=True)),
    (optimizers.AdamW, {}, lambda w, gs: np_adam(w, gs, wd=0.004)),
    (optimizers.AdamW, {"learning_rate": 0.1, "weight_decay": 0.1}, lambda w, gs: np_adam(w, gs, 0.1, wd=0.1)),
    (optimizers.Adagrad, {}, lambda w, gs: np_adagrad(w, gs)),
    (optimizers.Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5},
     lambda w, gs: np_adagrad(w, gs, 0.1, 0.5)),
]


@pytest.mark.parametrize("cls,kwargs,reference", CASES)
@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3)])
def test_first_three_steps_match_keras_formula(cls, kwargs, reference, shape):
    w0 = rng.normal(size=shape).astype("float32")
    grads = [rng.normal(size=shape).astype("float32") for _ in range(3)]
    var = kt.Variable(w0)
    opt = cls(**kwargs)
    for g in grads:
        opt.apply_gradients([(kt.constant(g), var)])
    expected = reference(w0.astype("float64"), [g.astype("float64") for g in grads])
    np.testing.assert_allclose(var.numpy(), expected, rtol=2e-5, atol=2e-6)
    assert int(opt.iterations.numpy()) == 3


def test_defaults_follow_keras():
    assert optimizers.SGD().get_config()["learning_rate"] == 0.01
    adam = optimizers.Adam().get_config()
    assert (adam["learning_rate"], adam["beta_1"], adam["beta_2"], adam["epsilon"], adam["amsgrad"]) == (
        0.001, 0.9, 0.999, 1e-7, False)
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    rms = optimizers.RMSprop().get_config()
    assert (rms["rho"], rms["momentum"], rms["epsilon"], rms["centered"]) == (0.9, 0.0, 1e-7, False)
    assert optimizers.Adagrad().get_config()["initial_accumulator_value"] == 0.1


def test_lr_alias_and_config_round_trip():
    opt = optimizers.Adam(lr=0.05, beta_1=0.8)
    assert opt.learning_rate == 0.05 and opt.lr == 0.05
    clone = optimizers.Adam.from_config(opt.get_config())
    assert clone.get_config() == opt.get_config()
    assert isinstance(optimizers.deserialize(optimizers.serialize(opt)), optimizers.Adam)
    opt.learning_rate = 0.2
    assert opt.learning_rate == 0.2


def test_get():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 'adamm'.*adam.*sgd"):
        optimizers.get("adamm")


def test_slots_built_on_first_apply_and_none_gradients_skipped():
    a, b = kt.Variable(np.ones(3, "float32")), kt.Variable(np.ones(2, "float32"))
    opt = optimizers.Adam()
    opt.apply_gradients([(kt.constant(np.ones(3, "float32")), a), (None, b)])
    assert opt.built and len(opt.variables) == 1 + 4
    np.testing.assert_array_equal(b.numpy(), np.ones(2))
    with pytest.raises(ValueError, match="No gradients"):
        opt.apply_gradients([(None, a)])


def test_clipping_options():
    var = kt.Variable(np.zeros(2, "float32"))
    optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(kt.constant([2.0, -0.1]), var)])
    np.testing.assert_allclose(var.numpy(), [-0.5, 0.1], rtol=1e-6)
    var2 = kt.Variable(np.zeros(2, "float32"))
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(kt.constant([3.0, 4.0]), var2)])
    np.testing.assert_allclose(var2.numpy(), [-0.6, -0.8], rtol=1e-6)


def test_compile_accepts_strings_and_instances():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("adagrad", "mse")
    assert isinstance(model.optimizer, optimizers.Adagrad)
    opt = optimizers.SGD(0.1)
    model.compile(opt, "mse")
    assert model.optimizer is opt
