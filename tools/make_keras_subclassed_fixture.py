"""Writes tests/fixtures/keras_subclassed.weights.h5 (and keras_subclassed_expected.npz: inputs and
predictions): a subclassed Keras 3 model with a list of layers, a user layer holding sub-layers and a
nested Sequential, trained one epoch and saved by real Keras (TensorFlow backend), for
tests/test_summary.py. The classes match those the test defines for ktensor. Run from the repo root:

    python tools/make_keras_subclassed_fixture.py
"""
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
L = keras.layers


class Block(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = L.Dense(4, activation="tanh")
        self.b = L.Dense(4)

    def call(self, x):
        return self.b(self.a(x)) + x


class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(4, activation="relu")
        self.blocks = [Block(), Block()]
        self.drop = L.Dropout(0.1)
        self.head = keras.Sequential([L.Dense(6, activation="relu"), L.Dense(3)])

    def call(self, x, training=None):
        x = self.hidden(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.drop(x, training=training))


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(16, 5).astype("float32")
    model = Net()
    model.compile(optimizer="adam", loss="mean_squared_error")
    model.fit(x, rng.rand(16, 3).astype("float32"), epochs=1, batch_size=8, verbose=0)
    model.save_weights(os.path.join(OUT, "keras_subclassed.weights.h5"))
    np.savez(os.path.join(OUT, "keras_subclassed_expected.npz"), x=x, y=np.asarray(model.predict(x, verbose=0)),
             iterations=int(model.optimizer.iterations.numpy()))


if __name__ == "__main__":
    main()
