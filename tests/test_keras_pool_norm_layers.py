"""Keras pooling and normalization layers: run_layer_test for each, their numbers against numpy,
BatchNormalization's moving statistics through fit, Keras 3 configs, and bad input."""
import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import layers
from helpers import rng
from layer_helper import run_layer_test
from test_ops_norm import np_bn_train, np_ln
from test_ops_pool import np_pool


# ---- run_layer_test ----

@pytest.mark.parametrize("cls,kwargs,shape,out", [
    (layers.MaxPooling2D, {}, (2, 7, 5, 3), (2, 3, 2, 3)),
    (layers.MaxPooling2D, {"pool_size": (3, 2), "strides": (1, 2), "padding": "same"}, (2, 5, 7, 3), (2, 5, 4, 3)),
    (layers.MaxPooling2D, {"pool_size": 2, "data_format": "channels_first"}, (2, 3, 7, 5), (2, 3, 3, 2)),
    (layers.AveragePooling2D, {}, (2, 7, 5, 3), (2, 3, 2, 3)),
    (layers.AveragePooling2D, {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 5, 3), (2, 4, 3, 3)),
    (layers.MaxPooling1D, {}, (2, 7, 3), (2, 3, 3)),
    (layers.MaxPooling1D, {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3), (2, 7, 3)),
    (layers.AveragePooling1D, {"pool_size": 3, "strides": 2}, (2, 7, 3), (2, 3, 3)),
    (layers.AveragePooling1D, {"data_format": "channels_first"}, (2, 3, 7), (2, 3, 3)),
    (layers.GlobalAveragePooling1D, {}, (2, 7, 3), (2, 3)),
    (layers.GlobalAveragePooling2D, {"keepdims": True}, (2, 5, 7, 3), (2, 1, 1, 3)),
    (layers.GlobalMaxPooling1D, {"data_format": "channels_first"}, (2, 3, 7), (2, 3)),
    (layers.GlobalMaxPooling2D, {}, (2, 5, 7, 3), (2, 3)),
], ids=lambda v: v.__name__ if isinstance(v, type) else str(v))
def test_pooling_layers(cls, kwargs, shape, out):
    run_layer_test(cls, kwargs, shape, out, expected_num_trainable_weights=0)


@pytest.mark.parametrize("kwargs,trainable,non_trainable", [
    ({}, 2, 2), ({"center": False}, 1, 2), ({"scale": False, "momentum": 0.5}, 1, 2),
    ({"axis": 1, "epsilon": 1e-2}, 2, 2)])
def test_batch_normalization_layer(kwargs, trainable, non_trainable):
    run_layer_test(layers.BatchNormalization, kwargs, (6, 3, 5), (6, 3, 5), expected_num_trainable_weights=trainable,
                   expected_num_non_trainable_weights=non_trainable)


@pytest.mark.parametrize("kwargs,trainable", [({}, 2), ({"axis": [1, 2]}, 2), ({"center": False}, 1),
                                              ({"axis": 1, "scale": False, "epsilon": 1e-5}, 1)])
def test_layer_normalization_layer(kwargs, trainable):
    run_layer_test(layers.LayerNormalization, kwargs, (4, 3, 5), (4, 3, 5), expected_num_trainable_weights=trainable)


# ---- numbers ----

@pytest.mark.parametrize("cls,kind,pool,strides,padding", [
    (layers.MaxPooling2D, "max", (3, 2), (2, 3), "same"), (layers.MaxPooling2D, "max", (2, 2), None, "valid"),
    (layers.AveragePooling2D, "avg", (3, 3), (2, 1), "same"), (layers.AveragePooling2D, "avg", (2, 3), (1, 2), "valid")])
def test_pooling_2d_numbers(cls, kind, pool, strides, padding):
    x = rng(1).standard_normal((2, 7, 9, 3)).astype(np.float32)
    y = cls(pool, strides=strides, padding=padding)(x)
    np.testing.assert_allclose(y.numpy(), np_pool(x, pool, strides or pool, padding.upper(), kind), rtol=1e-6,
                               atol=1e-6)
    yc = cls(pool, strides=strides, padding=padding, data_format="channels_first")(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(yc.numpy(), y.numpy().transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls,kind", [(layers.MaxPooling1D, "max"), (layers.AveragePooling1D, "avg")])
def test_pooling_1d_numbers(cls, kind):
    x = rng(2).standard_normal((2, 11, 4)).astype(np.float32)
    y = cls(3, strides=2, padding="same")(x)
    ref = np_pool(x[:, None], (1, 3), (1, 2), "SAME", kind)[:, 0]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-6, atol=1e-6)


def test_global_pooling_numbers():
    x = rng(3).standard_normal((2, 5, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).numpy(), x.mean((1, 2)), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling2D(keepdims=True)(x).numpy(), x.max((1, 2), keepdims=True))
    np.testing.assert_allclose(layers.GlobalMaxPooling1D(data_format="channels_first")(x[:, 0]).numpy(),
                               x[:, 0].max(2))
    x1 = x[:, 0]
    mask = np.array([[1, 1, 0, 1, 0, 0, 1], [0, 1, 1, 1, 1, 1, 1]], bool)
    got = layers.GlobalAveragePooling1D()(x1, mask=mask).numpy()
    m = mask[..., None]
    np.testing.assert_allclose(got, (x1 * m).sum(1) / m.sum(1), rtol=1e-6, atol=1e-6)


def test_batch_normalization_training_and_inference_numbers():
    r = rng(4)
    x = (r.standard_normal((16, 5, 3)) * 2 + 1).astype(np.float32)
    bn = layers.BatchNormalization(momentum=0.8, epsilon=1e-2)
    bn(x, training=False)  # builds
    gamma, beta = r.standard_normal(3).astype(np.float32), r.standard_normal(3).astype(np.float32)
    bn.set_weights([gamma, beta, np.zeros(3, np.float32), np.ones(3, np.float32)])
    y = bn(x, training=True)
    y_ref, mean, var = np_bn_train(x, gamma, beta, 1e-2)
    np.testing.assert_allclose(y.numpy(), y_ref, rtol=2e-5, atol=2e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.2 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.8 + 0.2 * var, rtol=1e-5, atol=1e-6)  # biased
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    for training in (False, None):
        y = bn(x, training=training)
        np.testing.assert_allclose(y.numpy(), (x - mm) / np.sqrt(mv + 1e-2) * gamma + beta, rtol=2e-5, atol=2e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)  # inference leaves them alone
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]


def test_batch_normalization_frozen_uses_moving_statistics():
    x = rng(5).standard_normal((8, 4)).astype(np.float32) + 3
    bn = layers.BatchNormalization()
    bn(x)
    bn.trainable = False
    y = bn(x, training=True)  # Keras: a frozen layer runs in inference mode
    np.testing.assert_allclose(y.numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(4, np.float32))


def test_batch_normalization_moving_statistics_through_fit():
    keras.utils.set_random_seed(0)
    r = rng(6)
    x = (r.standard_normal((24, 4)) * np.array([1, 2, 3, 4]) + np.array([0, 5, -2, 1])).astype(np.float32)
    y = r.standard_normal((24, 1)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), layers.BatchNormalization(momentum=0.9), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    mean, var = np.zeros(4), np.ones(4)
    for _ in range(2):
        for b in range(3):
            xb = x[8 * b:8 * b + 8].astype(np.float64)
            mean = 0.9 * mean + 0.1 * xb.mean(0)
            var = 0.9 * var + 0.1 * xb.var(0)
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    before = bn.moving_mean.numpy()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_batch_normalization_channels_first():
    x = rng(7).standard_normal((4, 3, 5, 2)).astype(np.float32)
    bn = layers.BatchNormalization(axis=1)
    y = bn(x, training=True)
    y_ref, mean, _ = np_bn_train(np.moveaxis(x, 1, -1), None, None, 1e-3)
    np.testing.assert_allclose(y.numpy(), np.moveaxis(y_ref, -1, 1), rtol=2e-5, atol=2e-5)
    assert bn.gamma.shape == (3,)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("axis", [-1, [1, 2], 1, [0, 2]])
def test_layer_normalization_numbers(axis):
    r = rng(8)
    x = r.standard_normal((4, 3, 5)).astype(np.float32)
    ln = layers.LayerNormalization(axis=axis, epsilon=1e-4)
    ln(x)  # builds
    ax = sorted(a % 3 for a in (axis if isinstance(axis, list) else [axis]))
    shape = tuple(x.shape[a] for a in ax)
    gamma, beta = r.standard_normal(shape).astype(np.float32), r.standard_normal(shape).astype(np.float32)
    ln.set_weights([gamma, beta])
    np.testing.assert_allclose(ln(x).numpy(), np_ln(x, gamma, beta, ax, 1e-4), rtol=2e-5, atol=2e-5)


def test_cnn_with_pooling_and_batch_norm_trains():
    keras.utils.set_random_seed(1)
    r = rng(9)
    x = r.standard_normal((16, 9, 9, 2)).astype(np.float32)
    y = (x.mean((1, 2, 3)) > 0).astype(np.int64)
    model = keras.Sequential([keras.Input((9, 9, 2)), layers.MaxPooling2D(padding="same"),
                              layers.BatchNormalization(), layers.AveragePooling2D(2, strides=1),
                              layers.LayerNormalization(), layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# ---- configs ----

KERAS_KEYS = {
    "MaxPooling2D": {"pool_size", "padding", "strides", "data_format"},
    "GlobalAveragePooling1D": {"data_format", "keepdims"},
    "BatchNormalization": {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                           "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
                           "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized", "renorm",
                           "renorm_clipping", "renorm_momentum"},
    "LayerNormalization": {"axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer",
                           "gamma_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint",
                           "gamma_constraint"},
}


@pytest.mark.parametrize("name", sorted(KERAS_KEYS))
def test_config_keys_are_keras_3(name):
    config = getattr(layers, name)().get_config()
    assert set(config) == KERAS_KEYS[name] | {"name", "trainable", "dtype"}


def test_keras_3_configs_load():
    bn = layers.deserialize({"module": "keras.layers", "class_name": "BatchNormalization", "config": {
        "name": "batch_normalization", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                  "registered_name": None},
        "axis": -1, "momentum": 0.9, "epsilon": 0.001, "center": True, "scale": False,
        "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                             "registered_name": None},
        "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {},
                              "registered_name": None},
        "moving_mean_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                    "registered_name": None},
        "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {},
                                        "registered_name": None},
        "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
        "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99},
        "build_config": {"input_shape": [None, 6]}})
    assert bn.built and bn.momentum == 0.9 and [w.name for w in bn.weights] == ["beta", "moving_mean",
                                                                                "moving_variance"]
    mp = layers.deserialize({"module": "keras.layers", "class_name": "MaxPooling2D", "config": {
        "name": "mp", "trainable": True, "dtype": "float32", "pool_size": [3, 3], "padding": "same",
        "strides": [2, 2], "data_format": "channels_last"}})
    assert mp.pool_size == (3, 3) and mp.strides == (2, 2) and mp(np.zeros((1, 5, 5, 1))).shape == (1, 3, 3, 1)
    ln = layers.deserialize({"module": "keras.layers", "class_name": "LayerNormalization", "config": {
        "name": "ln", "axis": [-1], "epsilon": 1e-6, "center": True, "scale": True, "rms_scaling": False}})
    assert ln(np.ones((2, 3))).shape == (2, 3) and ln.gamma.shape == (3,)


def test_save_and_load_keeps_moving_statistics(tmp_path):
    x = rng(10).standard_normal((8, 3)).astype(np.float32) + 2
    model = keras.Sequential([keras.Input((3,)), layers.BatchNormalization(), layers.Dense(1)])
    model(x, training=True)
    path = str(tmp_path / "bn.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].moving_mean.numpy(), model.layers[0].moving_mean.numpy())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# ---- bad input ----

@pytest.mark.parametrize("make,shape,words", [
    (lambda: layers.MaxPooling2D(name="mp"), (2, 5, 3), "'mp' expects inputs of rank 4"),
    (lambda: layers.MaxPooling2D((4, 2), name="mp"), (2, 3, 5, 1), "'mp': pool_size .* larger than"),
    (lambda: layers.AveragePooling1D(5, name="ap"), (2, 3, 1), "'ap': pool_size .* larger than"),
    (lambda: layers.GlobalMaxPooling2D(name="gp"), (2, 5, 3), "'gp' expects inputs of rank 4"),
    (lambda: layers.BatchNormalization(axis=3, name="bn"), (2, 5, 3), "'bn': axis 3 is out of range"),
    (lambda: layers.LayerNormalization(axis=[1, -4], name="ln"), (2, 5, 3), "'ln': axis -4 is out of range"),
])
def test_bad_input_shapes(make, shape, words):
    layer = make()
    with pytest.raises(ValueError, match=words):
        layer(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=words):
        make().compute_output_shape((None,) + shape[1:])


@pytest.mark.parametrize("make,words", [
    (lambda: layers.MaxPooling2D(strides=0, name="mp"), "'mp': strides must be positive"),
    (lambda: layers.MaxPooling2D(pool_size=(2, -1), name="mp"), "'mp': pool_size must be positive"),
    (lambda: layers.AveragePooling2D(pool_size=(2, 2, 2), name="ap"), "'ap': pool_size must be an int or a tuple"),
    (lambda: layers.MaxPooling1D(padding="full", name="mp"), "'mp': padding must be"),
    (lambda: layers.GlobalAveragePooling2D(data_format="nhwc", name="gp"), "'gp': data_format"),
])
def test_bad_arguments(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_built_layers_reject_other_shapes():
    bn = layers.BatchNormalization(name="bn")
    bn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="'bn' was built for inputs of rank 2 with 4 channels"):
        bn(np.zeros((2, 5), np.float32))
    ln = layers.LayerNormalization(name="ln")
    ln(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="'ln' was built"):
        ln(np.zeros((2, 3), np.float32))
    with pytest.raises(NotImplementedError, match="renorm"):
        layers.BatchNormalization(renorm=True)


# ---- Keras files (fixtures written by Keras 3.15 on TensorFlow: pooling, BatchNormalization after two
# epochs of fit, LayerNormalization over two axes, global pooling; a Sequential and a functional model) ----

FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("name,key", [("keras_pool_norm_seq.keras", "seq"), ("keras_pool_norm_seq.h5", "seq"),
                                      ("keras_pool_norm_fn.keras", "fn")])
def test_keras_written_files_load(name, key):
    e = np.load(FIXTURES / "keras_pool_norm_expected.npz")
    m = keras.models.load_model(FIXTURES / name)
    x = e["x"] if key == "seq" else e["x1"]
    np.testing.assert_allclose(m.predict(x, verbose=0), e[key], rtol=1e-5, atol=1e-5)
    if key == "seq":
        bn = m.layers[1]
        np.testing.assert_array_equal(bn.moving_mean.numpy(), e["moving_mean"])
        np.testing.assert_array_equal(bn.moving_variance.numpy(), e["moving_variance"])


_KERAS_CHECK = """
import sys, numpy as np, keras
x = np.load(sys.argv[1])
for path in sys.argv[3:]:
    d = float(np.abs(keras.models.load_model(path).predict(x, verbose=0) - np.load(sys.argv[2])).max())
    assert d < 1e-5, (path, d)
print('ok')
"""


@pytest.mark.skipif(__import__("importlib").util.find_spec("keras") is None, reason="keras is not installed")
def test_ktensor_files_load_in_real_keras(tmp_path):
    import os
    import subprocess
    import sys
    keras.utils.set_random_seed(2)
    x = rng(11).standard_normal((8, 7, 7, 3)).astype(np.float32)
    m = keras.Sequential([keras.Input((7, 7, 3)), layers.AveragePooling2D(padding="same"),
                          layers.BatchNormalization(), layers.MaxPooling2D(2, strides=1),
                          layers.LayerNormalization(), layers.GlobalAveragePooling2D(), layers.Dense(2)])
    m.compile(optimizer="adam", loss="mse")
    m.fit(x, rng(12).standard_normal((8, 2)).astype(np.float32), epochs=2, batch_size=4, verbose=0)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "p.npy", m.predict(x, verbose=0))
    paths = [str(tmp_path / f"m{ext}") for ext in (".keras", ".h5")]
    for p in paths:
        m.save(p)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", _KERAS_CHECK, str(tmp_path / "x.npy"), str(tmp_path / "p.npy"), *paths],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
