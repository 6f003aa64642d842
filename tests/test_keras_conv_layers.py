"""Keras convolution layers: run_layer_test for each, their numbers against the numpy reference
of test_ops_conv, Keras 3 configs and weight shapes, saving, and bad input."""
import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers
from layer_helper import run_layer_test
from test_ops_conv import ref_conv, ref_depthwise, ref_pads, ref_transpose

L = keras.layers


@pytest.mark.parametrize("cls,kwargs,shape,out", [
    (L.Conv2D, dict(filters=4, kernel_size=3), (2, 7, 9, 3), (2, 5, 7, 4)),
    (L.Conv2D, dict(filters=6, kernel_size=(3, 1), strides=2, padding="same", groups=3, activation="relu"),
     (2, 7, 5, 3), (2, 4, 3, 6)),
    (L.Conv2D, dict(filters=2, kernel_size=2, dilation_rate=2, data_format="channels_first"), (2, 3, 7, 6),
     (2, 2, 5, 4)),
    (L.Conv1D, dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), (2, 11, 4), (2, 11, 3)),
    (L.Conv1D, dict(filters=4, kernel_size=2, strides=3, padding="same", use_bias=False), (3, 13, 2), (3, 5, 4)),
    (L.Conv2DTranspose, dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 4, 2), (2, 10, 8, 3)),
    (L.Conv2DTranspose, dict(filters=2, kernel_size=(3, 2), strides=3, output_padding=(1, 2)), (2, 3, 4, 3),
     (2, 10, 13, 2)),
    (L.DepthwiseConv2D, dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 7, 5, 3), (2, 7, 5, 6)),
    (L.SeparableConv2D, dict(filters=4, kernel_size=3, strides=2, depth_multiplier=2), (2, 9, 7, 3), (2, 4, 3, 4)),
])
def test_run_layer_test(cls, kwargs, shape, out):
    n_weights = {L.SeparableConv2D: 3}.get(cls, 2) - (0 if kwargs.get("use_bias", True) else 1)
    run_layer_test(cls, kwargs, shape, expected_output_shape=out, expected_num_trainable_weights=n_weights)


def _layer(cls, x, **kwargs):
    layer = cls(**kwargs)
    layer(x)
    r = np.random.default_rng(5)
    layer.set_weights([r.uniform(-1, 1, w.shape).astype(np.float32) for w in layer.get_weights()])
    return layer, [w.astype(np.float64) for w in layer.get_weights()]


def test_conv2d_numbers():
    x = np.random.default_rng(0).normal(size=(2, 9, 7, 4)).astype(np.float32)
    layer, (k, b) = _layer(L.Conv2D, x, filters=6, kernel_size=3, strides=2, padding="same", groups=2)
    pads = ref_pads("SAME", 9, 3, 2, 1) + ref_pads("SAME", 7, 3, 2, 1)
    np.testing.assert_allclose(layer(x).numpy(), ref_conv(x.astype(np.float64), k, [2, 2], pads, [1, 1], 2) + b,
                               rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


def test_conv1d_causal_numbers():
    x = np.random.default_rng(1).normal(size=(2, 10, 3)).astype(np.float32)
    layer, (k, b) = _layer(L.Conv1D, x, filters=4, kernel_size=3, padding="causal", dilation_rate=2)
    expected = ref_conv(x[:, None].astype(np.float64), k[None], [1, 1], (0, 0, 4, 0), [1, 2], 1)[:, 0] + b
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("strides,padding,output_padding", [(2, "same", None), (2, "valid", 1), (3, "same", 2),
                                                            (1, "valid", None), (3, "valid", None)])
def test_conv2d_transpose_numbers(strides, padding, output_padding):
    x = np.random.default_rng(2).normal(size=(2, 5, 4, 3)).astype(np.float32)
    layer, (k, b) = _layer(L.Conv2DTranspose, x, filters=4, kernel_size=3, strides=strides, padding=padding,
                           output_padding=output_padding)
    # Keras 3: out = (in - 1) * s + k - 2 * pad + output_padding, pad = k // 2 for same; with
    # output_padding None the output is in * s (same) or (in - 1) * s + max(k, s) (valid).
    pad = 1 if padding == "same" else 0
    if output_padding is None:
        hw = [n * strides if padding == "same" else (n - 1) * strides + max(3, strides) for n in (5, 4)]
    else:
        hw = [(n - 1) * strides + 3 - 2 * pad + output_padding for n in (5, 4)]
    # what TensorFlow crops: the SAME padding of the forward conv over the output size
    crop = [ref_pads("SAME", n, 3, strides, 1)[0] if padding == "same" else 0 for n in hw]
    y = layer(x).numpy()
    assert y.shape == (2, hw[0], hw[1], 4)
    expected = ref_transpose(x.astype(np.float64), k, hw, [strides] * 2, crop, [1, 1]) + b
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_depthwise_and_separable_numbers():
    x = np.random.default_rng(3).normal(size=(2, 8, 7, 3)).astype(np.float32)
    pads = ref_pads("SAME", 8, 3, 1, 1) + ref_pads("SAME", 7, 3, 1, 1)
    layer, (k, b) = _layer(L.DepthwiseConv2D, x, kernel_size=3, depth_multiplier=2, padding="same")
    np.testing.assert_allclose(layer(x).numpy(), ref_depthwise(x.astype(np.float64), k, [1, 1], pads, [1, 1]) + b,
                               rtol=1e-5, atol=1e-5)
    layer, (dk, pk, b) = _layer(L.SeparableConv2D, x, filters=5, kernel_size=3, depth_multiplier=2, padding="same")
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(w.shape) for w in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]
    expected = ref_depthwise(x.astype(np.float64), dk, [1, 1], pads, [1, 1]) @ pk[0, 0] + b
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_keras3_configs():
    c = L.Conv2D(4, 3).get_config()
    assert {k: c[k] for k in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
                              "groups", "activation", "use_bias")} == {
        "filters": 4, "kernel_size": (3, 3), "strides": (1, 1), "padding": "valid", "data_format": "channels_last",
        "dilation_rate": (1, 1), "groups": 1, "activation": "linear", "use_bias": True}
    assert set(c) == {"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format",
                      "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                      "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                      "bias_constraint"}
    t = L.Conv2DTranspose(4, 3).get_config()
    assert "groups" not in t and t["output_padding"] is None
    d = L.DepthwiseConv2D(3).get_config()
    assert d["depth_multiplier"] == 1 and "depthwise_initializer" in d and "filters" not in d
    s = L.SeparableConv2D(4, 3).get_config()
    assert {"depthwise_initializer", "pointwise_initializer", "pointwise_regularizer"} <= set(s)
    assert L.Conv1D(2, 3).get_config()["kernel_size"] == (3,)


def test_saving_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((12, 10, 3)), L.Conv2D(4, 3, activation="relu"),
                              L.DepthwiseConv2D(3, padding="same"), L.SeparableConv2D(3, 3),
                              L.Conv2DTranspose(2, 3, strides=2), layers.Flatten(), layers.Dense(2)])
    x = np.random.default_rng(4).normal(size=(2, 12, 10, 3)).astype(np.float32)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_bad_input_names_the_layer():
    conv = L.Conv2D(4, 3, name="conv2d_1")
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d_1' expects 4-D input \(batch, height, width, channels\), "
                                         r"got shape \(32, 28, 28\)"):
        conv(np.zeros((32, 28, 28), np.float32))
    assert not conv.built and conv.weights == []
    with pytest.raises(ValueError, match="Conv2D 'big'.*larger than"):
        L.Conv2D(2, 5, name="big")(np.zeros((1, 3, 7, 1), np.float32))
    with pytest.raises(ValueError, match="Conv2D 'c'.*strides"):
        L.Conv2D(2, 3, strides=0, name="c")
    with pytest.raises(ValueError, match="Conv1D 'c1'.*strides"):
        L.Conv1D(2, 3, strides=-1, name="c1")
    with pytest.raises(ValueError, match="Conv2D 'g'.*divisible by groups"):
        L.Conv2D(4, 3, groups=2, name="g")(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match="divisible by groups"):
        L.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(2, 3, padding="causal")
    built = L.Conv2D(2, 3, name="built")
    built(np.zeros((1, 5, 5, 3), np.float32))
    before = [w.copy() for w in built.get_weights()]
    with pytest.raises(ValueError, match="Conv2D 'built' was built for 3 input channels"):
        built(np.zeros((1, 5, 5, 4), np.float32))
    for a, b in zip(before, built.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Conv2DTranspose 't'.*output_padding"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2, name="t")
