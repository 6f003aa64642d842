"""stateful=True for SimpleRNN, LSTM, GRU, RNN(cell) and Bidirectional (Keras 3): the last states of a
call start the next one, so two consecutive calls on the halves of a sequence compute what one call
on the whole sequence computes; reset_state() starts over; the batch size is fixed; the states are
not weights (not in weights files, as in Keras); fit(shuffle=False) and predict carry them across
batches; and a model saved by real Keras 3 (tools/make_keras_stateful_fixture.py) predicts what
Keras predicted over consecutive chunks."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers

FIXTURES = Path(__file__).parent / "fixtures"
B, T, F = 3, 7, 2


class MinimalCell(keras.layers.Layer):
    """A user cell without get_initial_state: the RNN's step loop and zero states."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        h = kt.tanh(kt.matmul(inputs, self.kernel) + kt.matmul(states[0], self.recurrent_kernel))
        return h, [h]


def _data(seed=0):
    x = np.random.default_rng(seed).normal(size=(B, T, F)).astype("float32")
    mask = np.ones((B, T), bool)
    mask[0, 2:4] = False  # masked steps on both sides of the split, and at its edge
    mask[2, 3:] = False
    return x, mask


def _pair(make, **kwargs):
    """A stateful layer and a plain twin with the same weights."""
    plain = make(stateful=False, **kwargs)
    stateful = make(stateful=True, **kwargs)
    x, _ = _data()
    plain(x)
    stateful(x)
    stateful.set_weights(plain.get_weights())
    stateful.reset_state()
    return stateful, plain


def _chunked(outputs, mask, cut):
    """One call's outputs (processing order) as two calls split at `cut` give them: a masked step repeats
    the previous output of its own call, so the second call's leading masked steps give zeros (Keras)."""
    outputs = outputs.copy()
    outputs[:, cut:][np.cumsum(mask[:, cut:], 1) == 0] = 0
    return outputs


MAKERS = {
    "simple_rnn": lambda **k: layers.SimpleRNN(4, **k),
    "lstm": lambda **k: layers.LSTM(4, **k),
    "gru": lambda **k: layers.GRU(4, **k),
    "gru_reset_before": lambda **k: layers.GRU(4, reset_after=False, **k),
    "lstm_step_loop": lambda **k: layers.LSTM(4, activation="softsign", **k),  # not fused: cell.call per step
    "rnn_cell": lambda **k: layers.RNN(MinimalCell(4), **k),
}


@pytest.mark.parametrize("use_mask", [False, True])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_two_calls_equal_one_call_over_the_whole_sequence(kind, use_mask):
    st, plain = _pair(MAKERS[kind], return_sequences=True, return_state=True)
    x, mask = _data()
    m = mask if use_mask else None
    cut = 3
    whole = plain(x, mask=m)
    a = st(x[:, :cut], mask=None if m is None else m[:, :cut])
    b = st(x[:, cut:], mask=None if m is None else m[:, cut:])
    expected = whole[0].numpy() if m is None else _chunked(whole[0].numpy(), m, cut)
    np.testing.assert_allclose(np.concatenate([a[0].numpy(), b[0].numpy()], 1), expected, rtol=1e-5, atol=1e-6)
    for s, v, w in zip(b[1:], st.states, whole[1:]):  # the returned, the kept and the one-call states agree
        np.testing.assert_allclose(s.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(v.numpy(), s.numpy())
    # reset_state starts over: the first call's output again.
    st.reset_state()
    assert all(not v.numpy().any() for v in st.states)
    np.testing.assert_array_equal(st(x[:, :cut], mask=None if m is None else m[:, :cut])[0].numpy(), a[0].numpy())


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_go_backwards_carries_the_state_to_the_earlier_chunk(kind):
    # Backwards, a sequence is read from its end: the later chunk first, then the earlier one.
    st, plain = _pair(MAKERS[kind], return_sequences=True, go_backwards=True)
    x, mask = _data(1)
    whole = _chunked(plain(x, mask=mask).numpy(), mask[:, ::-1], T - 4)  # processing order: input reversed
    late = st(x[:, 4:], mask=mask[:, 4:]).numpy()
    early = st(x[:, :4], mask=mask[:, :4]).numpy()
    np.testing.assert_allclose(np.concatenate([late, early], 1), whole, rtol=1e-5, atol=1e-6)


def test_bidirectional_each_direction_keeps_its_own_states():
    bi = layers.Bidirectional(layers.LSTM(3, return_sequences=True, stateful=True), merge_mode=None)
    x, mask = _data(2)
    bi(x)
    # Bidirectional's layers emit zeros at masked steps (Keras), so the references do too.
    fw = layers.LSTM(3, return_sequences=True, zero_output_for_mask=True)
    bw = layers.LSTM(3, return_sequences=True, return_state=True, go_backwards=True, zero_output_for_mask=True)
    fw(x)
    bw(x)
    fw.set_weights(bi.forward_layer.get_weights())
    bw.set_weights(bi.backward_layer.get_weights())
    assert len(bi.states) == 4 and len(bi.weights) == 6
    bi.reset_state()
    y1 = bi(x[:, :3], mask=mask[:, :3])
    y2 = bi(x[:, 3:], mask=mask[:, 3:])
    # Forward: as one pass over the whole sequence.
    np.testing.assert_allclose(np.concatenate([y1[0].numpy(), y2[0].numpy()], 1), fw(x, mask=mask).numpy(),
                               rtol=1e-5, atol=1e-6)
    # Backward: each chunk read backwards, starting from the state the previous chunk ended with.
    out1, *s1 = bw(x[:, :3], mask=mask[:, :3])
    out2, *_ = bw(x[:, 3:], mask=mask[:, 3:], initial_state=s1)
    np.testing.assert_allclose(y1[1].numpy(), out1.numpy()[:, ::-1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y2[1].numpy(), out2.numpy()[:, ::-1], rtol=1e-5, atol=1e-6)
    bi.reset_states()  # the Keras 2 name
    assert all(not v.numpy().any() for v in bi.states)
    np.testing.assert_array_equal(bi(x[:, :3], mask=mask[:, :3])[0].numpy(), y1[0].numpy())


def test_state_variables_are_not_weights_and_not_in_weights_files(tmp_path):
    model = keras.Sequential([keras.Input(batch_shape=(B, T, F)), layers.LSTM(4, stateful=True, name="l"),
                              layers.Dense(1)])
    twin = keras.Sequential([keras.Input(batch_shape=(B, T, F)), layers.LSTM(4, name="l"), layers.Dense(1)])
    lstm = model.layers[0]
    assert [tuple(v.shape) for v in lstm.states] == [(B, 4), (B, 4)]
    assert all(not v.trainable for v in lstm.states)
    assert len(lstm.weights) == 3 and lstm.non_trainable_weights == [] and len(model.weights) == 5
    for m, name in ((model, "a"), (twin, "b")):
        m.save_weights(tmp_path / f"{name}.weights.h5")
    names = []
    for name in ("a", "b"):
        with h5py.File(tmp_path / f"{name}.weights.h5") as f:
            found = []
            f.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
            names.append(sorted(found))
    assert names[0] == names[1]
    twin.load_weights(tmp_path / "a.weights.h5")  # interchangeable with the plain model's files


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_wrong_batch_size_is_a_clear_error_and_changes_nothing(kind):
    st, _ = _pair(MAKERS[kind])
    x, _ = _data()
    st(x)
    before = [v.numpy() for v in st.states]
    with pytest.raises(ValueError, match=rf"'{st.name}'.*stateful.*Expected batch size: 3, received batch size: 2"):
        st(x[:2])
    with pytest.raises(ValueError, match="Expected batch size: 3, received batch size: 2"):  # also with a state
        st(x[:2], initial_state=[kt.zeros((2, 4))] * len(st.states))
    for a, v in zip(before, st.states):
        np.testing.assert_array_equal(v.numpy(), a)


def test_dynamic_batch_size_is_refused_at_build():
    with pytest.raises(ValueError, match=r"GRU 'g'.*batch size must be static.*\(None, 7, 2\)"):
        keras.Sequential([keras.Input((T, F)), layers.GRU(3, stateful=True, name="g")])
    with pytest.raises(ValueError, match="batch size must be static"):
        layers.Bidirectional(layers.LSTM(3, stateful=True)).build((None, T, F))


def test_reset_state_without_stateful():
    lstm = layers.LSTM(3)
    lstm(_data()[0])
    lstm.reset_state()  # nothing to reset (Keras: a no-op)
    assert lstm.states is None
    bi = layers.Bidirectional(layers.LSTM(3), name="bi_plain")
    bi(_data()[0])
    with pytest.raises(AttributeError, match="'bi_plain'.*stateful"):
        bi.reset_state()


def test_states_carry_no_autograd_history_and_gradients_are_right():
    st, plain = _pair(MAKERS["lstm"], return_sequences=True)
    x, mask = _data(3)
    w = kt.constant(np.random.default_rng(4).normal(size=(B, 4, 4)).astype("float32"))
    with kt.GradientTape() as tape:  # a first training call: its graph must not reach the next call
        kt.reduce_sum(st(x[:, :3], training=True) * w[:, :3])
    assert all(v._node is None for v in st.states)
    kept = [kt.constant(v.numpy()) for v in st.states]
    with kt.GradientTape() as tape:
        loss = kt.reduce_sum(st(x[:, 3:], mask=mask[:, 3:], training=True) * w)
    grads = tape.gradient(loss, st.trainable_weights)
    with kt.GradientTape() as tape:  # the same chunk from the same (constant) states, not stateful
        ref = kt.reduce_sum(plain(x[:, 3:], mask=mask[:, 3:], initial_state=kept, training=True) * w)
    expected = tape.gradient(ref, plain.trainable_weights)
    np.testing.assert_allclose(float(loss), float(ref), rtol=1e-6)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-5, atol=1e-6)


def _stateful_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input(batch_shape=(B, T, F)), layers.GRU(4, stateful=True, return_sequences=True),
                             layers.LSTM(3, stateful=True), layers.Dense(1)])


def test_fit_with_shuffle_false_trains_batch_after_batch_in_order():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3 * B, T, F)).astype("float32")
    y = rng.normal(size=(3 * B, 1)).astype("float32")
    a, b = _stateful_model(0), _stateful_model(0)
    for m in (a, b):
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = a.fit(x, y, batch_size=B, epochs=1, shuffle=False, verbose=0)
    for i in range(3):  # the same steps by hand: batch i starts from the states batch i - 1 left
        b.train_on_batch(x[i * B:(i + 1) * B], y[i * B:(i + 1) * B])
    assert np.isfinite(history.history["loss"][0])
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    for la, lb in zip(a.layers[:2], b.layers[:2]):
        assert la.states[0].numpy().any()
        for va, vb in zip(la.states, lb.states):
            np.testing.assert_allclose(va.numpy(), vb.numpy(), rtol=1e-5, atol=1e-6)
    fresh = _stateful_model(0)
    assert not np.allclose(fresh.get_weights()[0], a.get_weights()[0])
    with pytest.raises(ValueError, match="Expected batch size: 3, received batch size: 2"):
        a.fit(x[:8], y[:8], batch_size=B, shuffle=False, verbose=0)  # a last, short batch of 2


def test_predict_carries_states_across_calls_and_an_unbuilt_model_builds_on_a_batch():
    x, _ = _data(6)
    plain = keras.Sequential([layers.LSTM(4), layers.Dense(2)])
    st = keras.Sequential([layers.LSTM(4, stateful=True), layers.Dense(2)])
    st.predict(x[:, :3], batch_size=B, verbose=0)  # builds on a whole batch, not on one sample
    assert tuple(st.layers[0].states[0].shape) == (B, 4)
    plain(x)
    st.set_weights(plain.get_weights())
    st.layers[0].reset_state()
    first = st.predict(x[:, :3], batch_size=B, verbose=0)
    second = st.predict(x[:, 3:], batch_size=B, verbose=0)
    np.testing.assert_allclose(first, plain.predict(x[:, :3], verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, plain.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    fresh = keras.Sequential([layers.GRU(4, stateful=True), layers.Dense(2)])
    fresh.compile(optimizer="sgd", loss="mse")
    fresh.fit(x, np.zeros((B, 2), "float32"), batch_size=B, shuffle=False, verbose=0)
    assert tuple(fresh.layers[0].states[0].shape) == (B, 4)


def test_config_round_trip_keeps_stateful(tmp_path):
    for layer in (layers.SimpleRNN(3, stateful=True), layers.LSTM(3, stateful=True, go_backwards=True),
                  layers.GRU(3, stateful=True, reset_after=False), layers.RNN(layers.LSTMCell(2), stateful=True)):
        config = layer.get_config()
        assert config["stateful"] is True
        again = type(layer).from_config(config)
        assert again.stateful is True and again.get_config() == config
    bi = layers.Bidirectional(layers.GRU(3, stateful=True))
    again = layers.deserialize(layers.serialize(bi))
    assert again.stateful and again.forward_layer.stateful and again.backward_layer.stateful
    model = _stateful_model(1)
    x, _ = _data()
    model.predict(x, batch_size=B, verbose=0)  # nonzero states: not saved, as in Keras
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [l.stateful for l in loaded.layers[:2]] == [True, True]
    assert all(not v.numpy().any() for l in loaded.layers[:2] for v in l.states)
    for l in model.layers[:2]:
        l.reset_state()
    np.testing.assert_allclose(loaded.predict(x, batch_size=B, verbose=0), model.predict(x, batch_size=B, verbose=0),
                               rtol=1e-6, atol=1e-6)


def _reset_all(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


def test_keras_written_stateful_model_predicts_the_same_over_consecutive_chunks(tmp_path):
    e = np.load(FIXTURES / "keras_stateful_expected.npz")
    m = keras.models.load_model(FIXTURES / "keras_stateful.keras")
    chunks = e["chunks"]
    got = [m.predict(chunks[0], batch_size=B, verbose=0), m.predict(chunks[1], batch_size=B, verbose=0)]
    _reset_all(m)
    got.append(m.predict(chunks[0], batch_size=B, verbose=0))
    for g, name in zip(got, ("y1", "y2", "y3")):
        np.testing.assert_allclose(g, e[name], rtol=1e-4, atol=2e-5)
    m.save_weights(tmp_path / "w.weights.h5")
    found = []
    with h5py.File(tmp_path / "w.weights.h5") as f:
        f.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
    assert sorted(found) == sorted(e["weight_names"].tolist())  # the same datasets as Keras' file: no states


_KERAS_CHECK = """
import sys, numpy as np, keras
m = keras.models.load_model(sys.argv[1])
chunks = np.load(sys.argv[2])
for i, c in enumerate(chunks):
    d = float(np.abs(m.predict(c, batch_size=c.shape[0], verbose=0) - np.load(sys.argv[3])[i]).max())
    assert d < 2e-5, (i, d)
print('ok')
"""


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="keras is not installed")
def test_ktensor_written_stateful_model_loads_in_real_keras(tmp_path):
    e = np.load(FIXTURES / "keras_stateful_expected.npz")
    m = keras.models.load_model(FIXTURES / "keras_stateful.keras")
    m.set_weights([w * 0.9 for w in m.get_weights()])
    chunks = e["chunks"]
    preds = np.stack([m.predict(c, batch_size=B, verbose=0) for c in chunks])
    _reset_all(m)
    m.save(tmp_path / "m.keras")
    np.save(tmp_path / "c.npy", chunks)
    np.save(tmp_path / "p.npy", preds)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", _KERAS_CHECK, str(tmp_path / "m.keras"), str(tmp_path / "c.npy"),
                        str(tmp_path / "p.npy")], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
