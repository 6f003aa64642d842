"""fit_epoch: one epoch of `model.fit` over 60,000 MNIST-shaped samples held in memory (random
float32 784-vectors, 10 classes): MLP 784-512-512-10, Adam, batch 128 (469 steps, the last of
96 samples), verbose=0, sparse categorical cross-entropy with the "accuracy" metric, shuffled.

Rows:
  arrays        epoch time fed from numpy arrays, ktensor beside Keras 3 on TensorFlow.
  bare steps    469 x the time of one call of ktensor's train step on a resident batch of 128
                (the trainer's train_step in a bare Python loop: forward, loss, backward, Adam,
                metric update; no data handling, no callbacks).
  overhead      (arrays epoch - bare steps) / bare steps, in %: what fit's loop, data adapter
                (shuffling gathers, slicing), callbacks (History) and metric reads add. The same
                ratio of the process CPU times (all threads) is given too: on a busy machine it
                shifts less with the load than wall time does.
  dataset       epoch time fed from a Dataset: from_tensor_slices((x, y)).shuffle(60000)
                .batch(128).map(fn, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE), where fn
                multiplies x by 1 (a stand-in preprocessing step); Keras is fed the same tf.data
                pipeline.
  dataset vs arrays   (dataset epoch - arrays epoch) / arrays epoch, in %.

Each framework's measurements run interleaved (arrays, bare, dataset, arrays, ...) on one model
after a short warm-up fit of each kind, and the best of 3 rounds (1 with --quick) is reported:
an epoch takes seconds, and on a shared machine the best round is the least disturbed one.
"""
import time
import warnings

import numpy as np

from _harness import Row, cell, import_keras, import_ktensor

SAMPLES, FEATURES, CLASSES, BATCH = 60_000, 784, 10, 128
STEPS = -(-SAMPLES // BATCH)


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((SAMPLES, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, size=SAMPLES).astype(np.int64)
    return x, y


def keras_model(keras):
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _interleaved(fns, quick):
    """{name: best wall seconds, name + "_cpu": best process CPU seconds} over 1 (quick) or 3 rounds, the
    measurements of a round run one after another, so that a burst of load from other processes hits one
    round rather than one measurement."""
    best = {}
    for _ in range(1 if quick else 3):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            best[name] = min(best.get(name, wall), wall)
            best[name + "_cpu"] = min(best.get(name + "_cpu", cpu), cpu)
    return best


def _warm_up(model, x, y, make_dataset):
    model.fit(x[:20 * BATCH], y[:20 * BATCH], batch_size=BATCH, epochs=1, verbose=0)  # build, warm up
    model.fit(make_dataset(20 * BATCH), epochs=1, verbose=0)


# -- ktensor --
def ktensor_epochs(data, quick):
    """Epoch from arrays, the bare train steps and the epoch from a Dataset, on one model."""
    kt = import_ktensor()
    from ktensor import keras
    x, y = data
    AUTOTUNE = kt.data.AUTOTUNE

    def make(n):
        return (kt.data.Dataset.from_tensor_slices((x[:n], y[:n])).shuffle(n).batch(BATCH)
                .map(lambda xb, yb: (xb * np.float32(1.0), yb), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE))
    with kt.device("cpu"):
        kt.random.set_seed(0)
        model = keras_model(keras)
        _warm_up(model, x, y, make)
        trainer = model._trainer
        xb, yb = kt.convert_to_tensor(x[:BATCH]), kt.convert_to_tensor(y[:BATCH])
        full = make(SAMPLES)

        def bare():  # the trainer's step in a bare loop on a resident batch, with the variables fit() sets
            trainer._variables = model.trainable_weights
            try:
                for _ in range(STEPS):
                    trainer.train_step(xb, yb, None)
            finally:
                trainer._variables = None
        return _interleaved({"arrays": lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0),
                             "bare": bare,
                             "dataset": lambda: model.fit(full, epochs=1, verbose=0)}, quick)


# -- Keras 3 on TensorFlow --
def keras_epochs(data, quick):
    keras = import_keras()
    import tensorflow as tf
    x, y = data

    def make(n):
        return (tf.data.Dataset.from_tensor_slices((x[:n], y[:n])).shuffle(n).batch(BATCH)
                .map(lambda xb, yb: (xb * 1.0, yb), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    keras.utils.set_random_seed(0)
    model = keras_model(keras)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "shuffle=True is ignored for a tf.data.Dataset"
        _warm_up(model, x, y, make)
        full = make(SAMPLES)
        return _interleaved({"arrays": lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0),
                             "dataset": lambda: model.fit(full, epochs=1, verbose=0)}, quick)


def _percent(a, b):
    return 100.0 * (a - b) / b if isinstance(a, float) and isinstance(b, float) else None


def _ms(v):
    return 1e3 * v if isinstance(v, float) else v


def rows(ctx):
    data = make_data()
    kt = cell(ktensor_epochs, data, ctx.quick)
    ks = cell(keras_epochs, data, ctx.quick)

    def get(result, key):
        return result[key] if isinstance(result, dict) else result  # an error string fills every cell

    def row(name, unit, key, peers=("keras/tf",), convert=_ms):
        values = {"ktensor": convert(get(kt, key))}
        if peers:
            values["keras/tf"] = convert(get(ks, key))
        return Row(name, unit, False, values, peers)

    yield row("fit_epoch arrays 60k b=128 (cpu)", "ms", "arrays")
    yield row(f"fit_epoch bare {STEPS} train steps (cpu)", "ms", "bare", peers=())
    yield Row("fit_epoch loop overhead (cpu)", "%", False,
              {"ktensor": _percent(get(kt, "arrays"), get(kt, "bare"))}, ())
    yield Row("fit_epoch loop overhead, CPU time (cpu)", "%", False,
              {"ktensor": _percent(get(kt, "arrays_cpu"), get(kt, "bare_cpu"))}, ())
    yield row("fit_epoch Dataset map+prefetch (cpu)", "ms", "dataset")
    yield Row("fit_epoch Dataset vs arrays (cpu)", "%", False,
              {name: _percent(get(r, "dataset"), get(r, "arrays")) for name, r in (("ktensor", kt), ("keras/tf", ks))},
              ())
