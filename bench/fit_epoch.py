"""fit_epoch: one epoch of `model.fit` over 60,000 MNIST-shaped samples held in memory (random
float32 784-vectors, 10 classes): MLP 784-512-512-10, Adam, batch 128 (469 steps, the last of
96 samples), verbose=0, sparse categorical cross-entropy with the "accuracy" metric, shuffled.

Rows:
  arrays        epoch time fed from numpy arrays, ktensor beside Keras 3 on TensorFlow.
  bare steps    469 x the time of one call of ktensor's train step on a resident batch of 128
                (the trainer's train_step in a bare Python loop: forward, loss, backward, Adam,
                metric update; no data handling, no callbacks).
  overhead      (arrays epoch - bare steps) / bare steps, in %: what fit's loop, data adapter
                (shuffling gathers, slicing), callbacks (History) and metric reads add.
  dataset       epoch time fed from a Dataset: from_tensor_slices((x, y)).shuffle(60000)
                .batch(128).map(fn, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE), where fn
                multiplies x by 1 (a stand-in preprocessing step); Keras is fed the same tf.data
                pipeline.
  dataset vs arrays   (dataset epoch - arrays epoch) / arrays epoch, in %.
"""
import numpy as np

from _harness import Row, cell, import_keras, import_ktensor, median_time

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


def _epoch_seconds(model, x, y, quick):
    model.fit(x[:20 * BATCH], y[:20 * BATCH], batch_size=BATCH, epochs=1, verbose=0)  # build, warm up
    return median_time(lambda: model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0), warmup=0,
                       repeat=1 if quick else 3)


def _dataset_epoch_seconds(model, make_dataset, quick):
    model.fit(make_dataset(20 * BATCH), epochs=1, verbose=0)
    full = make_dataset(SAMPLES)
    return median_time(lambda: model.fit(full, epochs=1, verbose=0), warmup=0, repeat=1 if quick else 3)


# -- ktensor --
def _kt_model():
    kt = import_ktensor()
    from ktensor import keras
    with kt.device("cpu"):
        kt.random.set_seed(0)
        return kt, keras, keras_model(keras)


def ktensor_arrays(data, quick):
    kt, _, model = _kt_model()
    with kt.device("cpu"):
        return _epoch_seconds(model, *data, quick)


def ktensor_bare_steps(data, quick):
    """STEPS x the median time of one trainer.train_step on a resident batch (timed in blocks of 20)."""
    kt, _, model = _kt_model()
    x, y = data
    with kt.device("cpu"):
        model.fit(x[:20 * BATCH], y[:20 * BATCH], batch_size=BATCH, epochs=1, verbose=0)
        trainer = model._trainer
        xb, yb = kt.convert_to_tensor(x[:BATCH]), kt.convert_to_tensor(y[:BATCH])
        trainer._variables = model.trainable_weights  # as fit() sets it

        def block():
            for _ in range(20):
                trainer.train_step(xb, yb, None)
        try:
            per_step = median_time(block, warmup=1, budget=2.0 if quick else 8.0) / 20
        finally:
            trainer._variables = None
    return STEPS * per_step


def ktensor_dataset(data, quick):
    kt, _, model = _kt_model()
    x, y = data
    AUTOTUNE = kt.data.AUTOTUNE

    def make(n):
        return (kt.data.Dataset.from_tensor_slices((x[:n], y[:n])).shuffle(n).batch(BATCH)
                .map(lambda xb, yb: (xb * np.float32(1.0), yb), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE))
    with kt.device("cpu"):
        return _dataset_epoch_seconds(model, make, quick)


# -- Keras 3 on TensorFlow --
def _keras_model():
    keras = import_keras()
    keras.utils.set_random_seed(0)
    return keras, keras_model(keras)


def keras_arrays(data, quick):
    _, model = _keras_model()
    return _epoch_seconds(model, *data, quick)


def keras_dataset(data, quick):
    _, model = _keras_model()
    import tensorflow as tf
    x, y = data

    def make(n):
        return (tf.data.Dataset.from_tensor_slices((x[:n], y[:n])).shuffle(n).batch(BATCH)
                .map(lambda xb, yb: (xb * 1.0, yb), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    return _dataset_epoch_seconds(model, make, quick)


def _percent(a, b):
    return 100.0 * (a - b) / b if isinstance(a, float) and isinstance(b, float) else None


def _ms(v):
    return 1e3 * v if isinstance(v, float) else v


def rows(ctx):
    data = make_data()
    arrays = {"ktensor": cell(ktensor_arrays, data, ctx.quick), "keras/tf": cell(keras_arrays, data, ctx.quick)}
    yield Row("fit_epoch arrays 60k b=128 (cpu)", "ms", False, {k: _ms(v) for k, v in arrays.items()},
              ("keras/tf",))
    bare = cell(ktensor_bare_steps, data, ctx.quick)
    yield Row(f"fit_epoch bare {STEPS} train steps (cpu)", "ms", False, {"ktensor": _ms(bare)}, ())
    yield Row("fit_epoch loop overhead (cpu)", "%", False, {"ktensor": _percent(arrays["ktensor"], bare)}, ())
    dataset = {"ktensor": cell(ktensor_dataset, data, ctx.quick), "keras/tf": cell(keras_dataset, data, ctx.quick)}
    yield Row("fit_epoch Dataset map+prefetch (cpu)", "ms", False, {k: _ms(v) for k, v in dataset.items()},
              ("keras/tf",))
    yield Row("fit_epoch Dataset vs arrays (cpu)", "%", False,
              {k: _percent(dataset[k], arrays[k]) for k in dataset}, ())
