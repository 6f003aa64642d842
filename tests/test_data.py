"""ktensor.data.Dataset against plain-Python expectations, and Datasets / generators / PyDataset in fit."""
import gc
import threading
import time

import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.data import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset


def _ints(ds):
    return [int(e) for e in ds]


# -- sources --

def test_from_tensor_slices_structures():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    els = list(Dataset.from_tensor_slices((x, y)))
    assert len(els) == 6 and isinstance(els[0], tuple)
    for i, (a, b) in enumerate(els):
        np.testing.assert_array_equal(a, x[i])
        assert int(b) == y[i]
    d = list(Dataset.from_tensor_slices({"a": x, "b": (y, y + 1)}))
    assert set(d[2]) == {"a", "b"} and int(d[2]["b"][1]) == 21
    t = list(Dataset.from_tensor_slices(kt.convert_to_tensor(np.arange(4, dtype=np.float32))))
    assert [float(v) for v in t] == [0, 1, 2, 3]
    assert Dataset.from_tensor_slices(x).cardinality() == 6
    assert _ints(Dataset.from_tensor_slices([3, 4, 5])) == [3, 4, 5]  # a list is one component, as tf.data
    assert [e.tolist() for e in Dataset.from_tensor_slices([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_from_tensor_slices_length_mismatch():
    with pytest.raises(ValueError, match=r"\[5, 4\]"):
        Dataset.from_tensor_slices((np.zeros(5), np.zeros(4)))


def test_from_generator():
    def gen():
        for i in range(5):
            yield i, np.full(2, i)

    ds = Dataset.from_generator(gen, output_types=(kt.int32, "float32"))
    assert ds.cardinality() == UNKNOWN_CARDINALITY
    for _ in range(2):  # the generator is called afresh for each pass
        els = list(ds)
        assert [int(a) for a, _ in els] == list(range(5))
        assert els[3][1].dtype == np.float32 and els[3][0].dtype == np.int32
    assert len(list(Dataset.from_generator(gen, output_types=("int32", "float32"), output_shapes=((), (None,))))) == 5

    class Spec:  # anything with .shape and .dtype serves as a TensorSpec
        def __init__(self, shape, dtype):
            self.shape, self.dtype = shape, dtype

    sig = (Spec((), kt.int64), Spec((2,), kt.float64))
    assert list(Dataset.from_generator(gen, output_signature=sig))[4][1].dtype == np.float64
    with pytest.raises(ValueError, match=r"declared shape \(3,\)"):
        list(Dataset.from_generator(gen, output_types=("int32", "float32"), output_shapes=((), (3,))))


# -- transformations --

@pytest.mark.parametrize("n,bs", [(10, 3), (9, 3), (1, 4), (7, 1)])
def test_batch_and_remainder(n, bs):
    x = np.arange(n * 2).reshape(n, 2)
    batches = list(Dataset.from_tensor_slices((x, np.arange(n))).batch(bs))
    assert [b[0].shape for b in batches] == [(min(bs, n - s), 2) for s in range(0, n, bs)]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    dropped = list(Dataset.from_tensor_slices(x).batch(bs, drop_remainder=True))
    assert len(dropped) == n // bs and all(b.shape == (bs, 2) for b in dropped)
    assert Dataset.from_tensor_slices(x).batch(bs).cardinality() == -(-n // bs)
    assert Dataset.from_tensor_slices(x).batch(bs, drop_remainder=True).cardinality() == n // bs


def test_batch_fast_path_matches_element_path():
    # batch() right after from_tensor_slices (or a shuffle of it) gathers whole batches; same result
    x, y = np.arange(46).reshape(23, 2), np.arange(23)
    src = Dataset.from_tensor_slices((x, y))
    for drop in (False, True):
        fast = list(src.shuffle(6, seed=4).batch(5, drop_remainder=drop))
        slow = list(src.shuffle(6, seed=4).map(lambda a, b: (a, b)).batch(5, drop_remainder=drop))
        assert len(fast) == len(slow) == (4 if drop else 5)
        for (a, b), (c, d) in zip(fast, slow):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)
    with pytest.raises(ValueError, match="different shapes"):
        list(Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)])).batch(2))


def test_unbatch_inverts_batch():
    x = np.arange(21).reshape(7, 3)
    ds = Dataset.from_tensor_slices({"x": x, "y": np.arange(7)}).batch(3).unbatch()
    out = list(ds)
    np.testing.assert_array_equal(np.stack([e["x"] for e in out]), x)
    assert [int(e["y"]) for e in out] == list(range(7))


def test_shuffle_permutation_seed_and_reshuffle():
    base = Dataset.range(50)
    ds = base.shuffle(10, seed=3)
    e1, e2 = _ints(ds), _ints(ds)
    assert sorted(e1) == list(range(50)) and e1 != list(range(50))
    assert e1 != e2  # reshuffled each iteration
    assert _ints(base.shuffle(10, seed=3)) == e1  # same seed, same order
    fixed = base.shuffle(10, seed=3, reshuffle_each_iteration=False)
    assert _ints(fixed) == _ints(fixed)
    # buffer semantics: element i cannot come out before position i - buffer_size + 1
    assert all(pos >= v - 9 for pos, v in enumerate(e1))
    kt.random.set_seed(7)
    a = _ints(base.shuffle(50))
    kt.random.set_seed(7)
    assert _ints(base.shuffle(50)) == a


def test_map_positional_and_parallel_order():
    ds = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 2)).map(lambda a, b: a + b)
    assert _ints(ds) == [0, 3, 6, 9, 12]

    def slow(v):
        time.sleep(0.002 * (int(v) % 3))
        return v * v

    par = Dataset.range(40).map(slow, num_parallel_calls=AUTOTUNE)
    assert _ints(par) == [i * i for i in range(40)]
    assert _ints(Dataset.range(10).map(slow, num_parallel_calls=4)) == [i * i for i in range(10)]


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "ktensor-data-prefetch"]


def test_prefetch_yields_all_and_thread_ends():
    ds = Dataset.range(100).batch(7).prefetch(AUTOTUNE)
    assert np.concatenate(list(ds)).tolist() == list(range(100))
    it = iter(Dataset.range(1000).prefetch(2))
    assert int(next(it)) == 0
    thread = it.thread
    assert thread.is_alive()
    del it
    gc.collect()
    thread.join(timeout=2)
    assert not thread.is_alive()
    time.sleep(0.1)
    assert not _prefetch_threads()


def test_prefetch_propagates_errors():
    def gen():
        yield 1
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        list(Dataset.from_generator(gen).prefetch(1))


def test_repeat_take_skip_cardinality():
    ds = Dataset.range(4)
    assert _ints(ds.repeat(3)) == [0, 1, 2, 3] * 3 and ds.repeat(3).cardinality() == 12
    assert ds.repeat().cardinality() == INFINITE_CARDINALITY
    assert _ints(ds.repeat().take(10)) == ([0, 1, 2, 3] * 3)[:10]
    assert ds.repeat().take(10).cardinality() == 10
    assert _ints(ds.take(2)) == [0, 1] and _ints(ds.take(10)) == [0, 1, 2, 3] and ds.take(10).cardinality() == 4
    assert _ints(ds.skip(1)) == [1, 2, 3] and ds.skip(9).cardinality() == 0 and _ints(ds.skip(9)) == []
    assert _ints(ds.take(-1)) == [0, 1, 2, 3]
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    assert len(ds.batch(3)) == 2


def test_zip_and_concatenate():
    a, b = Dataset.range(3), Dataset.range(10, 15)
    assert [(int(u), int(v)) for u, v in Dataset.zip((a, b))] == [(0, 10), (1, 11), (2, 12)]
    assert Dataset.zip(a, b).cardinality() == 3
    assert [int(e["p"]) for e in Dataset.zip({"p": a, "q": b})] == [0, 1, 2]
    assert _ints(a.concatenate(b)) == [0, 1, 2, 10, 11, 12, 13, 14] and a.concatenate(b).cardinality() == 8


def test_cache_fills_on_first_full_pass():
    calls = []

    def f(v):
        calls.append(int(v))
        return v

    ds = Dataset.range(5).map(f).cache()
    assert _ints(ds.take(2)) == [0, 1]  # a partial pass does not fill the cache
    assert _ints(ds) == [0, 1, 2, 3, 4]
    n = len(calls)
    assert _ints(ds) == [0, 1, 2, 3, 4] and len(calls) == n


def test_shuffle_after_cache_reshuffles():
    ds = Dataset.range(30).cache().shuffle(30, seed=1)
    a, b = _ints(ds), _ints(ds)
    assert sorted(a) == sorted(b) == list(range(30)) and a != b


# -- the trainer --

def _problem(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype=np.float32) + 0.3).astype(np.float32)
    return x, y


def _model(seed=1):
    kt.random.set_seed(seed)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def test_fit_dataset_matches_arrays():
    x, y = _problem()
    a = _model()
    a.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    b = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(10).prefetch(AUTOTUNE)
    hist = b.fit(ds, epochs=3, verbose=0, validation_data=ds)
    assert len(hist.history["loss"]) == 3 and "val_loss" in hist.history
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, atol=1e-6)
    assert abs(b.evaluate(ds, verbose=0) - a.evaluate(x, y, batch_size=10, verbose=0)) < 1e-5
    np.testing.assert_allclose(b.predict(Dataset.from_tensor_slices(x).batch(16), verbose=0),
                               a.predict(x, verbose=0), atol=1e-5)


def test_fit_dataset_progress_and_unknown_total(capsys):
    x, y = _problem(20)
    model = _model()
    model.fit(Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=1)
    assert "3/3" in capsys.readouterr().out

    def gen():
        for s in range(0, 20, 8):
            yield x[s:s + 8], y[s:s + 8]

    model.fit(Dataset.from_generator(gen), epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out  # an unknown total while running; the final line shows the steps run, as Keras


def test_fit_rejects_x_only_dataset():
    x, _ = _problem(8)
    model = _model()
    with pytest.raises(ValueError, match=r"\(x, y\)"):
        model.fit(Dataset.from_tensor_slices(x).batch(4), verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(Dataset.from_tensor_slices((x, x)).batch(4).repeat(), verbose=0)
    assert model.predict(Dataset.from_tensor_slices(x).batch(4), verbose=0).shape == (8, 1)


def test_fit_infinite_dataset_with_steps():
    x, y = _problem(16)
    model = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(4).repeat().prefetch(2)
    hist = model.fit(ds, steps_per_epoch=3, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2
    gc.collect()
    deadline = time.time() + 2
    while _prefetch_threads() and time.time() < deadline:
        time.sleep(0.02)
    assert not _prefetch_threads()  # the iterator kept across epochs is dropped with fit, and its thread ends


def test_fit_generator_and_sample_weight():
    x, y = _problem(24)

    def gen():
        for s in range(0, 24, 8):
            yield x[s:s + 8], y[s:s + 8], np.ones(8, np.float32)

    model = _model()
    hist = model.fit(gen(), epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit((b for b in [(x[:8], y[:8])]), epochs=3, verbose=0)
    preds = model.predict(iter([x[:5], x[5:12]]), verbose=0)
    assert preds.shape == (12, 1)


class _Seq(keras.utils.PyDataset):
    def __init__(self, x, y, bs, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.bs, self.epochs = x, y, bs, 0

    def __len__(self):
        return -(-len(self.x) // self.bs)

    def __getitem__(self, i):
        s = slice(i * self.bs, (i + 1) * self.bs)
        return (self.x[s], self.y[s]) if self.y is not None else self.x[s]

    def on_epoch_end(self):
        self.epochs += 1


def test_fit_pydataset_matches_arrays():
    x, y = _problem(30)
    a = _model()
    a.fit(x, y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    b = _model()
    seq = _Seq(x, y, 7)
    b.fit(seq, epochs=2, verbose=0)
    assert seq.epochs == 2
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, atol=1e-6)
    assert b.predict(_Seq(x, None, 7), verbose=0).shape == (30, 1)
    threaded = _Seq(x, None, 7, workers=3)  # batches read ahead by threads, in order
    np.testing.assert_allclose(b.predict(threaded, verbose=0), b.predict(x, verbose=0), atol=1e-6)


def test_stream_with_y_or_validation_split_rejected():
    x, y = _problem(8)
    model = _model()
    ds = Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match="`y` must not be given"):
        model.fit(ds, y, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(ds, validation_split=0.5, verbose=0)
