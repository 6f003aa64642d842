import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import metrics

rng = np.random.default_rng(0)


@pytest.mark.parametrize("n", [1, 7, 73])
def test_metric_functions_against_numpy(n):
    c = 4
    labels = rng.integers(0, c, n)
    p = rng.random((n, c)).astype("float32")
    onehot = np.eye(c, dtype="float32")[labels]
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels, p).numpy(),
                                  (p.argmax(-1) == labels).astype("float32"))
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels[:, None].astype("float32"), p).numpy(),
                                  (p.argmax(-1) == labels).astype("float32"))
    np.testing.assert_array_equal(metrics.categorical_accuracy(onehot, p).numpy(),
                                  (p.argmax(-1) == labels).astype("float32"))
    t = (rng.random((n, 1)) > 0.5).astype("float32")
    q = rng.random((n, 1)).astype("float32")
    np.testing.assert_array_equal(metrics.binary_accuracy(t, q).numpy(), (t == (q > 0.5)).mean(-1))
    np.testing.assert_array_equal(metrics.binary_accuracy(t[:, 0], q, threshold=0.7).numpy(),
                                  (t == (q > 0.7)).mean(-1))


def test_stateful_accumulation_and_reset():
    m = metrics.SparseCategoricalAccuracy()
    hits = 0
    for n in (5, 3, 9):
        labels = rng.integers(0, 3, n)
        p = rng.random((n, 3)).astype("float32")
        hits += (p.argmax(-1) == labels).sum()
        m.update_state(labels, p)
    np.testing.assert_allclose(float(m.result()), hits / 17, rtol=1e-6)
    assert all(isinstance(v, kt.Variable) for v in m.variables)
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mean_with_sample_weight():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    m.update_state([10.0], sample_weight=[2.0])
    np.testing.assert_allclose(float(m.result()), (1 + 2 + 3 + 20) / 5)
    m2 = metrics.Mean()
    m2.update_state(4.0, sample_weight=3)
    m2.update_state(1.0, sample_weight=1)
    np.testing.assert_allclose(float(m2.result()), 13 / 4)
    assert float(metrics.Mean()(np.array([2.0, 4.0]))) == 3.0


def test_update_state_does_not_read_the_device(monkeypatch):
    m = metrics.CategoricalAccuracy()
    t, p = np.eye(3, dtype="float32"), rng.random((3, 3)).astype("float32")
    t, p = kt.constant(t), kt.constant(p)

    def no_sync(*a, **k):
        raise AssertionError("host read inside update_state")

    monkeypatch.setattr(kt.Tensor, "numpy", no_sync)
    monkeypatch.setattr(kt.Tensor, "item", no_sync)
    monkeypatch.setattr(kt.Variable, "numpy", no_sync)
    m.update_state(t, p)
    m.update_state(t, p)
    monkeypatch.undo()
    assert 0 <= float(m.result()) <= 1


def test_classes_names_and_config():
    assert metrics.BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                                     "threshold": 0.5}
    assert metrics.SparseCategoricalAccuracy().name == "sparse_categorical_accuracy"
    assert metrics.CategoricalAccuracy.from_config(metrics.CategoricalAccuracy(name="ca").get_config()).name == "ca"
    assert metrics.get("categorical_accuracy") is metrics.categorical_accuracy
    assert isinstance(metrics.get("BinaryAccuracy"), metrics.BinaryAccuracy)
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'acuracy'.*accuracy"):
        metrics.get("acuracy")


def _compiled(loss, out_units, y, metric="accuracy"):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(out_units, activation="sigmoid" if
                              out_units == 1 else "softmax")])
    model.compile("sgd", loss, metrics=[metric])
    x = rng.normal(size=(len(y), 3)).astype("float32")
    model.evaluate(x, y, verbose=0)
    return model, x


@pytest.mark.parametrize("loss,units,labels,expected", [
    ("binary_crossentropy", 1, (rng.random((8, 1)) > 0.5).astype("float32"), metrics.binary_accuracy),
    ("sparse_categorical_crossentropy", 3, rng.integers(0, 3, 8), metrics.sparse_categorical_accuracy),
    ("categorical_crossentropy", 3, np.eye(3, dtype="float32")[rng.integers(0, 3, 8)], metrics.categorical_accuracy),
    ("mse", 1, rng.random((8, 1)).astype("float32"), metrics.binary_accuracy),
])
def test_accuracy_string_resolution(loss, units, labels, expected):
    for name in ("accuracy", "acc"):
        model, x = _compiled(loss, units, labels, name)
        m = model.metrics[1]
        assert m.name == name and m._fn is expected
        p = model.predict(x, verbose=0)
        np.testing.assert_allclose(model.evaluate(x, labels, verbose=0)[1], expected(labels, p).numpy().mean(),
                                   rtol=1e-6)


def test_metrics_reset_each_epoch():
    x = rng.normal(size=(20, 3)).astype("float32")
    y = rng.integers(0, 2, 20)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=3, verbose=0, shuffle=False).history
    # lr 0: the model does not change, so each epoch's (reset) metrics are identical
    assert len(set(h["accuracy"])) == 1 and len(set(np.round(h["loss"], 6))) == 1
