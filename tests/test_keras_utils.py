import random

import numpy as np
import pytest

import ktensor as kt
from ktensor import keras


def test_to_categorical():
    out = keras.utils.to_categorical([1, 0, 2])
    np.testing.assert_array_equal(out, np.eye(3)[[1, 0, 2]])
    assert keras.utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)
    assert keras.utils.to_categorical([0, 1], num_classes=5).shape == (2, 5)
    assert keras.utils.to_categorical(np.zeros((2, 3), int), 2).shape == (2, 3, 2)
    with pytest.raises(ValueError):
        keras.utils.to_categorical([0, 5], num_classes=3)


def test_set_random_seed_seeds_everything():
    keras.utils.set_random_seed(11)
    a = (random.random(), np.random.rand(), kt.random.uniform((3,)).numpy())
    keras.utils.set_random_seed(11)
    b = (random.random(), np.random.rand(), kt.random.uniform((3,)).numpy())
    assert a[0] == b[0] and a[1] == b[1]
    np.testing.assert_array_equal(a[2], b[2])
    with pytest.raises(TypeError):
        keras.utils.set_random_seed(1.5)


def test_custom_training_loop_tf_style():
    """The TensorFlow 2 loop: GradientTape, a loss object, optimizer.apply_gradients."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    opt = keras.optimizers.Adam(0.05)
    acc = keras.metrics.SparseCategoricalAccuracy()
    losses = []
    for _ in range(30):
        with kt.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        losses.append(float(loss))
    acc.update_state(y, model(x))
    assert losses[-1] < 0.5 * losses[0] and float(acc.result()) > 0.9
    assert int(opt.iterations.numpy()) == 30


def test_keras_namespace():
    for name in ("Sequential", "Model", "Input", "layers", "models", "optimizers", "losses", "metrics",
                 "activations", "initializers", "utils", "backend", "callbacks", "datasets"):
        assert hasattr(keras, name), name
    from ktensor.keras.layers import Dense  # noqa: F401
    from ktensor.keras.models import Sequential  # noqa: F401
    assert keras.datasets.digits.load_data()[0][0].shape[1:] == (8, 8)
