import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers


def blobs(n=600, seed=0):
    """Three well separated Gaussian clusters in 4-D: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], "float32")
    x = centers[y] + rng.normal(scale=0.5, size=(n, 4)).astype("float32")
    return x.astype("float32"), y


def classifier(seed=0, dropout=0.0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(16, activation="relu"), layers.Dropout(dropout),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_evaluate_predict_learn():
    x, y = blobs()
    model = classifier()
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0, validation_split=0.2)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in h.values())
    assert h["loss"][-1] < h["loss"][0] and h["accuracy"][-1] > 0.9 and h["val_accuracy"][-1] > 0.9
    assert model.history is history and history.epoch == list(range(8))
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    probs = model.predict(x, batch_size=50, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (600, 3)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)
    np.testing.assert_allclose(acc, np.mean(probs.argmax(1) == y), rtol=1e-6)
    assert model.metrics_names == ["loss", "accuracy"]


def test_regression_with_validation_data_and_lists():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3
    keras.utils.set_random_seed(1)
    model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    h = model.fit(x.tolist(), y.tolist(), epochs=20, verbose=0, validation_data=(x[:64], y[:64])).history
    assert h["loss"][-1] < 1e-3 and "val_mae" in h
    assert model.evaluate(kt.constant(x), kt.constant(y), verbose=0)[0] < 1e-3
    assert isinstance(model.evaluate(x, y, verbose=0, return_dict=True), dict)
    model.compile("sgd", "mse")
    assert np.isscalar(model.evaluate(x, y, verbose=0))  # no metrics: a scalar


def test_model_builds_from_first_batch_and_uses_integer_inputs():
    x = np.random.default_rng(0).integers(0, 16, size=(64, 8, 8)).astype("uint8")
    y = np.random.default_rng(1).integers(0, 10, 64).astype("uint8")
    model = keras.Sequential([layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    h = model.fit(x, y, epochs=1, verbose=0)
    assert model.built and model.layers[1].kernel.shape == (64, 10) and "acc" in h.history


def test_reproducible_after_set_seed():
    x, y = blobs(200)

    def run():
        model = classifier(seed=3, dropout=0.3)
        h = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=True).history
        return h["loss"], model.get_weights()

    (l1, w1), (l2, w2) = run(), run()
    assert l1 == l2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_on_batch_methods():
    x, y = blobs(64)
    model = classifier()
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    out = model.predict_on_batch(x[:5])
    assert out.shape == (5, 3)


def test_callbacks_see_logs_and_can_stop_training():
    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events, self.batch_losses = [], []

        def on_train_begin(self, logs=None):
            self.events.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            self.events.append(f"epoch_begin_{epoch}")

        def on_train_batch_end(self, batch, logs=None):
            self.batch_losses.append(logs["loss"])

        def on_epoch_end(self, epoch, logs=None):
            self.events.append(f"epoch_end_{epoch}")
            assert set(logs) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
            if epoch == 1:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            self.events.append("train_end")

    x, y = blobs(96)
    rec = Recorder()
    h = classifier().fit(x, y, batch_size=32, epochs=5, verbose=0, callbacks=[rec], validation_data=(x, y))
    assert rec.events == ["train_begin", "epoch_begin_0", "epoch_end_0", "epoch_begin_1", "epoch_end_1",
                          "train_end"]
    assert len(rec.batch_losses) == 6 and all(isinstance(v, float) for v in rec.batch_losses)
    assert len(h.history["loss"]) == 2


def test_train_step_has_no_host_reads(monkeypatch):
    x, y = blobs(64)
    model = classifier(dropout=0.2)
    trainer = model._trainer
    batch = [kt.constant(x[:32]), kt.constant(y[:32].astype("int32"))]
    trainer.train_step(*batch)  # builds the optimizer's slots

    def no_sync(*a, **k):
        raise AssertionError("host read inside the train step")

    for name in ("numpy", "item", "__float__", "__bool__", "__int__", "__index__"):
        monkeypatch.setattr(kt.Tensor, name, no_sync)
    monkeypatch.setattr(kt.Variable, "numpy", no_sync)
    trainer.train_step(*batch)
    trainer.test_step(*batch)
    monkeypatch.undo()
    assert np.isfinite(float(trainer.loss_tracker.result()))


def test_sample_weight_changes_the_loss():
    x, y = blobs(64)
    model = classifier()
    sw = np.zeros(64, "float32")
    sw[:8] = 1
    full = model.evaluate(x, y, verbose=0)[0]
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0)[0]
    per = keras.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0)).numpy()
    np.testing.assert_allclose(full, per.mean(), rtol=1e-5)
    np.testing.assert_allclose(weighted, (per * sw).sum() / 64, rtol=1e-5)


def test_regularization_losses_are_added():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_regularizer=keras.regularizers.L2(0.5))])
    model.compile("sgd", "mse")
    k, b = model.get_weights()
    mse = np.mean((x @ k + b - y) ** 2)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), mse + 0.5 * np.sum(k ** 2), rtol=1e-5)


# -- bad input --
def test_length_mismatch_names_both_lengths():
    model = classifier()
    with pytest.raises(ValueError, match="x has 100 but y has 90"):
        model.fit(np.zeros((100, 4), "float32"), np.zeros(90, "int32"), verbose=0)
    with pytest.raises(ValueError, match="x has 10 but y has 9"):
        model.evaluate(np.zeros((10, 4), "float32"), np.zeros(9, "int32"), verbose=0)


def test_sparse_label_errors_in_fit():
    model = classifier()
    x = np.zeros((4, 4), "float32")
    with pytest.raises(ValueError, match=r"label value of 3 .*\[0, 3\)"):
        model.fit(x, np.array([0, 1, 3, 2]), verbose=0)
    with pytest.raises(ValueError, match="non-integer"):
        model.fit(x, np.array([0.0, 1.0, 1.5, 2.0]), verbose=0)
    model.fit(x, np.array([0.0, 1.0, 2.0, 2.0]), verbose=0)  # whole-number floats are fine


def test_unknown_names_list_valid_ones():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="optimizer identifier: 'adamx'.*adam"):
        model.compile("adamx", "mse")
    with pytest.raises(ValueError, match="loss identifier: 'mse2'.*mean_squared_error"):
        model.compile("adam", "mse2")
    with pytest.raises(ValueError, match="metric identifier: 'acuracy'.*accuracy"):
        model.compile("adam", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="activation function identifier: 'relux'.*relu"):
        layers.Dense(2, activation="relux")
    with pytest.raises(ValueError, match="initializer identifier: 'glorot'.*glorot_uniform"):
        layers.Dense(2, kernel_initializer="glorot")


def test_fit_requires_compile_and_valid_arguments():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)))
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), batch_size=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.zeros((2, 2)), np.zeros((2, 1)), validation_split=1.5)
    assert model.predict(np.zeros((3, 2)), verbose=0).shape == (3, 1)  # predict works uncompiled too


def test_rank_one_inputs_fit_a_declared_input_of_width_one():
    """Keras 2 scripts feed x of shape (n,) to a model declared with input_shape=[1]."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(units=1, input_shape=[1])])
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="mean_squared_error")
    model.fit(x=[1, 2, 3, 4], y=[1, 2, 3, 4], epochs=300, verbose=0)
    p = model.predict([10.0], verbose=0)
    assert p.shape == (1, 1) and abs(float(p[0][0]) - 10.0) < 0.5
    assert model.compute_output_shape((None,)) == (None, 1)
