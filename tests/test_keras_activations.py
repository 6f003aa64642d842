import math

import numpy as np
import pytest

import ktensor as kt
from ktensor.keras import activations

x = np.linspace(-4, 4, 73).astype("float32").reshape(1, 73)
erf = np.vectorize(math.erf)


def sig(v):
    return 1 / (1 + np.exp(-v))


REFERENCES = {
    "relu": lambda v: np.maximum(v, 0),
    "relu6": lambda v: np.clip(v, 0, 6),
    "leaky_relu": lambda v: np.where(v > 0, v, 0.2 * v),
    "elu": lambda v: np.where(v > 0, v, np.exp(v) - 1),
    "selu": lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * (np.exp(v) - 1)),
    "gelu": lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))),
    "sigmoid": sig,
    "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1),
    "tanh": np.tanh,
    "softplus": lambda v: np.log1p(np.exp(v)),
    "softsign": lambda v: v / (1 + np.abs(v)),
    "silu": lambda v: v * sig(v),
    "swish": lambda v: v * sig(v),
    "softmax": lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True),
    "log_softmax": lambda v: v - np.log(np.exp(v).sum(-1, keepdims=True)),
    "linear": lambda v: v,
    "exponential": np.exp,
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_activation_by_name_matches_numpy(name):
    fn = activations.get(name)
    out = fn(kt.constant(x))
    np.testing.assert_allclose(np.asarray(out.numpy() if hasattr(out, "numpy") else out), REFERENCES[name](x),
                               rtol=1e-4, atol=1e-5)


def test_relu_options():
    out = activations.relu(kt.constant(x), negative_slope=0.1, max_value=2.0, threshold=0.5).numpy()
    ref = np.where(x >= 0.5, np.minimum(x, 2.0), 0.1 * (x - 0.5))
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)


def test_get_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    f = lambda v: v  # noqa: E731
    assert activations.get(f) is f
    assert activations.get(kt.nn.softmax) is activations.softmax  # so losses can use the fused path
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.get("swish")) == "silu"
    assert activations.deserialize("tanh") is activations.tanh
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: 'rellu'.*relu"):
        activations.get("rellu")
