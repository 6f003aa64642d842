"""Writes tests/fixtures/: small models trained and saved by real Keras 3 (TensorFlow backend),
with the inputs and Keras' predictions, for tests/test_saving.py. Needs keras; run from the repo root:

    python tools/make_keras_fixtures.py
"""
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.rand(16, 6).astype("float32")
    y = rng.randint(0, 3, 16)

    seq = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.1),
                            keras.layers.Dense(3, activation="softmax")], name="seq")
    seq.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    seq.fit(x, y, epochs=2, batch_size=8, verbose=0)

    inp = keras.Input((6,), name="inp")
    a = keras.layers.Dense(4, activation="tanh", name="a")(inp)
    b = keras.layers.Dense(4, name="b")(inp)
    h = keras.layers.Concatenate(name="cat")([keras.layers.Add(name="add")([a, b]), a])
    h = keras.layers.Activation("relu")(h)
    out = keras.layers.Dense(2, name="out")(h)
    fn = keras.Model(inp, out, name="fn")
    fn.compile(optimizer=keras.optimizers.RMSprop(momentum=0.9, centered=True), loss="mean_squared_error")
    fn.fit(x, rng.rand(16, 2).astype("float32"), epochs=1, batch_size=8, verbose=0)

    seq.save(os.path.join(OUT, "keras_seq.keras"))
    seq.save(os.path.join(OUT, "keras_seq.h5"))
    seq.save_weights(os.path.join(OUT, "keras_seq.weights.h5"))
    fn.save(os.path.join(OUT, "keras_fn.keras"))
    fn.save(os.path.join(OUT, "keras_fn.h5"))
    np.savez(os.path.join(OUT, "keras_expected.npz"), x=x, seq=seq.predict(x, verbose=0), fn=fn.predict(x, verbose=0),
             seq_iterations=int(seq.optimizer.iterations.numpy()), fn_iterations=int(fn.optimizer.iterations.numpy()),
             seq_opt=np.stack([v.numpy().ravel()[:3] for v in seq.optimizer.variables[2:4]]))
    print("wrote", sorted(os.listdir(OUT)), "with keras", keras.__version__)


if __name__ == "__main__":
    main()
