"""Writes tests/fixtures/keras_layers_*: small models of the convolutional, pooling, normalization,
embedding and recurrent layers, trained a little and saved by real Keras 3 (TensorFlow backend),
with their inputs and Keras' predictions, for tests/test_keras_layer_fixtures.py. Needs keras; from
the repo root:

    python tools/make_keras_layer_fixtures.py
"""
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
from keras import layers  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def image_model():
    inp = keras.Input((9, 11, 3), name="img")
    h = layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inp)
    h = layers.BatchNormalization(name="bn")(h)
    h = layers.Conv2D(4, (2, 3), strides=2, dilation_rate=1, name="c2")(h)
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw")(h)
    h = layers.SeparableConv2D(5, 3, padding="same", activation="tanh", name="sep")(h)
    h = layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="tr")(h)
    h = layers.MaxPooling2D(2, name="mp")(h)
    h = layers.AveragePooling2D(2, strides=1, padding="same", name="ap")(h)
    g = layers.GlobalAveragePooling2D(name="gap")(h)
    g2 = layers.GlobalMaxPooling2D(name="gmp")(h)
    z = layers.Concatenate(name="cat")([g, g2])
    z = layers.LayerNormalization(name="ln")(z)
    out = layers.Dense(3, activation="softmax", name="out")(z)
    return keras.Model(inp, out, name="image")


def sequence_model():
    inp = keras.Input((7,), dtype="int32", name="tokens")
    h = layers.Embedding(20, 6, mask_zero=True, name="emb")(inp)
    h = layers.Bidirectional(layers.LSTM(5, return_sequences=True, name="lstm"), name="bi")(h)
    h = layers.GRU(4, return_sequences=True, name="gru")(h)
    h = layers.SimpleRNN(3, name="rnn")(h)
    out = layers.Dense(2, name="out")(h)
    return keras.Model(inp, out, name="sequence")


def conv1d_model():
    return keras.Sequential([
        keras.Input((13, 2)),
        layers.Conv1D(4, 3, padding="same", activation="relu", name="c1"),
        layers.MaxPooling1D(2, name="mp"),
        layers.Conv1D(3, 2, dilation_rate=2, name="c2"),
        layers.AveragePooling1D(2, padding="same", name="ap"),
        layers.GRU(4, reset_after=False, go_backwards=True, name="gru"),
        layers.Dense(1, name="out"),
    ], name="conv1d")


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    data = {
        "image": rng.rand(8, 9, 11, 3).astype("float32"),
        "sequence": np.where(rng.rand(8, 7) < 0.3, 0, rng.randint(1, 20, (8, 7))).astype("int32"),
        "conv1d": rng.rand(8, 13, 2).astype("float32"),
    }
    data["sequence"][:, -2:] = 0  # trailing padding, so the mask matters
    targets = {"image": rng.randint(0, 3, 8), "sequence": rng.rand(8, 2).astype("float32"),
               "conv1d": rng.rand(8, 1).astype("float32")}
    losses = {"image": "sparse_categorical_crossentropy", "sequence": "mse", "conv1d": "mse"}
    expected = {}
    for name, make in (("image", image_model), ("sequence", sequence_model), ("conv1d", conv1d_model)):
        m = make()
        m.compile(optimizer="adam", loss=losses[name])
        m.fit(data[name], targets[name], epochs=2, batch_size=4, verbose=0)
        m.save(os.path.join(OUT, f"keras_layers_{name}.keras"))
        m.save(os.path.join(OUT, f"keras_layers_{name}.h5"))
        expected[f"{name}_x"] = data[name]
        expected[f"{name}_y"] = m.predict(data[name], verbose=0)
    np.savez(os.path.join(OUT, "keras_layers_expected.npz"), **expected)
    print("wrote keras_layers_* with keras", keras.__version__)


if __name__ == "__main__":
    main()
