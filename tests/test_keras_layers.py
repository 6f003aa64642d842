import numpy as np
import pytest
from layer_helper import run_layer_test

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers


# -- each layer through the shared helper --
@pytest.mark.parametrize("shape", [(4, 3), (7, 1), (5, 2, 6)])
def test_dense(shape):
    run_layer_test(layers.Dense, {"units": 5}, shape, expected_output_shape=shape[:-1] + (5,),
                   expected_num_trainable_weights=2)


def test_dense_options():
    run_layer_test(layers.Dense, {"units": 3, "activation": "relu", "use_bias": False,
                                  "kernel_initializer": "he_normal", "kernel_regularizer": "l2"},
                   (6, 4), expected_output_shape=(6, 3), expected_num_trainable_weights=1)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softmax", "gelu", "linear"])
def test_activation(activation):
    run_layer_test(layers.Activation, {"activation": activation}, (5, 3), expected_output_shape=(5, 3),
                   expected_num_trainable_weights=0)


def test_dropout():
    run_layer_test(layers.Dropout, {"rate": 0.3}, (8, 4), expected_output_shape=(8, 4),
                   expected_num_trainable_weights=0)
    run_layer_test(layers.Dropout, {"rate": 0.5, "noise_shape": (None, 1), "seed": 3}, (8, 4))


@pytest.mark.parametrize("shape,out", [((4, 3, 2), (4, 6)), ((2, 5), (2, 5)), ((3, 2, 2, 2), (3, 8))])
def test_flatten(shape, out):
    run_layer_test(layers.Flatten, {}, shape, expected_output_shape=out, expected_num_trainable_weights=0)


# -- Dense specifics --
def test_dense_matches_numpy_and_kernel_layout():
    d = layers.Dense(3, activation="relu")
    x = np.random.default_rng(1).normal(size=(7, 5)).astype("float32")
    y = d(x).numpy()
    kernel, bias = d.get_weights()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    assert [w.name for w in d.weights] == ["kernel", "bias"]
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)


def test_dense_rank3_uses_last_axis():
    d = layers.Dense(4)
    x = np.random.default_rng(2).normal(size=(2, 3, 5)).astype("float32")
    y = d(x).numpy()
    k, b = d.get_weights()
    np.testing.assert_allclose(y, x @ k + b, rtol=1e-5, atol=1e-6)


def test_dense_shape_mismatch_names_layer_and_shapes():
    keras.backend.clear_session()
    keras.layers.Dense(2)  # 'dense'
    d = keras.layers.Dense(3)  # 'dense_1'
    d(np.zeros((4, 100), "float32"))
    with pytest.raises(ValueError, match=r"Dense 'dense_1' expects last input dimension 100, got shape \(32, 50\)"):
        d(np.zeros((32, 50), "float32"))


def test_dense_bad_units():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Dense"):
        layers.Dense(3, not_an_arg=1)


def test_dense_int_inputs_are_cast():
    d = layers.Dense(2)
    y = d(np.arange(6, dtype="int32").reshape(3, 2))
    assert y.dtype == kt.float32


# -- Dropout specifics --
def test_dropout_inactive_at_inference_and_scaled_in_training():
    keras.utils.set_random_seed(0)
    d = layers.Dropout(0.25)
    x = np.ones((200, 50), "float32")
    np.testing.assert_array_equal(d(x).numpy(), x)
    np.testing.assert_array_equal(d(x, training=False).numpy(), x)
    y = d(x, training=True).numpy()
    zeros = np.mean(y == 0)
    assert 0.2 < zeros < 0.3
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.05


def test_dropout_noise_shape_and_reproducibility():
    x = np.ones((6, 10), "float32")
    keras.utils.set_random_seed(5)
    a = layers.Dropout(0.5, noise_shape=(None, 1))(x, training=True).numpy()
    assert all(len(set(row)) == 1 for row in a)  # one mask value per sample
    keras.utils.set_random_seed(5)
    b = layers.Dropout(0.5, noise_shape=(None, 1))(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    seeded = layers.Dropout(0.5, seed=1)
    m1, m2 = seeded(x, training=True).numpy(), seeded(x, training=True).numpy()
    assert not np.array_equal(m1, m2)  # a new mask per call
    again = layers.Dropout(0.5, seed=1)
    np.testing.assert_array_equal(again(x, training=True).numpy(), m1)


def test_dropout_rate_validation():
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)
    np.testing.assert_array_equal(layers.Dropout(1.0)(np.ones((2, 2)), training=True).numpy(), np.zeros((2, 2)))


def test_training_flag_propagates_from_model_to_dropout():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((100,)), layers.Dropout(0.5)])
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(model(x).numpy(), x)
    assert (model(x, training=True).numpy() == 0).any()


# -- Layer base --
def test_auto_names_follow_keras():
    keras.backend.clear_session()
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.Dropout(0.1).name == "dropout"
    assert layers.InputLayer(shape=(2,)).name == "input_layer"
    assert keras.Sequential().name == "sequential"
    keras.backend.clear_session()
    assert layers.Dense(1).name == "dense"


def test_set_weights_errors_name_the_layer():
    d = layers.Dense(2, name="head")
    d(np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match=r"Layer 'head' weight 'kernel' has shape \(3, 2\).*\(4, 2\)"):
        d.set_weights([np.zeros((4, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="Layer 'head' expects 2 weights"):
        d.set_weights([np.zeros((3, 2))])


def test_trainable_flag_and_regularization_losses():
    d = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1), bias_regularizer="l1")
    d(np.zeros((1, 3), "float32"))
    assert len(d.losses) == 2
    k = d.get_weights()[0]
    np.testing.assert_allclose(float(d.losses[0]), 0.1 * np.sum(k ** 2), rtol=1e-5)
    d.trainable = False
    assert d.trainable_weights == [] and len(d.non_trainable_weights) == 2
    d.trainable = True
    assert len(d.trainable_weights) == 2


def test_custom_layer_with_add_weight_and_sublayers():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = Scale()
            self.dense = layers.Dense(2)

        def call(self, inputs, training=None):
            return self.dense(self.scale(inputs))

    b = Block()
    y = b(np.ones((3, 4), "float32"))
    assert tuple(y.shape) == (3, 2)
    assert [w.name for w in b.weights] == ["w", "kernel", "bias"]
    assert b.compute_output_shape((None, 4)) == (None, 2)


def test_input_layer_and_input():
    t = keras.Input(shape=(3, 4), name="img")
    assert t.shape == (None, 3, 4)
    layer = t._keras_history[0]
    assert isinstance(layer, layers.InputLayer) and layer.get_config()["batch_shape"] == (None, 3, 4)
    with pytest.raises(ValueError, match="shape"):
        layers.InputLayer()


# -- Sequential --
def test_sequential_build_paths():
    m1 = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    assert m1.built and len(m1.weights) == 2 and len(m1.layers) == 1
    m2 = keras.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(1)])
    assert m2.built and m2.input_shape == (None, 4)
    m3 = keras.Sequential([layers.Dense(3, input_dim=4)])
    assert m3.built
    m4 = keras.Sequential()
    m4.add(layers.Dense(3))
    assert not m4.built
    m4(np.zeros((2, 5), "float32"))
    assert m4.built and m4.layers[0].kernel.shape == (5, 3)
    m5 = keras.Sequential([layers.Dense(2)])
    m5.build((None, 7))
    assert m5.layers[0].kernel.shape == (7, 2)
    assert m5.compute_output_shape((None, 7)) == (None, 2)


def test_sequential_add_pop_and_errors():
    m = keras.Sequential([keras.Input((3,))])
    m.add(layers.Dense(4))
    m.add(layers.Dense(2))
    assert m.built and [l.kernel.shape for l in m.layers] == [(3, 4), (4, 2)]
    m.pop()
    assert len(m.layers) == 1
    with pytest.raises(TypeError, match="Only instances of keras.layers.Layer"):
        m.add("dense")
    with pytest.raises(ValueError, match="InputLayer must come first"):
        m.add(layers.InputLayer(shape=(3,)))


def test_sequential_config_round_trip():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dropout(0.2),
                          layers.Dense(2, activation="softmax")], name="clf")
    config = m.get_config()
    assert config["name"] == "clf" and config["layers"][0]["class_name"] == "InputLayer"
    m2 = keras.Sequential.from_config(config)
    assert m2.built and [type(l).__name__ for l in m2.layers] == ["Dense", "Dropout", "Dense"]
    m2.set_weights(m.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_subclassed_model():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    m = MLP()
    assert m.name.startswith("mlp")
    m.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    m.fit(x, x.sum(1, keepdims=True), epochs=2, verbose=0)
    assert len(m.trainable_weights) == 4


def test_functional_model_without_outputs_is_a_clear_error():
    with pytest.raises(TypeError, match="outputs"):
        keras.Model(keras.Input((2,)), None)


def test_summary(capsys):
    keras.backend.clear_session()
    m = keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(10)])
    m.summary()
    out = capsys.readouterr().out
    assert 'Model: "sequential"' in out
    assert "dense (Dense)" in out and "(None, 64)" in out and "50,240" in out
    assert "Total params: 50,890" in out


def test_softmax_and_sigmoid_outputs_keep_their_logits_for_the_losses():
    from ktensor.keras import activations

    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    out = layers.Dense(3, activation="softmax")(x)
    assert activations.fused_logits(out, "softmax") is not None
    assert activations.fused_logits(out, "sigmoid") is None
    out = layers.Activation("sigmoid")(x)
    assert activations.fused_logits(out, "sigmoid") is not None
    assert activations.fused_logits(out, "softmax") is None
