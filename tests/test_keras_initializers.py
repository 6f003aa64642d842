import math

import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import initializers

SHAPE = (200, 300)  # fan_in 200, fan_out 300: 60,000 draws


@pytest.mark.parametrize("shape,fans", [((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)),
                                        ((3, 3, 4, 8), (36, 72)), ((2, 5, 6), (10, 12))])
def test_fan_computation(shape, fans):
    assert initializers.compute_fans(shape) == fans


# (name, expected mean, expected std, check bounds)
def _cases():
    fan_in, fan_out = SHAPE
    avg = (fan_in + fan_out) / 2
    return [
        ("glorot_uniform", math.sqrt(6 / (fan_in + fan_out)) / math.sqrt(3), math.sqrt(6 / (fan_in + fan_out))),
        ("glorot_normal", math.sqrt(1 / avg), 2 * math.sqrt(1 / avg) / 0.87962566103423978),
        ("he_uniform", math.sqrt(6 / fan_in) / math.sqrt(3), math.sqrt(6 / fan_in)),
        ("he_normal", math.sqrt(2 / fan_in), 2 * math.sqrt(2 / fan_in) / 0.87962566103423978),
        ("lecun_uniform", math.sqrt(3 / fan_in) / math.sqrt(3), math.sqrt(3 / fan_in)),
        ("lecun_normal", math.sqrt(1 / fan_in), 2 * math.sqrt(1 / fan_in) / 0.87962566103423978),
        ("random_normal", 0.05, None),
        ("random_uniform", 0.1 / math.sqrt(12), 0.05),
        ("truncated_normal", 0.05 * 0.87962566103423978, 0.1),
    ]


@pytest.mark.parametrize("name,std,bound", _cases())
def test_statistics(name, std, bound):
    keras.utils.set_random_seed(0)
    w = initializers.get(name)(SHAPE).numpy()
    assert w.shape == SHAPE and w.dtype == np.float32
    assert abs(w.mean()) < 0.05 * std + 1e-4
    np.testing.assert_allclose(w.std(), std, rtol=0.03)
    if bound is not None:
        assert np.abs(w).max() <= bound * (1 + 1e-5)


def test_constant_zeros_ones():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("ones")((4,)).numpy(), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)).numpy(), [2.5, 2.5])


def test_variance_scaling_options():
    keras.utils.set_random_seed(1)
    w = initializers.VarianceScaling(scale=3.0, mode="fan_out", distribution="untruncated_normal")((100, 400))
    np.testing.assert_allclose(w.numpy().std(), math.sqrt(3.0 / 400), rtol=0.03)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan")


def test_seeds():
    a = initializers.GlorotUniform(seed=3)((5, 5)).numpy()
    b = initializers.GlorotUniform(seed=3)((5, 5)).numpy()
    np.testing.assert_array_equal(a, b)  # a seeded initializer repeats itself, as Keras documents
    keras.utils.set_random_seed(7)
    c = initializers.GlorotUniform()((5, 5)).numpy()
    d = initializers.GlorotUniform()((5, 5)).numpy()
    assert not np.array_equal(c, d)
    keras.utils.set_random_seed(7)
    np.testing.assert_array_equal(initializers.GlorotUniform()((5, 5)).numpy(), c)


def test_same_seed_same_model_weights():
    def weights():
        keras.utils.set_random_seed(42)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
        return m.get_weights()

    for a, b in zip(weights(), weights()):
        np.testing.assert_array_equal(a, b)


def test_get_serialize_and_errors():
    init = initializers.get("he_normal")
    assert isinstance(init, initializers.HeNormal)
    config = initializers.serialize(initializers.RandomNormal(mean=1.0, stddev=2.0, seed=4))
    assert config == {"module": "keras.initializers", "class_name": "RandomNormal",
                      "config": {"mean": 1.0, "stddev": 2.0, "seed": 4}, "registered_name": None}
    again = initializers.get(config)
    assert isinstance(again, initializers.RandomNormal) and again.get_config() == config["config"]
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 'glorot'.*glorot_uniform"):
        initializers.get("glorot")
