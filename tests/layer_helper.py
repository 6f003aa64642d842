"""A shared check for Keras layers (in the spirit of Keras' `run_layer_test`).

For one layer class and configuration it checks: building on the first call, the output shape
against `compute_output_shape` (and an expected shape), the weight counts, the config
round-trip, get_weights/set_weights, and that one short training run through the layer reduces
the loss.
"""
import numpy as np

import ktensor as kt
from ktensor import keras


def _fresh(layer_cls, config):
    config = dict(config)
    config.pop("name", None)
    return layer_cls.from_config(config)


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape=None, input_dtype="float32",
                   expected_num_trainable_weights=None, expected_num_non_trainable_weights=0,
                   run_training_check=True, seed=0, input_data=None):
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)
    x = rng.normal(size=input_shape).astype(input_dtype) if input_data is None else np.asarray(input_data)

    # Construction stores configuration only.
    layer = layer_cls(**init_kwargs)
    assert not layer.built
    assert layer.weights == []

    # Config round-trip, before and after building.
    config = layer.get_config()
    assert layer_cls.from_config(config).get_config() == config

    # Building on the first call; output shape agrees with compute_output_shape.
    y = layer(x)
    assert layer.built
    assert isinstance(y, kt.Tensor)
    assert tuple(y.shape) == tuple(layer.compute_output_shape(input_shape))
    symbolic = layer.compute_output_shape((None,) + tuple(input_shape[1:]))
    assert symbolic[0] is None and tuple(symbolic[1:]) == tuple(y.shape[1:])
    if expected_output_shape is not None:
        assert tuple(y.shape) == tuple(expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    assert layer.get_config() == config
    assert layer.count_params() == sum(int(np.prod(w.shape)) for w in layer.weights)

    # get_weights / set_weights: a copy with the same weights computes the same function.
    clone = _fresh(layer_cls, config)
    clone(x)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(clone(x, training=False).numpy(), layer(x, training=False).numpy(), rtol=1e-6,
                               atol=1e-6)

    if run_training_check:
        _check_training(layer_cls, config, x, rng)
    return layer


def _check_training(layer_cls, config, x, rng):
    """A few SGD steps on a regression target through the layer reduce the loss."""
    inner = _fresh(layer_cls, config)
    model = keras.Sequential([keras.Input(x.shape[1:]), inner, keras.layers.Flatten(), keras.layers.Dense(1)])
    target = rng.normal(size=(x.shape[0], 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    before_weights = inner.get_weights()
    before = model.evaluate(x, target, verbose=0)
    for _ in range(5):
        model.train_on_batch(x, target)
    after = model.evaluate(x, target, verbose=0)
    assert after < before, f"{layer_cls.__name__}: loss did not decrease ({before} -> {after})"
    for w0, w1 in zip(before_weights, inner.get_weights()):  # gradients reached the layer's own weights
        assert not np.array_equal(w0, w1)
