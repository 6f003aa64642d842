"""Shape layers, Embedding, SpatialDropout and TimeDistributed: the shared layer check, numpy references
on odd shapes, gradients, clear errors, and a .keras round trip (ours and one written by Keras 3)."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import cuda_only, gradcheck, parity
from layer_helper import run_layer_test

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers

FIXTURES = Path(__file__).parent / "fixtures"
HAVE_KERAS = importlib.util.find_spec("keras") is not None


def _x(shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# -- the shared layer check for every layer --
@pytest.mark.parametrize("cls,kwargs,shape,out", [
    (layers.Reshape, {"target_shape": (-1, 3)}, (3, 7, 3), (3, 7, 3)),
    (layers.Reshape, {"target_shape": (13,)}, (1, 13, 1), (1, 13)),
    (layers.Permute, {"dims": (2, 1)}, (3, 7, 5), (3, 5, 7)),
    (layers.Permute, {"dims": (3, 1, 2)}, (2, 3, 7, 5), (2, 5, 3, 7)),
    (layers.RepeatVector, {"n": 3}, (7, 5), (7, 3, 5)),
    (layers.ZeroPadding1D, {"padding": (1, 3)}, (3, 7, 5), (3, 11, 5)),
    (layers.ZeroPadding1D, {"padding": 2, "data_format": "channels_first"}, (3, 5, 7), (3, 5, 11)),
    (layers.ZeroPadding2D, {"padding": ((1, 0), (2, 3))}, (3, 7, 5, 2), (3, 8, 10, 2)),
    (layers.ZeroPadding2D, {"padding": (1, 2), "data_format": "channels_first"}, (3, 2, 7, 5), (3, 2, 9, 9)),
    (layers.Cropping1D, {"cropping": (2, 1)}, (3, 7, 5), (3, 4, 5)),
    (layers.Cropping2D, {"cropping": ((1, 2), (0, 1))}, (3, 7, 5, 2), (3, 4, 4, 2)),
    (layers.Cropping2D, {"cropping": 1, "data_format": "channels_first"}, (3, 2, 7, 5), (3, 2, 5, 3)),
    (layers.UpSampling1D, {"size": 3}, (3, 7, 5), (3, 21, 5)),
    (layers.UpSampling2D, {"size": (2, 3)}, (3, 3, 2, 1), (3, 6, 6, 1)),
    (layers.UpSampling2D, {"size": 2, "interpolation": "bilinear"}, (3, 3, 1, 2), (3, 6, 2, 2)),
    (layers.UpSampling2D, {"size": (3, 1), "data_format": "channels_first", "interpolation": "bilinear"},
     (3, 1, 3, 2), (3, 1, 9, 2)),
    (layers.SpatialDropout1D, {"rate": 0.3, "seed": 1}, (3, 7, 5), (3, 7, 5)),
    (layers.SpatialDropout2D, {"rate": 0.3}, (3, 7, 5, 2), (3, 7, 5, 2)),
    (layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (3, 2, 7, 5), (3, 2, 7, 5)),
    (layers.Masking, {"mask_value": 0.5}, (3, 7, 5), (3, 7, 5)),
])
@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")  # Masking -> Flatten in the helper
def test_layer_helper(cls, kwargs, shape, out):
    run_layer_test(cls, kwargs, shape, expected_output_shape=out, expected_num_trainable_weights=0)


def test_embedding_layer_helper():
    ids = np.random.default_rng(0).integers(0, 13, size=(7, 3))
    run_layer_test(layers.Embedding, {"input_dim": 13, "output_dim": 5}, (7, 3), expected_output_shape=(7, 3, 5),
                   expected_num_trainable_weights=1, input_data=ids)


def test_time_distributed_layer_helper():
    layer = run_layer_test(layers.TimeDistributed, {"layer": layers.Dense(3)}, (5, 7, 4),
                           expected_output_shape=(5, 7, 3), expected_num_trainable_weights=2)
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    assert layer.weights == layer.layer.weights


# -- numpy references on odd shapes --
def test_reshape_permute_repeat_match_numpy():
    x = _x((3, 7, 5))
    np.testing.assert_array_equal(layers.Reshape((5, -1))(x).numpy(), x.reshape(3, 5, 7))
    np.testing.assert_array_equal(layers.Reshape((35,))(x).numpy(), x.reshape(3, 35))
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    x4 = _x((1, 3, 7, 5))
    np.testing.assert_array_equal(layers.Permute((3, 1, 2))(x4).numpy(), x4.transpose(0, 3, 1, 2))
    v = _x((7, 13))
    np.testing.assert_array_equal(layers.RepeatVector(3)(v).numpy(), np.repeat(v[:, None], 3, axis=1))
    assert layers.Reshape((-1, 5)).compute_output_shape((None, 7, 5)) == (None, 7, 5)
    assert layers.Reshape((-1, 5)).compute_output_shape((None, None, 5)) == (None, None, 5)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_padding_and_cropping_match_numpy(fmt):
    x1 = _x((3, 7, 5))
    np.testing.assert_array_equal(layers.ZeroPadding1D((2, 1), data_format=fmt)(x1).numpy(),
                                  np.pad(x1, [(0, 0), (2, 1), (0, 0)] if fmt == "channels_last"
                                         else [(0, 0), (0, 0), (2, 1)]))
    np.testing.assert_array_equal(layers.Cropping1D((1, 3))(x1).numpy(), x1[:, 1:4])
    x = _x((3, 7, 5, 2)) if fmt == "channels_last" else _x((3, 2, 7, 5))
    sp = (1, 2) if fmt == "channels_last" else (2, 3)
    pads = [(0, 0)] * 4
    pads[sp[0]], pads[sp[1]] = (1, 3), (2, 0)
    np.testing.assert_array_equal(layers.ZeroPadding2D(((1, 3), (2, 0)), data_format=fmt)(x).numpy(), np.pad(x, pads))
    pads[sp[0]], pads[sp[1]] = (2, 2), (1, 1)
    np.testing.assert_array_equal(layers.ZeroPadding2D((2, 1), data_format=fmt)(x).numpy(), np.pad(x, pads))
    key = [slice(None)] * 4
    key[sp[0]], key[sp[1]] = slice(2, 7 - 1), slice(0, 5 - 3)
    np.testing.assert_array_equal(layers.Cropping2D(((2, 1), (0, 3)), data_format=fmt)(x).numpy(), x[tuple(key)])


def _bilinear_np(x, f, axis):
    """Reference: out[o] = (1 - t) x[i0] + t x[i1] at source (o + 0.5) / f - 0.5, indices clamped."""
    n = x.shape[axis]
    out = []
    for o in range(n * f):
        s = (o + 0.5) / f - 0.5
        lo = int(np.floor(s))
        t = s - lo
        a, b = np.take(x, min(max(lo, 0), n - 1), axis=axis), np.take(x, min(max(lo + 1, 0), n - 1), axis=axis)
        out.append((1 - t) * a + t * b)
    return np.stack(out, axis=axis)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_upsampling_matches_numpy(fmt):
    x1 = _x((3, 7, 5))
    np.testing.assert_array_equal(layers.UpSampling1D(3)(x1).numpy(), np.repeat(x1, 3, axis=1))
    x = _x((3, 7, 5, 2)) if fmt == "channels_last" else _x((3, 2, 7, 5))
    h, w = (1, 2) if fmt == "channels_last" else (2, 3)
    np.testing.assert_array_equal(layers.UpSampling2D((2, 3), data_format=fmt)(x).numpy(),
                                  np.repeat(np.repeat(x, 2, axis=h), 3, axis=w))
    got = layers.UpSampling2D((3, 2), data_format=fmt, interpolation="bilinear")(x).numpy()
    np.testing.assert_allclose(got, _bilinear_np(_bilinear_np(x, 3, h), 2, w), rtol=1e-5, atol=1e-6)


def test_bilinear_matches_keras():
    d = np.load(FIXTURES / "keras_upsampling_bilinear.npz")  # written by Keras 3.15 (TensorFlow backend)
    got = layers.UpSampling2D((2, 3), interpolation="bilinear")(d["x"]).numpy()
    np.testing.assert_allclose(got, d["y"], rtol=1e-5, atol=1e-5)


def test_spatial_dropout_drops_whole_channels():
    x = np.abs(_x((4, 7, 5, 13))) + 1.0
    layer = layers.SpatialDropout2D(0.5, seed=3)
    y = layer(x, training=True).numpy()
    kept = y != 0
    # each (sample, channel) map is either all kept (scaled by 2) or all dropped
    per_map = kept.reshape(4, -1, 13)
    assert np.all(per_map.all(axis=1) | (~per_map).all(axis=1))
    assert 0 < per_map[:, 0].mean() < 1
    np.testing.assert_allclose(y[kept], (x * 2)[kept], rtol=1e-6)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(layer(x).numpy(), x)  # inference by default
    # the same seed gives the same masks; channels_first drops along axis 1
    a = layers.SpatialDropout1D(0.4, seed=7)(x[:, :, 0], training=True).numpy()
    b = layers.SpatialDropout1D(0.4, seed=7)(x[:, :, 0], training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert np.all(((a != 0).all(axis=1)) | ((a == 0).all(axis=1)))
    xf = np.moveaxis(x, 3, 1)
    yf = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(xf, training=True).numpy()
    m = (yf != 0).reshape(4, 13, -1)
    assert np.all(m.all(axis=2) | (~m).all(axis=2))


def test_time_distributed_matches_per_step_dense():
    x = _x((3, 7, 5))
    td = layers.TimeDistributed(layers.Dense(4, activation="tanh"))
    y = td(x).numpy()
    k, b = td.layer.get_weights()
    np.testing.assert_allclose(y, np.tanh(x @ k + b), rtol=1e-5, atol=1e-6)
    # nested shapes: TimeDistributed(Reshape) keeps the time axis
    y2 = layers.TimeDistributed(layers.Reshape((5, 1)))(x).numpy()
    np.testing.assert_array_equal(y2, x.reshape(3, 7, 5, 1))
    assert td.compute_output_shape((None, None, 5)) == (None, None, 4)


def test_embedding_matches_take_and_gradient_scatter_adds():
    layer = layers.Embedding(13, 5)
    ids = np.array([[1, 12, 1], [0, 7, 1]])
    y = layer(ids)
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(y.numpy(), table[ids])
    assert -0.05 <= table.min() and table.max() <= 0.05  # Keras' "uniform": RandomUniform(-0.05, 0.05)
    assert layer.embeddings.path == f"{layer.name}/embeddings"
    g = np.random.default_rng(1).normal(size=(2, 3, 5)).astype("float32")
    with kt.GradientTape() as tape:
        out = layer(ids)
    grad = tape.gradient(out, layer.embeddings, output_gradients=kt.constant(g))
    want = np.zeros((13, 5), np.float32)
    np.add.at(want, ids.ravel(), g.reshape(-1, 5))
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-6, atol=1e-6)
    # float indices are cast; initial weights argument
    np.testing.assert_array_equal(layer(ids.astype("float32")).numpy(), table[ids])
    w = np.arange(26, dtype="float32").reshape(13, 2)
    np.testing.assert_array_equal(layers.Embedding(13, 2, weights=[w])(np.array([[3, 4]])).numpy(), w[[[3, 4]]])


def test_embedding_config_matches_keras():
    layer = layers.Embedding(11, 4, mask_zero=True)
    c = layer.get_config()
    assert set(c) == {"name", "trainable", "dtype", "input_dim", "output_dim", "embeddings_initializer",
                      "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero",
                      "quantization_config"}
    assert c["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert c["embeddings_initializer"]["config"]["minval"] == -0.05
    sd = layers.SpatialDropout1D(0.2, name="sd")
    assert sd.get_config() == {"rate": 0.2, "seed": None, "name": "sd", "dtype": "float32"}  # as Keras 3 writes it
    assert layers.SpatialDropout1D.from_config(sd.get_config()).get_config() == sd.get_config()
    assert set(layers.SpatialDropout2D(0.2).get_config()) == {"rate", "seed", "name", "dtype", "data_format"}
    assert layers.ZeroPadding2D().get_config()["padding"] == ((1, 1), (1, 1))
    assert layers.Cropping2D().get_config()["cropping"] == ((0, 0), (0, 0))
    assert layers.UpSampling2D().get_config()["size"] == (2, 2)


# -- gradients (float64, central differences) --
def test_repeat_op_matches_numpy_and_gradcheck():
    x = _x((3, 1, 5), dtype="float64")
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(kt.repeat(kt.constant(x), 3, axis=axis).numpy(), np.repeat(x, 3, axis=axis))
    assert kt.repeat(kt.constant(x), 0, axis=1).shape == (3, 0, 5)
    np.testing.assert_array_equal(kt.repeat(kt.constant(x), 2).numpy(), np.repeat(x, 2))  # axis None: flattened
    gradcheck(lambda t: kt.repeat(t, 3, axis=1), [x[:, :, :3]], "cpu")
    gradcheck(lambda t: kt.repeat(t, 2, axis=0), [x[:, 0]], "cpu")
    with pytest.raises(ValueError, match="repeat"):
        kt.repeat(kt.constant(x), -1, axis=0)
    with pytest.raises(IndexError, match="repeat"):
        kt.repeat(kt.constant(x), 2, axis=3)


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear", dtype="float64"), (1, 3, 2, 2)),
    (lambda: layers.UpSampling2D((3, 1), data_format="channels_first", dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.ZeroPadding2D(((1, 0), (0, 2)), dtype="float64"), (2, 3, 1, 2)),
    (lambda: layers.Cropping2D(((1, 0), (0, 1)), dtype="float64"), (1, 3, 3, 2)),
    (lambda: layers.Cropping1D((1, 1), dtype="float64"), (2, 5, 3)),
    (lambda: layers.ZeroPadding1D(1, dtype="float64"), (2, 3, 3)),
    (lambda: layers.UpSampling1D(2, dtype="float64"), (2, 3, 3)),
    (lambda: layers.Permute((2, 1), dtype="float64"), (2, 3, 5)),
    (lambda: layers.RepeatVector(3, dtype="float64"), (3, 5)),
    (lambda: layers.Reshape((-1,), dtype="float64"), (2, 3, 5)),
    (lambda: layers.TimeDistributed(layers.Dense(2, activation="tanh", dtype="float64"), dtype="float64"), (2, 3, 4)),
])
def test_layer_gradients(make, shape):
    layer = make()
    gradcheck(lambda t: layer(t), [_x(shape, dtype="float64")], "cpu")


# -- bad arguments and inputs raise clear errors --
def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"Reshape 'r1'.*\(3, 5\)"):
        layers.Reshape((4, 4), name="r1")(_x((2, 3, 5)))
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match="rank 3"):
        layers.Permute((2, 1))(_x((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="n must be"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="RepeatVector .* rank 2"):
        layers.RepeatVector(2)(_x((2, 3, 4)))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding2D(((1, 2, 3), (1, 1)))
    with pytest.raises(ValueError, match="padding"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="data_format"):
        layers.ZeroPadding2D(data_format="NHWC")
    with pytest.raises(ValueError, match="Cropping1D 'c1'.*removes all"):
        layers.Cropping1D((3, 4), name="c1")(_x((2, 7, 3)))
    with pytest.raises(ValueError, match="Cropping2D.*removes all"):
        layers.Cropping2D(((1, 1), (3, 2)))(_x((2, 7, 5, 1)))
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="size"):
        layers.UpSampling2D(size=(2, 0))
    with pytest.raises(ValueError, match="UpSampling2D .* rank 4"):
        layers.UpSampling2D()(_x((2, 3, 4)))
    with pytest.raises(ValueError, match="SpatialDropout2D .* rank 4"):
        layers.SpatialDropout2D(0.5)(_x((2, 3, 4)), training=True)
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout1D(1.5)
    with pytest.raises(ValueError, match="keras.layers.Layer"):
        layers.TimeDistributed("dense")
    with pytest.raises(ValueError, match="TimeDistributed .* rank >= 3"):
        layers.TimeDistributed(layers.Dense(2))(_x((2, 3)))
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(3, 2.5)


def test_embedding_out_of_range_indices():
    layer = layers.Embedding(7, 3, name="emb")
    layer(np.array([[0, 6]]))
    before = layer.get_weights()[0].copy()
    for bad in (7, 100, -1):
        with pytest.raises(IndexError, match=rf"Embedding 'emb': index {bad} is out of range for input_dim=7"):
            layer(np.array([[1, bad, 2]]))
    np.testing.assert_array_equal(layer.get_weights()[0], before)


# -- models: configs and saving --
def _shapes_model():
    inp = keras.Input((6,), dtype="int32")
    x = layers.Embedding(13, 4, mask_zero=True)(inp)
    x = layers.TimeDistributed(layers.Dense(5, activation="tanh"))(x)
    x = layers.ZeroPadding1D((1, 2))(x)
    x = layers.Cropping1D((2, 1))(x)
    x = layers.UpSampling1D(2)(x)
    x = layers.SpatialDropout1D(0.2)(x)
    x = layers.Reshape((4, 3, 5))(x)
    x = layers.ZeroPadding2D(((1, 0), (0, 1)))(x)
    x = layers.UpSampling2D((1, 2), interpolation="bilinear")(x)
    x = layers.Cropping2D(((1, 1), (2, 1)))(x)
    x = layers.SpatialDropout2D(0.1)(x)
    x = layers.Permute((3, 1, 2))(x)
    x = layers.Flatten()(x)
    x = layers.RepeatVector(2)(x)
    return keras.Model(inp, layers.Dense(3)(x))


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
def test_keras_round_trip_of_shape_layers(tmp_path):
    m = _shapes_model()
    assert m.output_shape == (None, 2, 3)
    ids = np.random.default_rng(0).integers(0, 13, size=(4, 6))
    m.compile("adam", "mse")
    m.fit(ids, _x((4, 2, 3)), epochs=2, verbose=0)
    m.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras")
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), m.predict(ids, verbose=0), rtol=1e-6, atol=1e-6)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in m.layers]
    assert loaded.get_layer(index=2).layer.units == 5  # TimeDistributed's inner layer came back
    # Sequential too, via its config
    seq = keras.Sequential([keras.Input((7, 5)), layers.TimeDistributed(layers.Dense(2)), layers.Permute((2, 1)),
                            layers.Reshape((-1,)), layers.RepeatVector(2)])
    again = keras.Sequential.from_config(seq.get_config())
    again.set_weights(seq.get_weights())
    x = _x((3, 7, 5))
    np.testing.assert_array_equal(again(x).numpy(), seq(x).numpy())


def test_time_distributed_weights_saved_where_keras_puts_them(tmp_path):
    import h5py

    m = keras.Sequential([keras.Input((3, 4)), layers.TimeDistributed(layers.Dense(2))])
    m.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        assert f["layers/time_distributed/layer/vars/0"].shape == (4, 2)
        assert f["layers/time_distributed/layer/vars/1"].shape == (2,)
        assert len(f["layers/time_distributed/vars"]) == 0
    # a wrapped model: its layers under the wrapper's `layer` attribute, the nested config as Keras writes it
    inner = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
    m = keras.Sequential([keras.Input((3, 4)), layers.TimeDistributed(inner)])
    m.save_weights(tmp_path / "n.weights.h5")
    with h5py.File(tmp_path / "n.weights.h5") as f:
        assert f["layers/time_distributed/layer/layers/dense_1/vars/0"].shape == (3, 2)
    assert m.get_config()["layers"][1]["config"]["layer"]["module"] == "keras"
    x = _x((2, 3, 4))
    m.save(tmp_path / "n.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "n.keras")(x).numpy(), m(x).numpy())


def test_keras_written_time_distributed_sequential_loads():
    e = np.load(FIXTURES / "keras_td_sequential_expected.npz")  # TimeDistributed(Sequential), by Keras 3.15
    m = keras.models.load_model(FIXTURES / "keras_td_sequential.keras")
    np.testing.assert_allclose(m.predict(e["x"], verbose=0), e["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
def test_keras_written_shape_layers_load():
    """A model of these layers saved by Keras 3.15 (mask_zero Embedding feeding TimeDistributed: its config
    holds a NotEqual op node and a `mask` argument) loads and predicts what Keras predicted."""
    e = np.load(FIXTURES / "keras_shapes_expected.npz")
    m = keras.models.load_model(FIXTURES / "keras_shapes.keras")
    np.testing.assert_allclose(m.predict(e["ids"], verbose=0), e["y"], rtol=1e-5, atol=1e-5)


_KERAS_CHECK = """
import sys, numpy as np, keras
ids = np.load(sys.argv[1])
for path in sys.argv[2:]:
    m = keras.models.load_model(path)
    d = float(np.abs(m.predict(ids, verbose=0) - np.load(sys.argv[1][:-4] + '_y.npy')).max())
    assert d < 1e-5, (path, d)
print('ok')
"""


@pytest.mark.skipif(not HAVE_KERAS, reason="keras is not installed")
@pytest.mark.filterwarnings("ignore:Layer .* does not support masking")
def test_ktensor_shape_layer_files_load_in_real_keras(tmp_path):
    m = _shapes_model()
    ids = np.random.default_rng(0).integers(0, 13, size=(4, 6))
    m.compile("adam", "mse")
    m.fit(ids, _x((4, 2, 3)), epochs=1, verbose=0)
    np.save(tmp_path / "ids.npy", ids)
    np.save(tmp_path / "ids_y.npy", m.predict(ids, verbose=0))
    paths = [str(tmp_path / "m.keras"), str(tmp_path / "m.h5")]
    for p in paths:
        m.save(p)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", _KERAS_CHECK, str(tmp_path / "ids.npy"), *paths], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


# -- CPU / CUDA parity (skips without a GPU) --
@cuda_only
def test_cuda_parity():
    x = _x((3, 7, 5, 2))
    parity(lambda t: kt.repeat(t, 3, axis=1), [x])
    for make in (lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"), lambda: layers.UpSampling2D(),
                 lambda: layers.ZeroPadding2D(((1, 0), (2, 1))), lambda: layers.Cropping2D(((1, 2), (0, 1))),
                 lambda: layers.Permute((3, 1, 2)), lambda: layers.Reshape((-1, 2)),
                 lambda: layers.TimeDistributed(layers.Dense(3, kernel_initializer=keras.initializers.RandomUniform(
                     seed=2)))):
        parity(lambda t: make()(t), [x])
    ids = np.random.default_rng(0).integers(0, 13, size=(7, 3))
    table = keras.initializers.RandomUniform(seed=5)
    parity(lambda i: layers.Embedding(13, 5, embeddings_initializer=table)(i), [ids], grad=False)
    with kt.device("cuda"):
        layer = layers.Embedding(7, 3, name="emb_cuda")
        with pytest.raises(IndexError, match="index 9 is out of range for input_dim=7"):
            layer(np.array([[1, 9]]))
        drop = layers.SpatialDropout2D(0.5, seed=4)
        got = drop(np.ones((2, 3, 3, 5), "float32"), training=True)
        assert got.device.startswith("cuda")
