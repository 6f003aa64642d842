import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import losses

EPS = 1e-7
rng = np.random.default_rng(0)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


@pytest.mark.parametrize("n,c", [(1, 3), (7, 1), (73, 5)])
def test_regression_losses(n, c):
    t, p = rng.normal(size=(n, c)).astype("float32"), rng.normal(size=(n, c)).astype("float32")
    np.testing.assert_allclose(losses.mean_squared_error(t, p).numpy(), ((t - p) ** 2).mean(-1), rtol=1e-5)
    np.testing.assert_allclose(losses.mean_absolute_error(t, p).numpy(), np.abs(t - p).mean(-1), rtol=1e-5)
    np.testing.assert_allclose(float(losses.MeanSquaredError()(t, p)), ((t - p) ** 2).mean(), rtol=1e-5)
    np.testing.assert_allclose(float(losses.MeanAbsoluteError()(t, p)), np.abs(t - p).mean(), rtol=1e-5)


def test_rank_matching_of_labels():
    t = rng.normal(size=(6,)).astype("float32")
    p = rng.normal(size=(6, 1)).astype("float32")
    np.testing.assert_allclose(float(losses.MeanSquaredError()(t, p)), ((t - p[:, 0]) ** 2).mean(), rtol=1e-5)


@pytest.mark.parametrize("n,c", [(1, 1), (7, 3), (73, 4)])
def test_binary_crossentropy(n, c):
    t = (rng.random((n, c)) > 0.5).astype("float32")
    z = rng.normal(size=(n, c)).astype("float32") * 3
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(losses.binary_crossentropy(t, p).numpy(), np_bce(t, p), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(losses.binary_crossentropy(t, z, from_logits=True).numpy(), np_bce(t, p),
                               rtol=1e-4, atol=1e-6)
    # keras sigmoid outputs take the fused logits path: same value, no clipping
    fused = losses.binary_crossentropy(t, keras.activations.sigmoid(kt.constant(z))).numpy()
    np.testing.assert_allclose(fused, np_bce(t, p), rtol=1e-4, atol=1e-6)
    ls = losses.BinaryCrossentropy(label_smoothing=0.2)(t, p)
    np.testing.assert_allclose(float(ls), np_bce(t * 0.8 + 0.1, p).mean(), rtol=1e-5)


def test_binary_crossentropy_clips_probabilities():
    t = np.array([[1.0], [0.0]], "float32")
    p = np.array([[0.0], [1.0]], "float32")
    v = losses.binary_crossentropy(t, p).numpy()
    assert np.all(np.isfinite(v))
    np.testing.assert_allclose(v, np_bce(t, p), rtol=1e-5)  # float32 clipping, as Keras
    assert v.min() > 15


@pytest.mark.parametrize("n,c", [(1, 2), (7, 3), (73, 10)])
def test_categorical_crossentropy(n, c):
    labels = rng.integers(0, c, n)
    t = np.eye(c, dtype="float32")[labels]
    z = rng.normal(size=(n, c)).astype("float32")
    p = softmax(z)
    np.testing.assert_allclose(losses.categorical_crossentropy(t, p).numpy(), np_cce(t, p), rtol=1e-5)
    np.testing.assert_allclose(losses.categorical_crossentropy(t, z, from_logits=True).numpy(), np_cce(t, p),
                               rtol=1e-4)
    fused = losses.categorical_crossentropy(t, keras.activations.softmax(kt.constant(z))).numpy()
    np.testing.assert_allclose(fused, np_cce(t, p), rtol=1e-4)
    sm = losses.CategoricalCrossentropy(label_smoothing=0.1)(t, p)
    np.testing.assert_allclose(float(sm), np_cce(t * 0.9 + 0.1 / c, p).mean(), rtol=1e-5)


@pytest.mark.parametrize("n,c", [(1, 2), (7, 3), (73, 10)])
def test_sparse_categorical_crossentropy(n, c):
    labels = rng.integers(0, c, n)
    z = rng.normal(size=(n, c)).astype("float32")
    p = softmax(z)
    ref = -np.log(np.clip(p, EPS, 1 - EPS)[np.arange(n), labels])
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p).numpy(), ref, rtol=1e-4)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels[:, None], p).numpy(), ref, rtol=1e-4)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, z, from_logits=True).numpy(), ref,
                               rtol=1e-4)
    fused = losses.SparseCategoricalCrossentropy()(labels, keras.activations.softmax(kt.constant(z)))
    np.testing.assert_allclose(float(fused), ref.mean(), rtol=1e-4)
    # whole-number float labels are accepted, as Keras casts them
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels.astype("float32"), p).numpy(), ref,
                               rtol=1e-4)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(kt.constant(labels.astype("float32")), p).numpy(), ref, rtol=1e-4)


def test_fused_path_is_stable_for_saturated_softmax():
    z = kt.constant([[100.0, -100.0, 0.0]])
    p = keras.activations.softmax(z)
    v = float(losses.sparse_categorical_crossentropy(np.array([1]), p)[0])
    np.testing.assert_allclose(v, 200.0, rtol=1e-5)  # the clipped path would give -log(1e-7) = 16.1


def test_sigmoid_output_is_not_mistaken_for_softmax():
    z = rng.normal(size=(4, 3)).astype("float32")
    p_sig = keras.activations.sigmoid(kt.constant(z))
    t = np.eye(3, dtype="float32")[[0, 1, 2, 0]]
    np.testing.assert_allclose(losses.categorical_crossentropy(t, p_sig).numpy(), np_cce(t, p_sig.numpy()),
                               rtol=1e-5)


def test_sparse_label_errors():
    p = softmax(rng.normal(size=(3, 4)).astype("float32"))
    with pytest.raises(ValueError, match="non-integer"):
        losses.sparse_categorical_crossentropy(np.array([0.0, 1.5, 2.0]), p)
    with pytest.raises(ValueError, match="non-integer"):
        losses.sparse_categorical_crossentropy(kt.constant([0.0, 1.5, 2.0]), p)
    with pytest.raises(ValueError, match=r"label value of 4 .*\[0, 4\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 4, 1]), p)
    with pytest.raises(ValueError, match=r"label value of -1"):
        losses.sparse_categorical_crossentropy(np.array([0, -1, 1]), p)
    with pytest.raises(ValueError):
        losses.sparse_categorical_crossentropy(kt.constant([0, 4, 1]), p)


def test_categorical_shape_mismatch_hints_sparse():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.array([0, 1]), softmax(np.zeros((2, 3), "float32")))


def test_reductions_and_sample_weight():
    t = rng.normal(size=(5, 2)).astype("float32")
    p = rng.normal(size=(5, 2)).astype("float32")
    per = ((t - p) ** 2).mean(-1)
    sw = np.array([1, 0, 2, 1, 0.5], "float32")
    np.testing.assert_allclose(losses.MeanSquaredError(reduction="none")(t, p).numpy(), per, rtol=1e-5)
    np.testing.assert_allclose(float(losses.MeanSquaredError(reduction="sum")(t, p)), per.sum(), rtol=1e-5)
    np.testing.assert_allclose(float(losses.MeanSquaredError()(t, p, sample_weight=sw)), (per * sw).sum() / 5,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="avg")


def test_get_and_config():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert isinstance(losses.get("SparseCategoricalCrossentropy"), losses.SparseCategoricalCrossentropy)
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    config = loss.get_config()
    assert config == {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True,
                      "label_smoothing": 0.1, "axis": -1}
    assert losses.CategoricalCrossentropy.from_config(config).get_config() == config
    assert isinstance(losses.get(losses.serialize(loss)), losses.CategoricalCrossentropy)
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert losses.get(fn) is fn
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'msee'.*mean_squared_error"):
        losses.get("msee")


def test_loss_gradient_through_fused_path():
    z = kt.Variable(rng.normal(size=(4, 3)).astype("float32"))
    labels = np.array([0, 2, 1, 2])
    with kt.GradientTape() as tape:
        loss = losses.SparseCategoricalCrossentropy()(labels, keras.activations.softmax(z))
    g = tape.gradient(loss, z).numpy()
    expected = (softmax(z.numpy()) - np.eye(3)[labels]) / 4
    np.testing.assert_allclose(g, expected, rtol=1e-4, atol=1e-6)
