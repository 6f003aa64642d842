"""Saving: .keras, legacy .h5 and .weights.h5 round trips, Keras interop both ways, clear errors
that leave the model untouched, atomic writes, ModelCheckpoint and BackupAndRestore."""
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from ktensor import keras

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HAVE_KERAS = importlib.util.find_spec("keras") is not None


def _data(n=32):
    rng = np.random.RandomState(0)
    return rng.rand(n, 6).astype("float32"), rng.randint(0, 3, n)


def _seq(optimizer="adam", dropout=0.1):
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(dropout),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _functional():
    inp = keras.Input((6,))
    a = keras.layers.Dense(4, activation="tanh")(inp)
    b = keras.layers.Dense(4)(inp)
    h = keras.layers.Concatenate()([keras.layers.Add()([a, b]), a])
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Activation("relu")(h))
    m = keras.Model(inp, out)
    m.compile(optimizer=keras.optimizers.RMSprop(momentum=0.9, centered=True), loss="sparse_categorical_crossentropy")
    return m


def _opt_state(m):
    from ktensor.keras.saving import _state
    return [np.asarray(v.numpy()) for _, v in _state.optimizer_variables(m.optimizer)]


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("make", [lambda: _seq(dropout=0.0), _functional,  # no dropout: the resumed steps must match
                                  lambda: _seq(keras.optimizers.SGD(momentum=0.9), 0.0), lambda: _seq("nadam", 0.0),
                                  lambda: _seq(keras.optimizers.Adam(amsgrad=True), 0.0)])
def test_round_trip_resumes_training(tmp_path, ext, make):
    x, y = _data()
    m = make()
    m.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    path = tmp_path / f"m{ext}"
    m.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6)
    assert loaded.compiled and type(loaded.optimizer) is type(m.optimizer)
    assert int(loaded.optimizer.iterations.numpy()) == int(m.optimizer.iterations.numpy()) == 8
    for a, b in zip(_opt_state(loaded), _opt_state(m)):
        np.testing.assert_allclose(a, b, atol=1e-7)
    # training resumes exactly where it stopped
    m.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-5)
    assert loaded.metrics_names == m.metrics_names


def test_uncompiled_and_unbuilt_optimizer(tmp_path):
    x, _ = _data()
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    for ext in (".keras", ".h5"):
        m.save(tmp_path / f"u{ext}")
        loaded = keras.models.load_model(tmp_path / f"u{ext}")
        assert not loaded.compiled
        np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6)
    m.compile(optimizer="adam", loss="mse")  # compiled, never trained: no slots yet
    m.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    loaded.fit(x, np.zeros((32, 2)), epochs=1, verbose=0)


def test_weights_file_round_trip_and_layout(tmp_path):
    x, y = _data()
    m = _seq()
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    with h5py.File(path) as f:
        assert f["layers/dense/vars"].attrs["name"] == m.layers[0].name
        assert f["layers/dense/vars/0"].shape == (6, 8) and f["layers/dense_1/vars/1"].shape == (3,)
        assert "layers/dropout/vars" in f and f["optimizer/vars/0"].dtype == np.int64
    other = _seq()
    other.load_weights(path)
    np.testing.assert_allclose(other.predict(x, verbose=0), m.predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ValueError, match="weights.h5"):
        m.save_weights(tmp_path / "w.h5")


def _expected():
    return np.load(FIXTURES / "keras_expected.npz")


@pytest.mark.parametrize("name,key", [("keras_seq.keras", "seq"), ("keras_seq.h5", "seq"), ("keras_fn.keras", "fn"),
                                      ("keras_fn.h5", "fn")])
def test_keras_written_fixtures_load(name, key):
    e = _expected()
    m = keras.models.load_model(FIXTURES / name)
    np.testing.assert_allclose(m.predict(e["x"], verbose=0), e[key], atol=1e-5)
    assert m.compiled
    if name.endswith(".keras"):  # Keras restores optimizer state from .keras files (from .h5 only partly)
        assert int(m.optimizer.iterations.numpy()) == int(e[f"{key}_iterations"])
        if key == "seq":
            got = np.stack([v.ravel()[:3] for v in _opt_state(m)[2:4]])
            np.testing.assert_allclose(got, e["seq_opt"], atol=1e-7)
    m.fit(e["x"], e[key] if key == "fn" else np.argmax(e[key], 1), epochs=1, verbose=0)


def test_keras_written_weights_file_loads():
    e = _expected()
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.1),
                          keras.layers.Dense(3, activation="softmax")])
    m.load_weights(FIXTURES / "keras_seq.weights.h5")
    np.testing.assert_allclose(m.predict(e["x"], verbose=0), e["seq"], atol=1e-5)


_KERAS_CHECK = """
import sys, numpy as np, keras
x = np.load(sys.argv[1])
for path, pred in zip(sys.argv[2::2], sys.argv[3::2]):
    m = keras.models.load_model(path)
    d = float(np.abs(m.predict(x, verbose=0) - np.load(pred)).max())
    assert d < 1e-5, (path, d)
    if path.endswith('.keras'):
        assert int(m.optimizer.iterations.numpy()) == 4, path
print('ok')
"""


@pytest.mark.skipif(not HAVE_KERAS, reason="keras is not installed")
def test_ktensor_files_load_in_real_keras(tmp_path):
    x, y = _data(16)
    args = [str(tmp_path / "x.npy")]
    np.save(args[0], x)
    for i, make in enumerate((_seq, _functional)):
        m = make()
        m.fit(x, y, epochs=2, batch_size=8, verbose=0)
        np.save(tmp_path / f"p{i}.npy", m.predict(x, verbose=0))
        for ext in (".keras", ".h5"):
            m.save(tmp_path / f"m{i}{ext}")
            args += [str(tmp_path / f"m{i}{ext}"), str(tmp_path / f"p{i}.npy")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", _KERAS_CHECK, *args], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]


# -- errors: clear messages, nothing changed --
def _saved(tmp_path, ext):
    x, y = _data()
    m = _seq()
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / f"m{ext}"
    m.save(path)
    return m, path


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_truncated_and_corrupted_files(tmp_path, ext):
    _, path = _saved(tmp_path, ext)
    data = path.read_bytes()
    for name, content in (("trunc", data[: len(data) // 2]), ("empty", b""), ("junk", b"not a model at all")):
        bad = tmp_path / f"{name}{ext}"
        bad.write_bytes(content)
        with pytest.raises(ValueError, match=str(bad.name)):
            keras.models.load_model(bad)
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / f"missing{ext}")


def test_unknown_layer_class_names_file_and_layer(tmp_path):
    _, path = _saved(tmp_path, ".keras")
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    items["config.json"] = items["config.json"].replace(b'"class_name": "Dropout"', b'"class_name": "FancyLayer"')
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(bad, "w") as z:
        for n, d in items.items():
            z.writestr(n, d)
    dropout = [l.name for l in _.layers if type(l).__name__ == "Dropout"][0]
    with pytest.raises(ValueError, match=rf"bad\.keras.*'{dropout}'.*FancyLayer"):
        keras.models.load_model(bad)


def test_shape_mismatch_names_layer_and_changes_nothing(tmp_path):
    x, _ = _data()
    m = _seq()
    m.predict(x, verbose=0)
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    with h5py.File(path, "r+") as f:  # first layer fine, second layer wrong
        del f["layers/dense_1/vars/0"]
        f["layers/dense_1/vars/0"] = np.zeros((8, 4), "float32")
    other = _seq()
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=rf"w\.weights\.h5.*'{other.layers[2].name}' \(Dense\).*\(8, 4\)"):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_is_atomic(tmp_path, monkeypatch):
    x, _ = _data()
    m, path = _saved(tmp_path, ".keras")
    good = path.read_bytes()
    from ktensor.keras.saving import keras_zip

    def boom(*a, **k):
        raise RuntimeError("crash while writing")

    monkeypatch.setattr(keras_zip.json, "dumps", boom)
    with pytest.raises(RuntimeError):
        m.save(path)
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ["m.keras"]


# -- callbacks --
def test_model_checkpoint_templates_and_best_only(tmp_path):
    x, y = _data(64)
    m = _seq()
    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.2f}.keras"))
    h = m.fit(x, y, epochs=3, validation_split=0.25, callbacks=[cb], verbose=0)
    names = sorted(os.listdir(tmp_path))
    assert names == [f"ckpt-{e + 1:02d}-{v:.2f}.keras" for e, v in enumerate(h.history["val_loss"])]

    best = tmp_path / "best.weights.h5"
    cb = keras.callbacks.ModelCheckpoint(str(best), monitor="val_loss", save_best_only=True, save_weights_only=True,
                                         mode="min")
    h = m.fit(x, y, epochs=4, validation_split=0.25, callbacks=[cb], verbose=0)
    assert cb.best == pytest.approx(min(h.history["val_loss"]))
    assert best.exists()

    cb = keras.callbacks.ModelCheckpoint(str(tmp_path / "b-{epoch}-{batch}.keras"), save_freq=3)
    m.fit(x, y, epochs=1, batch_size=8, callbacks=[cb], verbose=0)
    assert sorted(p.name for p in tmp_path.glob("b-*")) == ["b-1-3.keras", "b-1-6.keras"]
    with pytest.raises(ValueError, match="weights.h5"):
        keras.callbacks.ModelCheckpoint(str(tmp_path / "x.keras"), save_weights_only=True)


class _Crash(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt("killed")


class _Epochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        self.seen.append(epoch)


def test_backup_and_restore_resumes(tmp_path):
    x, y = _data(64)
    backup = tmp_path / "backup"
    m = _seq()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=5, callbacks=[keras.callbacks.BackupAndRestore(str(backup)), _Crash(2)], verbose=0)
    # _Crash runs after BackupAndRestore in on_epoch_end, so epochs 0..2 completed and were backed up
    weights, opt = [w.copy() for w in m.get_weights()], _opt_state(m)

    fresh = _seq()
    fresh.predict(x, verbose=0)  # built, different initial weights
    restored = {}

    class _Peek(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not restored:
                restored["w"] = [w.copy() for w in self.model.get_weights()]
                restored["opt"] = _opt_state(self.model)
                restored["initial_epoch"] = getattr(self.model, "_initial_epoch", None)

    epochs = _Epochs()
    fresh.fit(x, y, epochs=5, callbacks=[keras.callbacks.BackupAndRestore(str(backup)), _Peek(), epochs], verbose=0)
    for a, b in zip(restored["w"], weights):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(restored["opt"], opt):
        np.testing.assert_array_equal(a, b)
    assert restored["initial_epoch"] == 3
    assert not os.listdir(backup)  # delete_checkpoint=True removes the backup after a completed run
    assert epochs.seen == [3, 4]


class _CrashMidEpoch(keras.callbacks.Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("killed mid-epoch")


def test_backup_and_restore_mid_epoch_kill_resumes_that_epoch(tmp_path):
    x, y = _data(64)  # 4 batches of 16 per epoch
    backup = tmp_path / "backup"
    m = _seq()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=4, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(str(backup), save_freq=1), _CrashMidEpoch(2, 1)])
    # the backup holds the weights after batch 1 of epoch 2 (save_freq=1 backs up every batch)
    backed_up = [w.copy() for w in m.get_weights()]
    fresh = _seq()
    fresh.predict(x, verbose=0)
    epochs, first = _Epochs(), {}

    class _Peek(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            first.setdefault("w", [w.copy() for w in self.model.get_weights()])

    fresh.fit(x, y, epochs=4, batch_size=16, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(str(backup), save_freq=1), _Peek(), epochs])
    assert epochs.seen == [2, 3]  # the interrupted epoch runs again from its start
    for a, b in zip(first["w"], backed_up):
        np.testing.assert_array_equal(a, b)


def test_stale_initial_epoch_from_a_killed_run_is_ignored(tmp_path):
    x, y = _data(32)
    m = _seq()
    with pytest.raises(KeyboardInterrupt):
        m.fit(x, y, epochs=5, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "b")), _Crash(1)])
    m2 = _seq()
    m2.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "b"))])
    epochs = _Epochs()
    m2.fit(x, y, epochs=2, verbose=0, callbacks=[epochs])  # no backup callback: starts at 0
    assert epochs.seen == [0, 1]
