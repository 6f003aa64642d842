"""A small convnet and a small LSTM trained end to end on the CPU reach known accuracies (seconds each)."""
import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers


@pytest.mark.slow
def test_convnet_learns_the_bundled_digits():
    keras.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = x_train[..., None].astype("float32") / 16.0
    x_test = x_test[..., None].astype("float32") / 16.0
    with kt.device("cpu"):
        model = keras.Sequential([
            keras.Input((8, 8, 1)),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=64, epochs=8, verbose=0)
        loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.95, (loss, accuracy)


@pytest.mark.slow
def test_lstm_learns_to_remember_the_first_step():
    """The label is the first element of a 10-step binary sequence: only a working memory gets it right."""
    keras.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, size=(1200, 10, 1)).astype("float32")
    y = x[:, 0, 0].copy()
    with kt.device("cpu"):
        model = keras.Sequential([keras.Input((10, 1)), layers.LSTM(16), layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
        before = model.evaluate(x[1000:], y[1000:], verbose=0)[1]
        model.fit(x[:1000], y[:1000], batch_size=50, epochs=12, verbose=0)
        accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)[1]
    assert before < 0.75 and accuracy > 0.95, (before, accuracy)
