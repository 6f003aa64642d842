"""The functional API: keras.Model(inputs, outputs), merge layers, Lambda, config / JSON round-trips."""
import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers


def _mlp(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((6,), name="x")
    h = layers.Dense(8, activation="relu", name="hidden")(inp)
    h = layers.Dropout(0.1)(h)
    out = layers.Dense(3, activation="softmax", name="probs")(h)
    return keras.Model(inp, out, name="mlp")


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = keras.utils.to_categorical((x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int), 3)
    return x, y


# -- building, training, predicting --
def test_model_call_builds_functional():
    model = _mlp()
    assert isinstance(model, keras.models.Functional) and isinstance(model, keras.Model)
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert model.input_shape == (None, 6) and model.output_shape == (None, 3)
    assert len(model.weights) == 4 and model.count_params() == 6 * 8 + 8 + 8 * 3 + 3


def test_symbolic_call_returns_keras_tensor():
    inp = keras.Input((5,))
    dense = layers.Dense(4)
    out = dense(inp)
    assert isinstance(out, keras.layers.KerasTensor)
    assert out.shape == (None, 4) and out.dtype == "float32"
    assert out._keras_history == (dense, 0, 0)
    assert dense.built and dense.kernel.shape == (5, 4)


def test_mlp_trains_and_matches_sequential():
    model = _mlp()
    x, y = _data()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    losses = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    seq = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.1),
                            layers.Dense(3, activation="softmax")])
    seq.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), seq.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    loss, acc = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss) and 0 <= acc <= 1


def test_subclassed_model_still_works():
    class M(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = M()
    assert m(np.ones((3, 4), "float32")).shape == (3, 2)
    assert not isinstance(m, keras.models.Functional)


def test_shared_layer_shares_weights():
    shared = layers.Dense(4, name="shared")
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert len(model.weights) == 2 and sum(l is shared for l in model.layers) == 1
    xa, xb = np.random.rand(5, 3).astype("float32"), np.random.rand(5, 3).astype("float32")
    k, bias = shared.get_weights()
    np.testing.assert_allclose(model([xa, xb]).numpy(), xa @ k + xb @ k + 2 * bias, rtol=1e-5, atol=1e-6)


def test_model_as_layer():
    keras.utils.set_random_seed(1)
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    seq = keras.Sequential([layers.Dense(2, name="seq_dense")], name="seq")
    inp = keras.Input((4,))
    out = seq(inner(inp))
    outer = keras.Model(inp, out)
    assert [l.name for l in outer.layers][1:] == ["inner", "seq"]
    assert len(outer.weights) == 4
    x = np.random.rand(6, 4).astype("float32")
    k1, b1 = inner.get_weights()
    k2, b2 = seq.get_weights()
    np.testing.assert_allclose(outer.predict(x, verbose=0), (x @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)


def test_multi_input_concatenate_dense_forward():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    dense = layers.Dense(4)
    model = keras.Model([a, b], dense(layers.concatenate([a, b])))
    xa, xb = np.random.rand(5, 3).astype("float32"), np.random.rand(5, 2).astype("float32")
    k, bias = dense.get_weights()
    expected = np.concatenate([xa, xb], -1) @ k + bias
    np.testing.assert_allclose(model([xa, xb]).numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="expects 2 inputs"):
        model(xa)


def test_dict_inputs_and_outputs():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model({"a": a, "b": b}, {"sum": layers.add([a, b]), "diff": layers.subtract([a, b])})
    xa, xb = np.random.rand(2, 3).astype("float32"), np.random.rand(2, 3).astype("float32")
    out = model({"a": xa, "b": xb})
    np.testing.assert_allclose(out["sum"].numpy(), xa + xb, rtol=1e-6)
    np.testing.assert_allclose(out["diff"].numpy(), xa - xb, rtol=1e-6)


# -- merge layers against numpy --
@pytest.mark.parametrize("cls,ref", [
    (layers.Add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (layers.Maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (layers.Minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
])
def test_elementwise_merge(cls, ref):
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(7, 5)).astype("float32") for _ in range(3)]
    np.testing.assert_allclose(cls()(xs).numpy(), ref(xs), rtol=1e-6, atol=1e-6)
    ins = [keras.Input((5,)) for _ in range(3)]
    model = keras.Model(ins, cls()(ins))
    np.testing.assert_allclose(model(xs).numpy(), ref(xs), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="incompatible shapes"):
        cls(name="bad")([keras.Input((5,)), keras.Input((4,))])
    with pytest.raises(ValueError, match="list of inputs"):
        cls()(keras.Input((5,)))


def test_elementwise_merge_broadcasts():
    a, b = np.ones((4, 1, 3), "float32"), np.full((4, 2, 3), 2.0, "float32")
    assert layers.Add()([keras.Input((1, 3)), keras.Input((2, 3))]).shape == (None, 2, 3)
    np.testing.assert_allclose(layers.Add()([a, b]).numpy(), a + b)


def test_subtract():
    x, y = np.random.rand(3, 4).astype("float32"), np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(layers.Subtract()([x, y]).numpy(), x - y, rtol=1e-6)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([keras.Input((4,))] * 3)


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate(axis):
    x, y = np.random.rand(2, 3, 4).astype("float32"), np.random.rand(2, 3, 4).astype("float32")
    expected = np.concatenate([x, y], axis)
    np.testing.assert_allclose(layers.Concatenate(axis=axis)([x, y]).numpy(), expected)
    out = layers.Concatenate(axis=axis)([keras.Input((3, 4)), keras.Input((3, 4))])
    assert out.shape == (None,) + expected.shape[1:]


def test_concatenate_mismatch():
    with pytest.raises(ValueError, match=r"Concatenate.*'cat'.*\(None, 3, 4\).*\(None, 5, 4\)"):
        layers.Concatenate(axis=-1, name="cat")([keras.Input((3, 4)), keras.Input((5, 4))])


def _np_l2(x, axis):
    return x / np.sqrt(np.maximum((x * x).sum(axis, keepdims=True), 1e-12))


@pytest.mark.parametrize("shapes,axes,ref", [
    (((5, 4), (5, 4)), 1, lambda x, y: (x * y).sum(1, keepdims=True)),
    (((5, 3, 4), (5, 4, 2)), (2, 1), lambda x, y: np.einsum("bij,bjk->bik", x, y)),
    (((5, 4, 3), (5, 4, 2)), 1, lambda x, y: np.einsum("bji,bjk->bik", x, y)),
    (((5, 4), (5, 4, 2)), (1, 1), lambda x, y: np.einsum("bj,bjk->bk", x, y)),
    (((5, 3, 4), (5, 4)), (-1, -1), lambda x, y: np.einsum("bij,bj->bi", x, y)),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot(shapes, axes, ref, normalize):
    rng = np.random.default_rng(0)
    x, y = (rng.normal(size=s).astype("float32") for s in shapes)
    layer = layers.Dot(axes=axes, normalize=normalize)
    got = layer([x, y]).numpy()
    if normalize:
        a = (axes, axes) if isinstance(axes, int) else axes
        x, y = _np_l2(x, a[0]), _np_l2(y, a[1])
    expected = ref(x, y)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    sym = layers.Dot(axes=axes)([keras.Input(shapes[0][1:]), keras.Input(shapes[1][1:])])
    assert sym.shape == (None,) + expected.shape[1:]


def test_dot_mismatch():
    with pytest.raises(ValueError, match=r"Dot 'dd'.*incompatible.*4.*5"):
        layers.Dot(axes=1, name="dd")([keras.Input((4,)), keras.Input((5,))])


def test_merge_config_round_trip():
    for layer in (layers.Concatenate(axis=1), layers.Dot(axes=(1, 2), normalize=True), layers.Average()):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


# -- Lambda --
def test_lambda():
    x = np.random.rand(4, 3).astype("float32")
    lam = layers.Lambda(lambda t: t * 2.0 + 1.0)
    np.testing.assert_allclose(lam(x).numpy(), x * 2 + 1, rtol=1e-6)
    inp = keras.Input((3,))
    out = layers.Lambda(lambda t, k: kt.reduce_sum(t, axis=-1, keepdims=True) * k, arguments={"k": 3.0})(inp)
    assert out.shape == (None, 1)
    model = keras.Model(inp, out)
    np.testing.assert_allclose(model(x).numpy(), x.sum(-1, keepdims=True) * 3, rtol=1e-5)
    assert layers.Lambda(lambda t: t, output_shape=(7,))(inp).shape == (None, 7)
    clone = keras.models.model_from_json(model.to_json())
    np.testing.assert_allclose(clone(x).numpy(), x.sum(-1, keepdims=True) * 3, rtol=1e-5)


# -- introspection and serialization --
def test_get_layer():
    model = _mlp()
    assert model.get_layer("hidden") is model.layers[1]
    assert model.get_layer(index=-1).name == "probs"
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")
    with pytest.raises(ValueError):
        model.get_layer(index=10)


def test_summary():
    lines = []
    _mlp().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "mlp"' in text
    assert "x (InputLayer)" in text and "hidden (Dense)" in text and "(None, 8)" in text
    assert "│            56 │" in text and "│            27 │" in text
    assert "Total params: 83" in text and "Trainable params: 83" in text and "Non-trainable params: 0" in text


def _two_tower():
    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    ha, hb = shared(layers.Dense(3, name="proj")(a)), shared(b)
    merged = layers.concatenate([ha, hb, layers.multiply([ha, hb])], name="cat")
    return keras.Model([a, b], [layers.Dense(2, name="out")(merged), layers.Dot(axes=1, name="dot")([ha, hb])])


def test_config_round_trip():
    model = _two_tower()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["out", 0, 0], ["dot", 0, 0]]
    shared = next(l for l in config["layers"] if l["name"] == "shared")
    assert len(shared["inbound_nodes"]) == 2
    assert shared["inbound_nodes"][1]["args"][0]["config"]["keras_history"] == ["b", 0, 0]
    clone = keras.Model.from_config(config)
    assert isinstance(clone, keras.models.Functional)
    clone.set_weights(model.get_weights())
    xa, xb = np.random.rand(4, 4).astype("float32"), np.random.rand(4, 3).astype("float32")
    for got, want in zip(clone([xa, xb]), model([xa, xb])):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert clone.get_config() == config


def test_json_round_trip():
    model = _mlp()
    clone = keras.models.model_from_json(model.to_json())
    assert isinstance(clone, keras.models.Functional) and [l.name for l in clone.layers] == \
        [l.name for l in model.layers]
    clone.set_weights(model.get_weights())
    x, _ = _data(8)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    nested = keras.Model(model.inputs, keras.Sequential([layers.Dense(2)])(model.outputs[0]))
    again = keras.models.model_from_json(nested.to_json())
    again.set_weights(nested.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), nested.predict(x, verbose=0), rtol=1e-6)


def test_errors():
    a = keras.Input((3,))
    with pytest.raises(TypeError, match="KerasTensor"):
        keras.Model(a, np.ones((1, 3)))
    other = keras.Input((3,))
    with pytest.raises(ValueError, match="not in the model's inputs"):
        keras.Model(a, layers.add([a, other]))
    model = keras.Model(a, layers.Dense(2)(a))
    with pytest.raises(ValueError, match="incompatible"):
        model(np.ones((2, 4), "float32"))


def test_feature_extractor_from_layer_output():
    model = _mlp()
    features = keras.Model(inputs=model.input, outputs=model.get_layer("hidden").output)
    x, _ = _data(5)
    k, b = model.get_layer("hidden").get_weights()
    np.testing.assert_allclose(features.predict(x, verbose=0), np.maximum(x @ k + b, 0), rtol=1e-5, atol=1e-6)
    assert model.get_layer("hidden").input is model.input
    with pytest.raises(AttributeError, match="never been called"):
        _ = layers.Dense(2).output


def test_input_rank_adjustment():
    inp = keras.Input((3, 1))
    model = keras.Model(inp, layers.Flatten()(inp))
    assert model(np.ones((2, 3), "float32")).shape == (2, 3)


def test_keras2_style_inbound_nodes():
    config = _mlp().get_config()
    for lc in config["layers"]:
        lc["inbound_nodes"] = [[a["config"]["keras_history"] + [{}] for a in n["args"]] for n in lc["inbound_nodes"]]
    clone = keras.Model.from_config(config)
    assert [l.name for l in clone.layers] == [l["name"] for l in config["layers"]]
    assert clone.output_shape == (None, 3)
