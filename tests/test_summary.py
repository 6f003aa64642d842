"""model.summary() against the text Keras 3.15 prints for the same models (captured with print_fn,
terminal width 200), and subclassed models (layers in __init__, a call) through the whole workflow, with
their weights files in the Keras 3 layout."""
from pathlib import Path

import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import layers as L

# -- printed by Keras 3.15 (TensorFlow backend) for the models built below --
SEQUENTIAL = """\
Model: "mlp"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ hidden (Dense)                       │ (None, 512)                 │         401,920 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ drop (Dropout)                       │ (None, 512)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ frozen_projection_layer_1 (Dense)    │ (None, 64)                  │          32,832 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ logits (Dense)                       │ (None, 10)                  │             650 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 435,402 (1.66 MB)
 Trainable params: 402,570 (1.54 MB)
 Non-trainable params: 32,832 (128.25 KB)
"""

FUNCTIONAL = """\
Model: "two_inputs"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)                │ (None, 32)                │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ b (InputLayer)                │ (None, 16)                │               0 │ -                          │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ da (Dense)                    │ (None, 8)                 │             264 │ a[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ db (Dense)                    │ (None, 8)                 │             136 │ b[0][0]                    │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ cat (Concatenate)             │ (None, 16)                │               0 │ da[0][0], db[0][0]         │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ out1 (Dense)                  │ (None, 1)                 │              17 │ cat[0][0]                  │
├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤
│ out2 (Dense)                  │ (None, 3)                 │              51 │ cat[0][0]                  │
└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘
 Total params: 468 (1.83 KB)
 Trainable params: 468 (1.83 KB)
 Non-trainable params: 0 (0.00 B)
"""

FUNCTIONAL_NARROW = """\
Model: "two_inputs"
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)          ┃ Output Shape      ┃     Param # ┃ Connected to       ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩
│ a (InputLayer)        │ (None, 32)        │           0 │ -                  │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ b (InputLayer)        │ (None, 16)        │           0 │ -                  │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ da (Dense)            │ (None, 8)         │         264 │ a[0][0]            │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ db (Dense)            │ (None, 8)         │         136 │ b[0][0]            │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ cat (Concatenate)     │ (None, 16)        │           0 │ da[0][0], db[0][0] │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ out1 (Dense)          │ (None, 1)         │          17 │ cat[0][0]          │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ out2 (Dense)          │ (None, 3)         │          51 │ cat[0][0]          │
└───────────────────────┴───────────────────┴─────────────┴────────────────────┘
 Total params: 468 (1.83 KB)
 Trainable params: 468 (1.83 KB)
 Non-trainable params: 0 (0.00 B)
"""

TRAINED = """\
Model: "trained"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)                          ┃ Output Shape                  ┃        Param # ┃ Traina… ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ d (Dense)                             │ (None, 3)                     │             15 │    Y    │
├───────────────────────────────────────┼───────────────────────────────┼────────────────┼─────────┤
│ frozen (Dense)                        │ (None, 3)                     │             12 │    N    │
└───────────────────────────────────────┴───────────────────────────────┴────────────────┴─────────┘
 Total params: 59 (240.00 B)
 Trainable params: 15 (60.00 B)
 Non-trainable params: 12 (48.00 B)
 Optimizer params: 32 (132.00 B)
"""

NARROW = """\
Model: "narrow"
┏━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┓
┃               ┃ Output   ┃ Param ┃
┃ Layer (type)  ┃ Shape    ┃     # ┃
┡━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━┩
│ inp           │ (None,   │     0 │
│ (InputLayer)  │ 5)       │       │
├───────────────┼──────────┼───────┤
│ a_very_long_… │ (None,   │    18 │
│ (Dense)       │ 3)       │       │
└───────────────┴──────────┴───────┘
 Total params: 18 (72.00 B)
 Trainable params: 18 (72.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def _summary(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    assert len(out) == 1  # Keras 3 hands the whole table to print_fn in one call
    return out[0]


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # Keras caps the table at the terminal width - 4


def _two_inputs():
    a, b = keras.Input((32,), name="a"), keras.Input((16,), name="b")
    z = L.Concatenate(name="cat")([L.Dense(8, name="da")(a), L.Dense(8, name="db")(b)])
    return keras.Model([a, b], [L.Dense(1, name="out1")(z), L.Dense(3, name="out2")(z)], name="two_inputs")


def test_sequential_summary_is_the_keras_text():
    model = keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu", name="hidden"),
                              L.Dropout(0.2, name="drop"),
                              L.Dense(64, trainable=False, name="frozen_projection_layer_1"),
                              L.Dense(10, name="logits")], name="mlp")
    assert _summary(model) == SEQUENTIAL


def test_functional_summary_with_several_inputs_has_connected_to():
    model = _two_inputs()
    assert _summary(model) == FUNCTIONAL
    assert _summary(model, line_length=80) == FUNCTIONAL_NARROW


def test_trained_model_counts_optimizer_params_and_shows_trainable():
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d"), L.Dense(3, trainable=False, name="frozen")],
                             name="trained")
    model.compile("adam", "mse")
    model.fit(np.zeros((4, 4), "float32"), np.zeros((4, 3), "float32"), verbose=0)
    assert _summary(model, show_trainable=True) == TRAINED


def test_summary_to_stdout_on_a_narrow_terminal_wraps_as_keras(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "40")  # a 36-column table: cells wrap at spaces, a longer word is cut with "…"
    a = keras.Input((5,), name="inp")
    model = keras.Model(a, L.Dense(3, name="a_very_long_layer_name_that_cannot_fit")(a), name="narrow")
    model.summary()
    assert capsys.readouterr().out == NARROW


def test_summary_layer_range_and_expand_nested():
    inner = keras.Sequential([keras.Input((5,)), L.Dense(2, name="inner")], name="sub")
    a = keras.Input((5,), name="inp")
    model = keras.Model(a, L.Dense(3, name="head")(inner(a)), name="nested")
    text = _summary(model, expand_nested=True)
    assert "│ sub (Sequential) " in text and "│    └ inner (Dense) " in text
    text = _summary(model, layer_range=["sub", "head"])
    assert "inp (InputLayer)" not in text and "sub (Sequential)" in text and "head (Dense)" in text
    with pytest.raises(ValueError, match="layer_range"):
        model.summary(layer_range=["nope", "head"])


# -- subclassed models --
class TwoLayer(keras.Model):
    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(units, activation="relu")
        self.drop = L.Dropout(0.1)
        self.head = L.Dense(3, activation="softmax")

    def call(self, x, training=None):
        return self.head(self.drop(self.hidden(x), training=training))


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")


def test_subclassed_model_trains_evaluates_predicts_and_reloads_weights(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = _data()
    model = TwoLayer(name="two_layer")
    model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=20, batch_size=16, verbose=0, validation_split=0.25)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.7
    probs = model.predict(x, verbose=0)
    assert probs.shape == (64, 3) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    # the evaluated loss is the mean cross-entropy of the predictions (dropout is off outside training)
    assert loss == pytest.approx(float(-np.mean(np.log(probs[np.arange(64), y]))), rel=1e-5)
    assert [len(l.weights) for l in model.layers] == [2, 0, 2]

    path = tmp_path / "two_layer.weights.h5"
    model.save_weights(path)
    other = TwoLayer(name="other")
    other(x[:1])  # builds the layers
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(other.predict(x, verbose=0), probs)

    text = _summary(model)
    for row in ("dense (Dense)", "dropout (Dropout)", "dense_1 (Dense)"):
        assert row.split()[1] in text
    assert "Total params: " in text and "Trainable params: 75 (300.00 B)" in text
    assert "Optimizer params: " in text


# -- a subclassed model's weights file in the Keras 3 layout (attribute names), both ways --
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Block(L.Layer):  # the classes of tools/make_keras_subclassed_fixture.py
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = L.Dense(4, activation="tanh")
        self.b = L.Dense(4)

    def call(self, x):
        return self.b(self.a(x)) + x


class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(4, activation="relu")
        self.blocks = [Block(), Block()]
        self.drop = L.Dropout(0.1)
        self.head = keras.Sequential([L.Dense(6, activation="relu"), L.Dense(3)])

    def call(self, x, training=None):
        x = self.hidden(x)
        for block in self.blocks:
            x = block(x)
        return self.head(self.drop(x, training=training))


def _groups(path):
    import h5py

    names = []
    with h5py.File(path, "r") as f:
        f.visit(names.append)
    return sorted(names)


def test_keras_written_subclassed_weights_load_and_ours_have_the_same_layout(tmp_path):
    e = np.load(FIXTURES / "keras_subclassed_expected.npz")
    model = Net()
    model.compile(optimizer="adam", loss="mean_squared_error")
    model(e["x"][:1])
    model.load_weights(FIXTURES / "keras_subclassed.weights.h5")
    np.testing.assert_allclose(model.predict(e["x"], verbose=0), e["y"], atol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == int(e["iterations"])
    # written back: the same groups and datasets as Keras' file (layers under their attribute names)
    model.save_weights(tmp_path / "ours.weights.h5")
    assert _groups(tmp_path / "ours.weights.h5") == _groups(FIXTURES / "keras_subclassed.weights.h5")
    other = Net()
    other(e["x"][:1])
    other.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_array_equal(other.predict(e["x"], verbose=0), model.predict(e["x"], verbose=0))
