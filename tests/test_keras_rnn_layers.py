"""Keras recurrent layers: SimpleRNN, LSTM, GRU (+ their cells and RNN(cell)), Bidirectional.
Numbers against the numpy references of test_ops_rnn (from the layers' own weights), masks,
go_backwards, return_state, initial_state, both GRU forms, the step-by-step cell path against
the fused one, run_layer_test, errors, Orthogonal, and real-Keras weights when the fixture exists."""
import os

import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers

from helpers import rng
from layer_helper import run_layer_test
from test_ops_rnn import reference

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "keras_rnn.npz")


def kind_of(layer):
    cell = layer.cell
    if isinstance(cell, layers.LSTMCell):
        return "lstm"
    if isinstance(cell, layers.GRUCell):
        return "gru" if cell.reset_after else "gru_reset_before"
    return "simple_rnn"


def numpy_layer(layer, x, mask=None, initial_state=None, zero_out=False):
    """The layer's outputs (all steps, processing order) and final states from numpy."""
    w = [v.numpy().astype(np.float64) for v in layer.weights]
    kernel, U = w[0], w[1]
    kind = kind_of(layer)
    bias = w[2] if len(w) > 2 else None
    b_in, brec = bias, None
    if kind == "gru" and bias is not None:
        b_in, brec = bias[0], bias[1]
    xw = np.einsum("btf,fg->tbg", x.astype(np.float64), kernel) + (0 if b_in is None else b_in)
    B, u = x.shape[0], U.shape[0]
    st = [np.zeros((B, u))] * (2 if kind == "lstm" else 1) if initial_state is None else \
        [np.asarray(s, np.float64) for s in initial_state]
    act = keras.activations.serialize(layer.cell.activation)
    ract = keras.activations.serialize(layer.cell.recurrent_activation) if kind != "simple_rnn" else "sigmoid"
    return reference(kind, xw, U, st[0], st[1] if kind == "lstm" else None, brec, mask=mask,
                     go_backwards=layer.go_backwards, zero_out=zero_out, activation=act, recurrent_activation=ract)


def make_layer(cls, **kw):
    layer = cls(5, **kw)
    x = rng(0).normal(size=(3, 7, 4)).astype("float32")
    layer(x)
    # Non-trivial biases, so every bias term is checked.
    layer.set_weights([w if i < 2 else rng(9).normal(0, 0.3, w.shape).astype("float32")
                       for i, w in enumerate(layer.get_weights())])
    return layer, x


CASES = [(layers.SimpleRNN, {}), (layers.LSTM, {}), (layers.GRU, {}), (layers.GRU, {"reset_after": False}),
         (layers.LSTM, {"activation": "relu", "recurrent_activation": "hard_sigmoid"})]


@pytest.mark.parametrize("cls,kw", CASES)
@pytest.mark.parametrize("backwards", [False, True])
def test_outputs_match_numpy(cls, kw, backwards):
    layer, x = make_layer(cls, return_sequences=True, return_state=True, go_backwards=backwards, **kw)
    got = layer(x)
    y, st = numpy_layer(layer, x)
    np.testing.assert_allclose(got[0].numpy(), y, rtol=1e-4, atol=1e-5)
    for g, e in zip(got[1:], st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls,kw", CASES[:4])
def test_mask_and_initial_state(cls, kw):
    layer, x = make_layer(cls, return_sequences=True, return_state=True, **kw)
    mask = rng(3).random((3, 7)) > 0.35
    mask[2] = False
    n = 2 if cls is layers.LSTM else 1
    init = [rng(4 + i).normal(size=(3, 5)).astype("float32") for i in range(n)]
    got = layer(x, initial_state=[kt.constant(s) for s in init], mask=kt.constant(mask))
    y, st = numpy_layer(layer, x, mask=mask, initial_state=init)
    np.testing.assert_allclose(got[0].numpy(), y, rtol=1e-4, atol=1e-5)
    for g, e in zip(got[1:], st):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(got[1].numpy()[2], init[0][2])  # masked throughout: the state is kept
    assert layer.compute_mask(x, kt.constant(mask)) is not None
    last = cls(5, **kw)
    last(x)
    last.set_weights(layer.get_weights())
    y0, _ = numpy_layer(layer, x, mask=mask)
    np.testing.assert_allclose(last(x, mask=kt.constant(mask)).numpy(), y0[:, -1], rtol=1e-4, atol=1e-5)
    assert last.compute_mask(x, kt.constant(mask)) is None


@pytest.mark.parametrize("cls,kw", CASES)
@pytest.mark.parametrize("masked", [False, True])
def test_cell_loop_matches_fused(cls, kw, masked):
    """RNN(cell) stepping through cell.call with ktensor ops equals the fused native path."""
    layer, x = make_layer(cls, return_sequences=True, **kw)
    cell = layer.cell
    mask = kt.constant(rng(5).random((3, 7)) > 0.3) if masked else None
    loop = layers.RNN(cell, return_sequences=True)
    with kt.GradientTape(persistent=True) as tape:
        a = layer(x, mask=mask)
        b = loop._step_loop(kt.constant(x), cell.get_initial_state(3), mask, False)[0]
        la, lb = kt.reduce_sum(a * a), kt.reduce_sum(b * b)
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    for ga, gb in zip(tape.gradient(la, layer.trainable_weights), tape.gradient(lb, layer.trainable_weights)):
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-3, atol=1e-4)


def test_generic_rnn_with_custom_activation_and_cell():
    x = rng(1).normal(size=(2, 3, 4)).astype("float32")
    soft = layers.LSTM(3, activation="softsign")  # no fused kernel: steps through the cell
    y = soft(x)
    w = [v.numpy().astype(np.float64) for v in soft.weights]
    h = c = np.zeros((2, 3))
    for t in range(3):
        z = x[:, t] @ w[0] + h @ w[1] + w[2]
        i, f, g, o = (1 / (1 + np.exp(-z[:, k * 3:(k + 1) * 3])) for k in range(4))
        g = z[:, 6:9] / (1 + np.abs(z[:, 6:9]))
        c = f * c + i * g
        h = o * (c / (1 + np.abs(c)))
    np.testing.assert_allclose(y.numpy(), h, rtol=1e-4, atol=1e-5)
    rnn = layers.RNN(layers.SimpleRNNCell(4), return_sequences=True)
    assert rnn(x).shape == (2, 3, 4)
    cfg = rnn.get_config()
    assert cfg["cell"]["class_name"] == "SimpleRNNCell"
    assert layers.RNN.from_config(cfg).cell.units == 4


def test_cells_single_step():
    cell = layers.LSTMCell(5)
    x = rng(2).normal(size=(3, 4)).astype("float32")
    cell._ensure_built(x.shape)
    h, (h2, c) = cell(x, [kt.zeros((3, 5)), kt.zeros((3, 5))])
    w = [v.numpy().astype(np.float64) for v in cell.weights]
    y, st = reference("lstm", (x @ w[0] + w[2])[None], w[1], np.zeros((3, 5)), np.zeros((3, 5)))
    np.testing.assert_allclose(h.numpy(), y[:, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), st[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cell.bias.numpy()[5:10], 1.0)  # unit_forget_bias


@pytest.mark.parametrize("mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional(mode):
    x = rng(6).normal(size=(3, 7, 4)).astype("float32")
    bi = layers.Bidirectional(layers.LSTM(5, return_sequences=True), merge_mode=mode)
    out = bi(x)
    fw, bw = bi.forward_layer, bi.backward_layer
    assert fw.name.startswith("forward_") and bw.name.startswith("backward_") and bw.go_backwards
    yf, _ = numpy_layer(fw, x)
    yb, _ = numpy_layer(bw, x)
    yb = yb[:, ::-1]
    want = {"concat": np.concatenate([yf, yb], -1), "sum": yf + yb, "mul": yf * yb, "ave": (yf + yb) / 2}
    if mode is None:
        np.testing.assert_allclose(out[0].numpy(), yf, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(out[1].numpy(), yb, rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(out.numpy(), want[mode], rtol=1e-4, atol=1e-5)
        assert tuple(out.shape) == bi.compute_output_shape(x.shape)
    assert len(bi.weights) == 6


def test_bidirectional_mask_state_and_config():
    x = rng(7).normal(size=(3, 7, 4)).astype("float32")
    mask = rng(8).random((3, 7)) > 0.3
    bi = layers.Bidirectional(layers.GRU(5, return_sequences=True, return_state=True),
                              backward_layer=layers.GRU(5, return_sequences=True, return_state=True,
                                                        go_backwards=True, reset_after=False))
    out, hf, hb = bi(x, mask=kt.constant(mask))
    yf, sf = numpy_layer(bi.forward_layer, x, mask=mask, zero_out=True)
    yb, sb = numpy_layer(bi.backward_layer, x, mask=mask, zero_out=True)
    np.testing.assert_allclose(out.numpy(), np.concatenate([yf, yb[:, ::-1]], -1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hf.numpy(), sf[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(hb.numpy(), sb[0], rtol=1e-4, atol=1e-5)
    cfg = bi.get_config()
    again = layers.Bidirectional.from_config(cfg)
    assert again.get_config() == cfg
    assert again.backward_layer.reset_after is False


@pytest.mark.parametrize("cls,kw,out_shape", [
    (layers.SimpleRNN, {"units": 5}, (3, 5)),
    (layers.LSTM, {"units": 5, "return_sequences": True}, (3, 7, 5)),
    (layers.GRU, {"units": 5, "dropout": 0.2, "recurrent_dropout": 0.3, "seed": 1}, (3, 5)),
    (layers.GRU, {"units": 5, "reset_after": False, "go_backwards": True}, (3, 5)),
    (layers.LSTM, {"units": 5, "dropout": 0.1, "recurrent_dropout": 0.2}, (3, 5)),
])
def test_run_layer_test(cls, kw, out_shape):
    run_layer_test(cls, kw, (3, 7, 4), expected_output_shape=out_shape, expected_num_trainable_weights=3)


def test_run_layer_test_bidirectional():
    class Bi(layers.Bidirectional):  # run_layer_test builds from keyword arguments
        def __init__(self, units=5, **kw):
            kw.setdefault("layer", layers.SimpleRNN(units, return_sequences=True))
            super().__init__(**kw)

    layer = run_layer_test(Bi, {}, (3, 7, 4), expected_output_shape=(3, 7, 10), expected_num_trainable_weights=6)
    assert layer.merge_mode == "concat"


def test_dropout_only_in_training_and_fixed_per_sequence():
    layer = layers.SimpleRNN(4, dropout=0.5, recurrent_dropout=0.5, seed=3, return_sequences=True)
    x = np.ones((2, 5, 3), "float32")
    a, b = layer(x), layer(x, training=False)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    c = layer(x, training=True)
    assert not np.allclose(c.numpy(), a.numpy())
    # The input mask is drawn once per sequence: with a linear cell and no recurrence, every step
    # sees the same masked input.
    lin = layers.SimpleRNN(4, activation=None, dropout=0.5, seed=1, return_sequences=True,
                           recurrent_initializer="zeros")
    y = lin(x, training=True).numpy()
    np.testing.assert_allclose(y[:, 0], y[:, 3], rtol=1e-6)


def test_config_keys_match_keras():
    cfg = layers.LSTM(4).get_config()
    for k in ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "unit_forget_bias", "dropout", "recurrent_dropout",
              "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll",
              "zero_output_for_mask", "activity_regularizer"):
        assert k in cfg, k
    assert "cell" not in cfg
    assert cfg["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert "reset_after" in layers.GRU(4).get_config()
    assert "recurrent_activation" not in layers.SimpleRNN(4).get_config()
    assert layers.deserialize(layers.serialize(layers.GRU(3, reset_after=False))).reset_after is False


def test_errors():
    lstm = layers.LSTM(4, name="lstm_err")
    with pytest.raises(ValueError, match=r"LSTM 'lstm_err' expects 3-D input \(batch, timesteps, features\), got "
                                         r"shape \(2, 3\)"):
        lstm(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="GRU 'g0'.*units"):
        layers.GRU(0, name="g0")
    with pytest.raises(ValueError, match="dropout"):
        layers.SimpleRNN(3, dropout=1.5)
    with pytest.raises(ValueError, match="LSTM 'st'.*stateful.*batch size must be static"):
        keras.Sequential([keras.Input((4, 3)), layers.LSTM(3, stateful=True, name="st")])
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(3), merge_mode="max")
    with pytest.raises(ValueError, match="initial state"):
        layers.LSTM(3)(np.zeros((2, 4, 3), "float32"), initial_state=[kt.zeros((2, 3))])
    with pytest.raises(ValueError, match="mask"):
        layers.LSTM(3)(np.zeros((2, 4, 3), "float32"), mask=kt.constant(np.ones((2, 5), bool)))


def test_orthogonal_initializer():
    init = keras.initializers.get("orthogonal")
    q = init((7, 4)).numpy().astype(np.float64)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    w = keras.initializers.Orthogonal(gain=2.0, seed=3)((3, 6)).numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(3), atol=1e-4)
    np.testing.assert_array_equal(w, keras.initializers.Orthogonal(gain=2.0, seed=3)((3, 6)).numpy())
    k = keras.initializers.Orthogonal()((2, 3, 5)).numpy().reshape(6, 5).astype(np.float64)
    np.testing.assert_allclose(k.T @ k, np.eye(5), atol=1e-5)
    assert keras.initializers.deserialize(keras.initializers.serialize(keras.initializers.Orthogonal(1.5))).gain == 1.5
    with pytest.raises(ValueError, match="2 dimensions"):
        init((4,))


def test_lstm_trains_end_to_end():
    r = rng(0)
    x = r.integers(0, 2, size=(256, 6, 1)).astype("float32")
    y = x[:, 0, 0].copy()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 1)), layers.LSTM(8), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert h.history["accuracy"][-1] > 0.9


@pytest.mark.skipif(not os.path.exists(FIXTURE), reason="no Keras fixture")
def test_matches_real_keras():
    """Weights, inputs and outputs produced by Keras 3 (tools/make_keras_rnn_fixture.py)."""
    f = np.load(FIXTURE)
    x, mask = f["x"], f["mask"]
    for name, make in [("lstm", lambda: layers.LSTM(5, return_sequences=True)),
                       ("gru", lambda: layers.GRU(5, return_sequences=True)),
                       ("gru_before", lambda: layers.GRU(5, return_sequences=True, reset_after=False)),
                       ("simple", lambda: layers.SimpleRNN(5, return_sequences=True)),
                       ("lstm_back", lambda: layers.LSTM(5, return_sequences=True, go_backwards=True))]:
        layer = make()
        layer(x)
        layer.set_weights([f[f"{name}_w{i}"] for i in range(3)])
        np.testing.assert_allclose(layer(x).numpy(), f[f"{name}_y"], rtol=1e-4, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(layer(x, mask=kt.constant(mask)).numpy(), f[f"{name}_ym"], rtol=1e-4, atol=1e-5,
                                   err_msg=name + " masked")
    bi = layers.Bidirectional(layers.LSTM(5, return_sequences=True))
    bi(x)
    bi.set_weights([f[f"bi_w{i}"] for i in range(6)])
    np.testing.assert_allclose(bi(x, mask=kt.constant(mask)).numpy(), f["bi_ym"], rtol=1e-4, atol=1e-5)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _per_gate_reference(kind, x, weights, dp, rm, units):
    """numpy, Keras 3 implementation 1: every gate has its own input and recurrent dropout mask."""
    W, U, b = (np.asarray(w, np.float64) for w in weights)
    u, (B, T, _) = units, x.shape
    h, c, outs = np.zeros((B, u)), np.zeros((B, u)), []
    cols = lambda m, g: m[..., g * u:(g + 1) * u]  # noqa: E731
    for t in range(T):
        xg = [(x[:, t] * dp[g]) @ cols(W, g) for g in range(len(dp))]
        if kind == "lstm":
            z = [xg[g] + (h * rm[g]) @ cols(U, g) + cols(b, g) for g in range(4)]
            c = _sigmoid(z[1]) * c + _sigmoid(z[0]) * np.tanh(z[2])
            h = _sigmoid(z[3]) * np.tanh(c)
        elif kind == "gru":
            xg = [xg[g] + cols(b[0], g) for g in range(3)]
            inner = [(h * rm[g]) @ cols(U, g) + cols(b[1], g) for g in range(3)]
            z, r = _sigmoid(xg[0] + inner[0]), _sigmoid(xg[1] + inner[1])
            h = z * h + (1 - z) * np.tanh(xg[2] + r * inner[2])
        else:
            xg = [xg[g] + cols(b, g) for g in range(3)]
            z = _sigmoid(xg[0] + (h * rm[0]) @ cols(U, 0))
            r = _sigmoid(xg[1] + (h * rm[1]) @ cols(U, 1))
            h = z * h + (1 - z) * np.tanh(xg[2] + (r * h * rm[2]) @ cols(U, 2))
        outs.append(h)
    return np.stack(outs, 1)


@pytest.mark.parametrize("kind", ["lstm", "gru", "gru_reset_before"])
def test_recurrent_dropout_draws_one_mask_per_gate_as_keras(kind):
    # Keras 3 (>= 3.8, PRs keras-team/keras#20656 and #20663): recurrent_dropout > 0 switches LSTM and GRU
    # cells to implementation 1, whose input and recurrent masks are drawn per gate.
    make = {"lstm": lambda **k: layers.LSTM(5, **k), "gru": lambda **k: layers.GRU(5, **k),
            "gru_reset_before": lambda **k: layers.GRU(5, reset_after=False, **k)}[kind]
    layer = make(dropout=0.3, recurrent_dropout=0.4, seed=2, return_sequences=True)
    x = rng(8).normal(size=(3, 6, 4)).astype("float32")
    layer(x)
    seen = []
    draw = layer.cell._new_masks
    layer.cell._new_masks = lambda *a, **k: seen.append(draw(*a, **k)) or seen[-1]
    y = layer(x, training=True).numpy()
    dp, rm = ([m.numpy() for m in ms] for ms in seen[0])
    gates = 4 if kind == "lstm" else 3
    assert len(dp) == len(rm) == gates
    assert len({m.tobytes() for m in dp}) == gates and len({m.tobytes() for m in rm}) == gates
    np.testing.assert_allclose(y, _per_gate_reference(kind, x, layer.get_weights(), dp, rm, 5), rtol=1e-4,
                               atol=1e-5)
    # Input dropout alone keeps one mask, shared by the gates (implementation 2, the fused loop).
    only = make(dropout=0.3, seed=2)
    only(x)
    assert not isinstance(only.cell._new_masks(3, 4, kt.constant(x), True)[0], list)
