"""Keras masking: masks ride on tensors as `_keras_mask`; Layer.__call__ passes them as `mask=` to a call()
that takes one and attaches compute_mask's result to the outputs of layers that support masking."""
import warnings

import numpy as np
import pytest
from helpers import cuda_only

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers


class MaskedMean(keras.layers.Layer):
    """A consumer: the mean over time of the unmasked steps; records the mask it was given."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, mask=None):
        self.seen.append(None if mask is None else mask.numpy().copy())
        if mask is None:
            return kt.reduce_mean(inputs, axis=1)
        m = kt.expand_dims(kt.cast(mask, inputs.dtype), -1)
        return kt.reduce_sum(inputs * m, axis=1) / kt.maximum(kt.reduce_sum(m, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


class StepCounter(keras.layers.Layer):
    """Passes its inputs through and records the mask; keeps the mask (supports_masking)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, inputs, mask=None, training=None):
        self.seen.append(None if mask is None else mask.numpy().copy())
        return inputs * 1.0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


IDS = np.array([[3, 1, 0, 0, 0], [5, 2, 7, 0, 0], [4, 0, 0, 0, 0]])  # zero-padded sequences


def _masked_mean_np(h, mask):
    m = mask[..., None].astype(h.dtype)
    return (h * m).sum(1) / np.maximum(m.sum(1), 1)


def test_embedding_mask_zero_gives_the_mask():
    emb = layers.Embedding(9, 4, mask_zero=True)
    h = emb(IDS)
    assert h._keras_mask.dtype == kt.bool
    np.testing.assert_array_equal(h._keras_mask.numpy(), IDS != 0)
    np.testing.assert_array_equal(emb.compute_mask(IDS).numpy(), IDS != 0)
    assert emb.supports_masking
    plain = layers.Embedding(9, 4)
    assert getattr(plain(IDS), "_keras_mask", None) is None and not plain.supports_masking


def test_sequential_consumer_receives_the_mask():
    keras.utils.set_random_seed(0)
    consumer = MaskedMean()
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 4, mask_zero=True),
                              layers.Dense(6), layers.Dropout(0.5), layers.Activation("tanh"), consumer])
    y = model(IDS).numpy()
    np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)  # through Dense (3-D), Dropout, Activation
    emb, dense = model.layers[0], model.layers[1]
    k, b = dense.get_weights()
    h = np.tanh(emb.get_weights()[0][IDS] @ k + b)
    np.testing.assert_allclose(y, _masked_mean_np(h, IDS != 0), rtol=1e-5, atol=1e-6)
    # training uses the mask too: the padding row of the embedding gets no gradient
    model.compile("sgd", "mse")
    before = emb.get_weights()[0].copy()
    model.fit(IDS, np.ones((3, 6), "float32"), epochs=2, verbose=0)
    after = emb.get_weights()[0]
    np.testing.assert_array_equal(after[0], before[0])
    assert not np.array_equal(after[3], before[3])


def test_functional_consumer_receives_the_mask_at_run_time():
    inp = keras.Input((5,), dtype="int32")
    h = layers.Embedding(9, 4, mask_zero=True)(inp)
    counter = StepCounter()
    h2 = counter(layers.Dense(3)(h))
    consumer = MaskedMean()
    out = layers.Dense(2)(consumer(h2))
    model = keras.Model(inp, out)
    model.predict(IDS, verbose=0)
    np.testing.assert_array_equal(counter.seen[-1], IDS != 0)
    np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)
    other = IDS.copy()
    other[0, 2] = 8  # the mask follows the data of each call
    model(other)
    np.testing.assert_array_equal(consumer.seen[-1], other != 0)
    # the model's output of a non-masking layer carries no mask
    assert getattr(model(IDS), "_keras_mask", None) is None


def test_nested_model_passes_the_mask():
    consumer = MaskedMean()
    inner = keras.Sequential([keras.Input((5, 4)), layers.Dense(4), consumer])
    inp = keras.Input((5,), dtype="int32")
    model = keras.Model(inp, inner(layers.Embedding(9, 4, mask_zero=True)(inp)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a model never warns about masks its layers consume
        model(IDS)
    np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)


def test_masking_layer():
    x = np.random.default_rng(0).normal(size=(3, 7, 5)).astype("float32")
    x[0, 2] = 0.0
    x[2, 4:] = 0.0
    x[1, 3, :2] = 0.0  # partly zero: not masked
    layer = layers.Masking()
    y = layer(x)
    want = np.any(x != 0, axis=-1)
    np.testing.assert_array_equal(y._keras_mask.numpy(), want)
    np.testing.assert_array_equal(y.numpy(), x * want[..., None])
    np.testing.assert_array_equal(layer.compute_mask(kt.constant(x)).numpy(), want)
    x2 = np.where(x == 0, -1.0, x).astype("float32")
    consumer = MaskedMean()
    keras.Sequential([keras.Input((7, 5)), layers.Masking(mask_value=-1.0), consumer])(x2)
    np.testing.assert_array_equal(consumer.seen[-1], want)
    assert layers.Masking(mask_value=-1.0).get_config()["mask_value"] == -1.0


def test_no_mask_costs_nothing_and_passes_none():
    consumer = MaskedMean()
    x = np.ones((2, 3, 4), "float32")
    out = keras.Sequential([keras.Input((3, 4)), layers.Dense(4), consumer])(x)
    assert consumer.seen == [None]
    assert getattr(out, "_keras_mask", None) is None
    d = layers.Dense(2)
    assert getattr(d(x), "_keras_mask", None) is None


def test_explicit_mask_wins_and_autocast_keeps_the_mask():
    consumer = MaskedMean()
    x = kt.constant(np.ones((2, 3, 4), "float64"))
    x._keras_mask = kt.constant(np.array([[True, False, True], [True, True, False]]))
    consumer(x)  # float64 -> float32 cast keeps the attached mask
    np.testing.assert_array_equal(consumer.seen[-1], [[True, False, True], [True, True, False]])
    explicit = np.array([[False, True, True], [True, False, False]])
    consumer(x, mask=kt.constant(explicit))
    np.testing.assert_array_equal(consumer.seen[-1], explicit)
    counter = StepCounter()
    y = counter(x, mask=kt.constant(explicit))  # the explicit mask is what passes through
    np.testing.assert_array_equal(y._keras_mask.numpy(), explicit)


def test_supports_masking_and_compute_mask_defaults():
    assert not layers.Layer().supports_masking
    assert layers.Layer().compute_mask(None, kt.constant([True])) is None
    for layer in (layers.Dense(2), layers.Dropout(0.1), layers.Activation("relu"), layers.Masking(),
                  layers.SpatialDropout1D(0.1), layers.TimeDistributed(layers.Dense(2))):
        assert layer.supports_masking, type(layer).__name__
    for layer in (layers.Flatten(), layers.Reshape((2,)), layers.Permute((1,)), layers.RepeatVector(2)):
        assert not layer.supports_masking, type(layer).__name__

    class Halve(keras.layers.Layer):  # overriding compute_mask turns masking on (Keras 3)
        def call(self, inputs):
            return inputs[:, ::2]

        def compute_mask(self, inputs, mask=None):
            return None if mask is None else mask[:, ::2]

    layer = Halve()
    assert layer.supports_masking
    x = kt.constant(np.ones((2, 4, 1), "float32"))
    x._keras_mask = kt.constant(np.array([[True, True, False, False], [True, False, True, False]]))
    np.testing.assert_array_equal(layer(x)._keras_mask.numpy(), [[True, False], [True, True]])
    layer.supports_masking = False
    assert getattr(layer(kt.constant(np.ones((2, 4, 1), "float32"))), "_keras_mask", None) is None


def test_flatten_drops_the_mask_with_a_warning():
    h = layers.Embedding(9, 4, mask_zero=True)(IDS)
    with pytest.warns(UserWarning, match="does not support masking"):
        y = layers.Flatten()(h)
    assert getattr(y, "_keras_mask", None) is None


def test_time_distributed_folds_and_passes_the_mask():
    inner = StepCounter()
    td = layers.TimeDistributed(inner)
    x = kt.constant(np.ones((3, 5, 2, 4), "float32"))
    x._keras_mask = kt.constant(IDS != 0)
    y = td(x)
    np.testing.assert_array_equal(inner.seen[-1], (IDS != 0).reshape(-1))  # (batch * time,)
    np.testing.assert_array_equal(y._keras_mask.numpy(), IDS != 0)
    with pytest.raises(ValueError, match="mask must have shape"):
        td(x, mask=kt.constant(np.ones((3, 4), bool)))
    consumer = MaskedMean()
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 4, mask_zero=True),
                              layers.TimeDistributed(layers.Dense(3)), consumer])
    model(IDS)
    np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)


def test_mask_survives_save_and_load(tmp_path):
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 4, mask_zero=True),
                              layers.TimeDistributed(layers.Dense(3)), MaskedMean(name="masked_mean")])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"MaskedMean": MaskedMean})
    np.testing.assert_allclose(loaded.predict(IDS, verbose=0), model.predict(IDS, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(loaded.layers[-1].seen[-1], IDS != 0)


def test_losses_skip_masked_steps():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 3, mask_zero=True),
                              layers.Dense(2)])
    model.compile("sgd", "mse")
    target = np.random.default_rng(0).normal(size=(3, 5, 2)).astype("float32")
    pred = model.predict(IDS, verbose=0)
    mask = IDS != 0
    per_step = ((pred - target) ** 2).mean(-1)
    np.testing.assert_allclose(model.evaluate(IDS, target, verbose=0), per_step[mask].mean(), rtol=1e-5)
    sw = np.array([1.0, 2.0, 0.5], "float32")
    want = (per_step * sw[:, None] * mask).sum() / mask.sum()
    np.testing.assert_allclose(model.evaluate(IDS, target, sample_weight=sw, verbose=0), want, rtol=1e-5)
    y = kt.constant(pred)
    y._keras_mask = kt.constant(mask)
    got = keras.losses.MeanSquaredError(reduction="sum")(target, y).numpy()
    np.testing.assert_allclose(got, per_step[mask].sum(), rtol=1e-5)
    # padding steps do not train: changing their targets changes nothing
    target2 = target.copy()
    target2[~mask] = 100.0
    np.testing.assert_allclose(model.evaluate(IDS, target2, verbose=0), per_step[mask].mean(), rtol=1e-5)


def test_merge_layers_combine_masks():
    ma = np.array([[True, True, False], [True, False, False]])
    mb = np.array([[True, False, True], [True, True, False]])
    a = kt.constant(np.ones((2, 3, 4), "float32"))
    a._keras_mask = kt.constant(ma)
    b = kt.constant(np.ones((2, 3, 4), "float32"))
    b._keras_mask = kt.constant(mb)
    c = kt.constant(np.ones((2, 3, 4), "float32"))  # unmasked
    np.testing.assert_array_equal(layers.Add()([a, b])._keras_mask.numpy(), ma & mb)
    np.testing.assert_array_equal(layers.Multiply()([a, c])._keras_mask.numpy(), ma)
    assert getattr(layers.Add()([c, c]), "_keras_mask", None) is None
    np.testing.assert_array_equal(layers.Concatenate()([a, c])._keras_mask.numpy(), ma | True)
    np.testing.assert_array_equal(layers.Concatenate(axis=1)([a, b])._keras_mask.numpy(),
                                  np.concatenate([ma, mb], axis=1))
    assert getattr(layers.Dot(axes=2)([a, b]), "_keras_mask", None) is None
    # in a functional model, two masked branches merge
    inp = keras.Input((5,), dtype="int32")
    e = layers.Embedding(9, 4, mask_zero=True)(inp)
    consumer = MaskedMean()
    keras.Model(inp, consumer(layers.Add()([layers.Dense(4)(e), e])))(IDS)
    np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)


@cuda_only
def test_masks_on_cuda():
    with kt.device("cuda"):
        consumer = MaskedMean()
        model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 4, mask_zero=True),
                                  layers.Dense(3), consumer])
        y = model(IDS)
        assert y.device.startswith("cuda")
        np.testing.assert_array_equal(consumer.seen[-1], IDS != 0)


class AddState(keras.layers.Layer):
    """Takes a second tensor by keyword, as an RNN takes initial_state."""

    def call(self, inputs, initial_state=None):
        return inputs if initial_state is None else inputs + kt.expand_dims(initial_state, 1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def test_functional_keyword_tensors_mask_and_state(tmp_path):
    seq = keras.Input((5, 4))
    mask_in = keras.Input((5,), dtype="bool")
    state = keras.Input((4,))
    consumer = MaskedMean(name="masked_mean")
    out = consumer(AddState(name="add_state")(seq, initial_state=state), mask=mask_in)
    model = keras.Model([seq, mask_in, state], out)
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    s = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    mask = IDS != 0
    y = model([x, mask, s]).numpy()
    np.testing.assert_array_equal(consumer.seen[-1], mask)
    np.testing.assert_allclose(y, _masked_mean_np(x + s[:, None], mask), rtol=1e-5, atol=1e-6)
    # the keyword tensors are part of the saved graph
    custom = {"MaskedMean": MaskedMean, "AddState": AddState}
    again = keras.Model.from_config(model.get_config(), custom_objects=custom)
    np.testing.assert_allclose(again([x, mask, s]).numpy(), y, rtol=1e-6)
    model.save(tmp_path / "kw.keras")
    loaded = keras.models.load_model(tmp_path / "kw.keras", custom_objects=custom)
    np.testing.assert_allclose(loaded.predict([x, mask, s], verbose=0), y, rtol=1e-6)
    node = model.get_config()["layers"][-1]["inbound_nodes"][0]
    assert node["kwargs"]["mask"]["config"]["keras_history"][0] == mask_in._keras_history[0].name


def test_weighted_metrics_skip_masked_steps():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(9, 3, mask_zero=True),
                              layers.Dense(2)])
    model.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mae"])
    target = np.random.default_rng(3).normal(size=(3, 5, 2)).astype("float32")
    pred = model.predict(IDS, verbose=0)
    mask = IDS != 0
    sw = np.array([1.0, 2.0, 0.5], "float32")
    per_step = np.abs(pred - target).mean(-1)
    logs = model.evaluate(IDS, target, sample_weight=sw, verbose=0, return_dict=True)
    w = mask * sw[:, None]
    np.testing.assert_allclose(logs["weighted_mae"], (per_step * w).sum() / w.sum(), rtol=1e-5)
    np.testing.assert_allclose(logs["mae"], per_step[mask].mean(), rtol=1e-5)


class AddStates(keras.layers.Layer):
    def call(self, inputs, initial_state=None):
        h, c = initial_state
        return inputs + kt.expand_dims(h * c, 1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


def test_functional_keyword_tensor_lists(tmp_path):
    seq, h, c = keras.Input((5, 4)), keras.Input((4,)), keras.Input((4,))
    enc = layers.Dense(4)(h)  # a state made by a layer, as an encoder's states
    model = keras.Model([seq, h, c], AddStates(name="add_states")(seq, initial_state=[enc, c]))
    r = np.random.default_rng(0)
    x, hv, cv = (r.normal(size=s).astype("float32") for s in ((2, 5, 4), (2, 4), (2, 4)))
    dense = next(l for l in model.layers if isinstance(l, layers.Dense))
    k, b = dense.get_weights()
    y = model([x, hv, cv]).numpy()
    np.testing.assert_allclose(y, x + ((hv @ k + b) * cv)[:, None], rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "s.keras")
    loaded = keras.models.load_model(tmp_path / "s.keras", custom_objects={"AddStates": AddStates})
    np.testing.assert_allclose(loaded([x, hv, cv]).numpy(), y, rtol=1e-6)
