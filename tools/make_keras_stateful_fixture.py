"""Writes tests/fixtures/keras_stateful.keras and keras_stateful_expected.npz: a model of stateful
SimpleRNN, LSTM, GRU (go_backwards) and Bidirectional layers behind a Masking layer, trained a
little by real Keras 3 (TensorFlow backend, shuffle=False) and saved, with Keras' predictions on two
consecutive chunks of a sequence, again on the first chunk after reset_state(), and the names of
the datasets in its .weights.h5 (Keras keeps RNN states out of weights files). For
tests/test_keras_stateful_rnn.py. Needs keras; from the repo root:

    python tools/make_keras_stateful_fixture.py
"""
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import h5py  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
BATCH, STEPS, FEATURES = 3, 5, 2


def model():
    inp = keras.Input(batch_shape=(BATCH, STEPS, FEATURES), name="seq")
    h = layers.Masking(0.0, name="mask")(inp)
    h = layers.LSTM(4, stateful=True, return_sequences=True, name="lstm")(h)
    h = layers.GRU(3, stateful=True, return_sequences=True, go_backwards=True, name="gru")(h)
    h = layers.Bidirectional(layers.SimpleRNN(2, stateful=True, return_sequences=True, name="rnn"), name="bi")(h)
    h = layers.LSTM(3, stateful=True, name="last")(h)
    return keras.Model(inp, layers.Dense(2, name="out")(h), name="stateful")


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(2 * BATCH, STEPS, FEATURES).astype("float32")
    x[rng.rand(2 * BATCH, STEPS) < 0.25] = 0.0  # masked steps
    chunks = rng.rand(2, BATCH, STEPS, FEATURES).astype("float32")
    chunks[0, 1, 3:] = 0.0  # a sample whose first chunk ends masked
    chunks[1, 2, :2] = 0.0
    m = model()
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, rng.rand(2 * BATCH, 2).astype("float32"), batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    for layer in m.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
    m.save(os.path.join(OUT, "keras_stateful.keras"))
    path = os.path.join(OUT, "keras_stateful_check.weights.h5")
    m.save_weights(path)
    names = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    os.remove(path)
    y1 = m.predict(chunks[0], batch_size=BATCH, verbose=0)
    y2 = m.predict(chunks[1], batch_size=BATCH, verbose=0)
    for layer in m.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
    y3 = m.predict(chunks[0], batch_size=BATCH, verbose=0)
    np.savez(os.path.join(OUT, "keras_stateful_expected.npz"), chunks=chunks, y1=y1, y2=y2, y3=y3,
             weight_names=np.array(sorted(names)))
    print("wrote keras_stateful* with keras", keras.__version__, "datasets:", sorted(names))


if __name__ == "__main__":
    main()
