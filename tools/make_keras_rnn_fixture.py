"""Writes tests/fixtures/keras_rnn.npz: weights, inputs and outputs (plain and masked) of small
recurrent layers computed by real Keras 3 (TensorFlow backend), for
tests/test_keras_rnn_layers.py::test_matches_real_keras. Needs keras; run from the repo root:

    python tools/make_keras_rnn_fixture.py
"""
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "keras_rnn.npz")


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.normal(size=(3, 7, 4)).astype("float32")
    mask = rng.rand(3, 7) > 0.3
    mask[2, :2] = False
    out = {"x": x, "mask": mask}
    layers = {
        "lstm": keras.layers.LSTM(5, return_sequences=True),
        "gru": keras.layers.GRU(5, return_sequences=True),
        "gru_before": keras.layers.GRU(5, return_sequences=True, reset_after=False),
        "simple": keras.layers.SimpleRNN(5, return_sequences=True),
        "lstm_back": keras.layers.LSTM(5, return_sequences=True, go_backwards=True),
        "bi": keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True)),
    }
    for name, layer in layers.items():
        layer(x)
        # Non-trivial biases, so every bias term is exercised.
        ws = [w if w.ndim > 1 and "bias" not in v.path else rng.normal(0, 0.3, w.shape).astype("float32")
              for w, v in zip(layer.get_weights(), layer.weights)]
        layer.set_weights(ws)
        for i, w in enumerate(ws):
            out[f"{name}_w{i}"] = w
        out[f"{name}_y"] = np.asarray(layer(x))
        out[f"{name}_ym"] = np.asarray(layer(x, mask=mask))
    np.savez(OUT, **out)
    print("wrote", OUT, "with keras", keras.__version__)


if __name__ == "__main__":
    main()
