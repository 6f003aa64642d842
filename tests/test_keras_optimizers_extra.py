"""Nadam, Adamax, learning-rate schedules, clipping and weight decay against numpy versions of the
Keras 3 formulas."""
import json
import math

import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import optimizers
from ktensor.keras.optimizers import schedules

rng = np.random.default_rng(1)


def np_nadam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, wd=0.0, lrs=None):
    m, v, u_product = np.zeros_like(w), np.zeros_like(w), 1.0
    for t, g in enumerate(grads, start=1):
        lr_t = lrs[t - 1] if lrs else lr
        w = w - w * wd * lr_t
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - b2 ** t)
        w = w - m_hat * lr_t / (np.sqrt(v_hat) + eps)
    return w


def np_adamax(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, wd=0.0):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - w * wd * lr
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1 ** t) * (u + eps))
    return w


def np_sgd(w, grads, lr=0.01, wd=0.0):
    for g in grads:
        w = w - w * wd * lr
        w = w - lr * g
    return w


CASES = [
    (optimizers.Nadam, {}, lambda w, gs: np_nadam(w, gs)),
    (optimizers.Nadam, {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
     lambda w, gs: np_nadam(w, gs, 0.05, 0.8, 0.99, 1e-4)),
    (optimizers.Nadam, {"learning_rate": 0.1, "weight_decay": 0.05}, lambda w, gs: np_nadam(w, gs, 0.1, wd=0.05)),
    (optimizers.Adamax, {}, lambda w, gs: np_adamax(w, gs)),
    (optimizers.Adamax, {"learning_rate": 0.02, "beta_1": 0.7, "beta_2": 0.95, "epsilon": 1e-3},
     lambda w, gs: np_adamax(w, gs, 0.02, 0.7, 0.95, 1e-3)),
    (optimizers.Adamax, {"learning_rate": 0.1, "weight_decay": 0.05}, lambda w, gs: np_adamax(w, gs, 0.1, wd=0.05)),
]


@pytest.mark.parametrize("cls,kwargs,reference", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_first_three_steps_match_keras_formula(cls, kwargs, reference, dtype, device):
    shape = (5, 3)
    w0 = rng.normal(size=shape).astype(dtype)
    grads = [rng.normal(size=shape).astype(dtype) for _ in range(3)]
    grads[1][0, 0] = 0.0  # Adamax: u decays where the gradient vanishes
    var = kt.Variable(kt.constant(w0).to(device))
    opt = cls(**kwargs)
    for g in grads:
        opt.apply_gradients([(kt.constant(g).to(device), var)])
    expected = reference(w0.astype("float64"), [g.astype("float64") for g in grads])
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(var.numpy(), expected, **tol)
    assert var.numpy().dtype == np.dtype(dtype)
    assert int(opt.iterations.numpy()) == 3


def test_new_optimizers_by_name_and_config():
    assert isinstance(optimizers.get("nadam"), optimizers.Nadam)
    assert isinstance(optimizers.get("Nadam"), optimizers.Nadam)
    assert isinstance(optimizers.get("adamax"), optimizers.Adamax)
    for cls, name in ((optimizers.Nadam, "nadam"), (optimizers.Adamax, "adamax")):
        cfg = cls().get_config()
        assert (cfg["name"], cfg["learning_rate"], cfg["beta_1"], cfg["beta_2"], cfg["epsilon"]) == (
            name, 0.001, 0.9, 0.999, 1e-7)
        opt = cls(learning_rate=0.02, beta_1=0.8, clipnorm=1.0)
        clone = optimizers.deserialize(optimizers.serialize(opt))
        assert type(clone) is cls and clone.get_config() == opt.get_config()


def test_nadam_keeps_momentum_product_across_steps():
    w0 = np.array([1.0, -2.0], "float64")
    grads = [np.array([0.3, -0.1]) * (i + 1) for i in range(6)]
    var = kt.Variable(w0.copy())
    opt = optimizers.Nadam(0.01)
    for g in grads:
        opt.apply_gradients([(kt.constant(g), var)])
    np.testing.assert_allclose(var.numpy(), np_nadam(w0, grads, 0.01), rtol=1e-12)


# -- schedules --

def _cosine(step, init, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    if warmup_target is None:
        s = min(step, decay_steps)
        return init * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
    s = min(step, decay_steps + warmup_steps)
    if s < warmup_steps:
        return init + (warmup_target - init) * s / warmup_steps
    s -= warmup_steps
    return warmup_target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)


STEPS = [0, 1, 3, 5, 9, 10, 11, 20, 37]
SCHEDULES = [
    (schedules.ExponentialDecay(0.1, 4, 0.5), lambda s: 0.1 * 0.5 ** (s / 4)),
    (schedules.ExponentialDecay(0.1, 4, 0.5, staircase=True), lambda s: 0.1 * 0.5 ** (s // 4)),
    (schedules.PiecewiseConstantDecay([3, 10], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 3 else 0.5 if s <= 10 else 0.1),
    (schedules.InverseTimeDecay(0.2, 5, 0.5), lambda s: 0.2 / (1 + 0.5 * s / 5)),
    (schedules.InverseTimeDecay(0.2, 5, 0.5, staircase=True), lambda s: 0.2 / (1 + 0.5 * (s // 5))),
    (schedules.PolynomialDecay(0.1, 10), lambda s: (0.1 - 1e-4) * (1 - min(s, 10) / 10) + 1e-4),
    (schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0), lambda s: (0.09) * (1 - min(s, 10) / 10) ** 2 + 0.01),
    (schedules.PolynomialDecay(0.1, 10, 0.01, power=0.5, cycle=True),
     lambda s: 0.09 * (1 - s / (10 * (1 if s == 0 else math.ceil(s / 10)))) ** 0.5 + 0.01),
    (schedules.CosineDecay(0.1, 10), lambda s: _cosine(s, 0.1, 10)),
    (schedules.CosineDecay(0.1, 10, alpha=0.2), lambda s: _cosine(s, 0.1, 10, 0.2)),
    (schedules.CosineDecay(0.0, 20, warmup_target=0.5, warmup_steps=5),
     lambda s: _cosine(s, 0.0, 20, 0.0, 0.5, 5)),
    (schedules.CosineDecay(0.1, 8, alpha=0.1, warmup_target=1.0, warmup_steps=4),
     lambda s: _cosine(s, 0.1, 8, 0.1, 1.0, 4)),
]


@pytest.mark.parametrize("schedule,closed_form", SCHEDULES, ids=lambda x: type(x).__name__)
def test_schedule_values(schedule, closed_form):
    for s in STEPS:
        assert schedule(s) == pytest.approx(closed_form(s), rel=1e-12, abs=1e-15), s


def test_schedule_spot_values():
    # A few hand-checked points.
    assert schedules.CosineDecay(1.0, 10)(5) == pytest.approx(0.5)
    assert schedules.CosineDecay(1.0, 10)(10) == pytest.approx(0.0)
    assert schedules.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=10)(5) == pytest.approx(0.5)
    assert schedules.ExponentialDecay(1.0, 10, 0.1)(20) == pytest.approx(0.01)
    assert schedules.PolynomialDecay(1.0, 10, 0.0)(5) == pytest.approx(0.5)


@pytest.mark.parametrize("schedule,closed_form", SCHEDULES, ids=lambda x: type(x).__name__)
def test_schedule_config_round_trip(schedule, closed_form):
    cfg = schedule.get_config()
    clone = type(schedule).from_config(cfg)
    assert clone.get_config() == cfg
    d = json.loads(json.dumps(schedules.serialize(schedule)))
    assert d["class_name"] == type(schedule).__name__ and d["module"] == "keras.optimizers.schedules"
    clone = schedules.deserialize(d)
    assert type(clone) is type(schedule) and all(clone(s) == schedule(s) for s in STEPS)
    assert getattr(keras.optimizers.schedules, type(schedule).__name__) is type(schedule)


def test_schedule_argument_errors():
    with pytest.raises(ValueError, match="1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(NotImplementedError):
        schedules.LearningRateSchedule()(0)


def test_custom_schedule_subclass():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2 ** step

        def get_config(self):
            return {}

    opt = optimizers.SGD(Halving())
    var = kt.Variable(np.zeros(1, "float64"))
    for expected_lr in (1.0, 0.5, 0.25):
        assert opt.learning_rate == expected_lr
        opt.apply_gradients([(kt.constant([1.0]), var)])
    np.testing.assert_allclose(var.numpy(), [-1.75])
    clone = optimizers.SGD.from_config(opt.get_config(), custom_objects={"Halving": Halving})
    assert isinstance(clone._learning_rate, Halving)


def test_optimizer_with_schedule_steps_and_serializes():
    sched = schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.01, 0.001])
    opt = optimizers.SGD(learning_rate=sched)
    var = kt.Variable(np.zeros(2, "float64"))
    lrs = []
    for _ in range(4):
        lrs.append(opt.learning_rate)
        opt.apply_gradients([(kt.constant([1.0, -1.0]), var)])
    # The rate of a step is the schedule at the number of steps already applied (Keras: iterations).
    assert lrs == [0.1, 0.1, 0.01, 0.001]
    np.testing.assert_allclose(var.numpy(), [-0.211, 0.211], rtol=1e-12)
    cfg = opt.get_config()
    assert cfg["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    json.dumps(cfg)
    clone = optimizers.SGD.from_config(cfg)
    assert isinstance(clone._learning_rate, schedules.PiecewiseConstantDecay) and clone.learning_rate == 0.1
    clone = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert clone.get_config() == cfg
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.5
    opt.learning_rate = schedules.ExponentialDecay(1.0, 1, 0.5)  # a schedule replaces a schedule
    assert opt.learning_rate == 0.5 ** 4


def test_nadam_with_schedule_matches_numpy():
    sched = schedules.ExponentialDecay(0.1, 1, 0.5)
    w0, grads = np.array([0.5, -1.0]), [np.array([0.2, 0.4]), np.array([-0.3, 0.1]), np.array([0.05, 0.5])]
    var = kt.Variable(w0.copy())
    opt = optimizers.Nadam(sched, weight_decay=0.1)
    for g in grads:
        opt.apply_gradients([(kt.constant(g), var)])
    np.testing.assert_allclose(var.numpy(), np_nadam(w0, grads, wd=0.1, lrs=[0.1, 0.05, 0.025]), rtol=1e-12)


def test_float_learning_rate_settable_and_callable():
    opt = optimizers.Adamax(0.01)
    assert opt.learning_rate == 0.01
    opt.learning_rate = 0.2
    assert opt.learning_rate == 0.2 and opt.get_config()["learning_rate"] == 0.2
    opt.learning_rate = lambda: 0.3  # Keras 3: a callable of no argument
    assert opt.learning_rate == 0.3


def test_fit_with_schedule_changes_lr():
    x = np.ones((8, 1), "float32")
    y = np.zeros((8, 1), "float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    sched = schedules.PiecewiseConstantDecay([2], [0.1, 0.0])
    model.compile(optimizer=optimizers.SGD(sched), loss="mse")
    model.fit(x, y, batch_size=8, epochs=6, verbose=0)
    # mse on w*1 vs 0: grad = 2w. Steps 0, 1, 2 use lr 0.1 (w *= 0.8), later steps lr 0.
    np.testing.assert_allclose(model.layers[-1].kernel.numpy(), [[0.8 ** 3]], rtol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == 6
    assert model.optimizer.learning_rate == 0.0


# -- clipping and weight decay --

def _one_step(opt, grads, w0s):
    vars_ = [kt.Variable(w.copy()) for w in w0s]
    opt.apply_gradients([(kt.constant(g), v) for g, v in zip(grads, vars_)])
    return [v.numpy() for v in vars_]


def test_clipnorm_per_gradient():
    g = [np.array([3.0, 4.0]), np.array([0.3, 0.4]), np.zeros(2)]
    w = [np.zeros(2)] * 3
    out = _one_step(optimizers.SGD(1.0, clipnorm=1.0), g, w)
    for o, gi in zip(out, g):
        n = np.linalg.norm(gi)
        np.testing.assert_allclose(o, -gi * (1.0 / max(n, 1.0)), rtol=1e-12)


def test_global_clipnorm():
    g = [np.array([3.0, 4.0]), np.array([12.0])]
    out = _one_step(optimizers.SGD(1.0, global_clipnorm=6.5), g, [np.zeros(2), np.zeros(1)])
    scale = 6.5 / 13.0
    np.testing.assert_allclose(out[0], -g[0] * scale, rtol=1e-12)
    np.testing.assert_allclose(out[1], -g[1] * scale, rtol=1e-12)
    out = _one_step(optimizers.SGD(1.0, global_clipnorm=100.0), g, [np.zeros(2), np.zeros(1)])
    np.testing.assert_allclose(out[0], -g[0], rtol=1e-12)


def test_clipvalue_and_zero_means_off():
    g = [np.array([2.0, -0.1, -3.0])]
    out = _one_step(optimizers.SGD(1.0, clipvalue=0.5), g, [np.zeros(3)])
    np.testing.assert_allclose(out[0], -np.clip(g[0], -0.5, 0.5), rtol=1e-12)
    for kw in ("clipnorm", "clipvalue", "global_clipnorm"):  # Keras 3: a bound of 0 clips nothing
        out = _one_step(optimizers.SGD(1.0, **{kw: 0.0}), g, [np.zeros(3)])
        np.testing.assert_allclose(out[0], -g[0], rtol=1e-12)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_clipping_with_adamax_against_numpy():
    w0 = rng.normal(size=4)
    grads = [rng.normal(size=4) * 5 for _ in range(3)]
    var = kt.Variable(w0.copy())
    opt = optimizers.Adamax(0.01, clipnorm=1.0)
    for g in grads:
        opt.apply_gradients([(kt.constant(g), var)])
    clipped = [g / max(np.linalg.norm(g), 1.0) for g in grads]
    np.testing.assert_allclose(var.numpy(), np_adamax(w0, clipped, 0.01), rtol=1e-12)


@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.Adagrad,
                                 optimizers.Nadam, optimizers.Adamax])
def test_weight_decay_every_optimizer(cls):
    # Decoupled decay, var -= var * wd * lr before the step: with a zero gradient the step itself
    # leaves var unchanged (all these updates are 0 for g = 0 from zero slots) for SGD/Adam/Nadam/Adamax.
    w0 = np.array([1.0, -2.0, 3.0])
    opt = cls(learning_rate=0.1, weight_decay=0.5)
    var = kt.Variable(w0.copy())
    g = np.zeros(3)
    opt.apply_gradients([(kt.constant(g), var)])
    opt.apply_gradients([(kt.constant(g), var)])
    np.testing.assert_allclose(var.numpy(), w0 * (1 - 0.05) ** 2, rtol=1e-12)
    assert opt.get_config()["weight_decay"] == 0.5


def test_weight_decay_sgd_against_numpy_with_gradients():
    w0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(3)]
    var = kt.Variable(w0.copy())
    opt = optimizers.SGD(0.1, weight_decay=0.01)
    for g in grads:
        opt.apply_gradients([(kt.constant(g), var)])
    np.testing.assert_allclose(var.numpy(), np_sgd(w0, grads, 0.1, 0.01), rtol=1e-12)


def test_exclude_from_weight_decay():
    a = kt.Variable(np.ones(2), name="dense_kernel")
    b = kt.Variable(np.ones(2), name="dense_bias")
    c = kt.Variable(np.ones(2), name="other")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[c], var_names=["bias"])
    g = kt.constant(np.zeros(2))
    opt.apply_gradients([(g, a), (g, b), (g, c)])
    np.testing.assert_allclose(a.numpy(), [0.95, 0.95])
    np.testing.assert_allclose(b.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(c.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["x"])
