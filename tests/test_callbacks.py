"""keras.callbacks: EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TerminateOnNaN,
LambdaCallback — unit tests on a fake model and end-to-end through model.fit."""
import csv
import math

import numpy as np
import pytest

from ktensor import keras
from ktensor.keras import callbacks, layers
from ktensor.keras.trainers.logs import LazyLogs


# -- helpers --
class FakeOptimizer:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


class FakeModel:
    """What callbacks touch: weights, optimizer, metrics, stop_training."""

    def __init__(self, lr=0.1):
        self.optimizer = FakeOptimizer(lr)
        self.metrics = []
        self.stop_training = False
        self.weights = [np.zeros(2, "float32")]

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


def drive(cb, values, monitor="val_loss", model=None, extra=None):
    """Runs `cb` through epochs whose monitored value is values[i]; returns (model, epochs run, logs)."""
    model = model or FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    all_logs, run = [], 0
    for epoch, v in enumerate(values):
        cb.on_epoch_begin(epoch)
        model.weights = [np.full(2, epoch, "float32")]  # weights "after" epoch `epoch`
        logs = {monitor: v, **(extra or {})}
        cb.on_epoch_end(epoch, logs)
        all_logs.append(logs)
        run += 1
        if model.stop_training:
            break
    cb.on_train_end()
    return model, run, all_logs


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
    return x, y


def regressor(lr=0.05, seed=0, optimizer=None):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer or keras.optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def counting_logs(values):
    calls = []

    def compute():
        calls.append(1)
        return dict(values)
    return LazyLogs(compute), calls


def test_exports():
    for name in ("EarlyStopping", "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger", "TerminateOnNaN",
                 "LambdaCallback"):
        assert issubclass(getattr(callbacks, name), callbacks.Callback) and name in callbacks.__all__


# -- EarlyStopping --
def test_early_stopping_defaults():
    cb = callbacks.EarlyStopping()
    assert (cb.monitor, cb.min_delta, cb.patience, cb.verbose, cb.mode, cb.baseline, cb.restore_best_weights,
            cb.start_from_epoch) == ("val_loss", 0, 0, 0, "auto", None, False, 0)


def test_early_stopping_patience():
    _, run, _ = drive(callbacks.EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.94, 0.5, 0.4])
    assert run == 4  # epochs 2 and 3 do not improve on 0.9
    cb = callbacks.EarlyStopping(patience=0)
    _, run, _ = drive(cb, [1.0, 0.9, 0.95, 0.5])
    assert run == 3 and cb.stopped_epoch == 2 and cb.best == 0.9 and cb.best_epoch == 1


def test_early_stopping_min_delta_and_mode():
    # improvements smaller than min_delta do not count
    values = [1.0, 0.95, 0.92, 0.5]
    _, run, _ = drive(callbacks.EarlyStopping(patience=1, min_delta=0.1), values)
    assert run == 2
    _, run, _ = drive(callbacks.EarlyStopping(patience=1, min_delta=-0.1), values)
    assert run == 2  # |min_delta| is used, as in Keras
    _, run, _ = drive(callbacks.EarlyStopping(patience=1), values)
    assert run == 4
    # mode="max": increasing is better
    _, run, _ = drive(callbacks.EarlyStopping(monitor="score", mode="max", patience=1), [0.1, 0.2, 0.3, 0.2, 0.1],
                      monitor="score")
    assert run == 4  # 0.2 after 0.3 is the first bad epoch
    _, run, _ = drive(callbacks.EarlyStopping(monitor="score", mode="max", patience=0), [0.1, 0.2, 0.1, 0.5],
                      monitor="score")
    assert run == 3
    # mode="min" on an accuracy name overrides auto
    _, run, _ = drive(callbacks.EarlyStopping(monitor="val_accuracy", mode="min", patience=0), [0.5, 0.6, 0.7],
                      monitor="val_accuracy")
    assert run == 2


@pytest.mark.parametrize("monitor,op", [("val_accuracy", "max"), ("accuracy", "max"), ("val_auc", "max"),
                                        ("val_acc", "max"), ("val_loss", "min"), ("loss", "min"),
                                        ("val_mae", "min"), ("mean_squared_error", "min"), ("val_precision", "max")])
def test_early_stopping_auto_mode(monitor, op):
    cb = callbacks.EarlyStopping(monitor=monitor, min_delta=0.1)
    cb.set_model(FakeModel())
    cb._set_monitor_op()
    assert cb.monitor_op(2.0, 1.0) == (op == "max")
    assert (cb.min_delta < 0) == (op == "min")


def test_early_stopping_auto_mode_uses_metric_direction_and_rejects_unknown():
    class Custom:
        name = "wellness"
        _direction = "up"
    model = FakeModel()
    model.metrics = [Custom()]
    cb = callbacks.EarlyStopping(monitor="val_wellness")
    cb.set_model(model)
    cb._set_monitor_op()
    assert cb.monitor_op(2.0, 1.0)
    cb = callbacks.EarlyStopping(monitor="val_mystery")
    with pytest.raises(ValueError, match="mode='max'"):
        drive(cb, [1.0], monitor="val_mystery")
    with pytest.warns(UserWarning, match="unknown"):
        assert callbacks.EarlyStopping(mode="sideways").mode == "auto"


def test_early_stopping_baseline():
    # Keras 3: improvements that do not beat the baseline do not reset the wait, so patience counts
    # from the first epoch (training still goes on while the metric improves)
    values = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98]
    cb = callbacks.EarlyStopping(patience=2, baseline=0.5)
    _, run, _ = drive(cb, values)
    assert run == 3 and cb.stopped_epoch == 2
    _, run, _ = drive(callbacks.EarlyStopping(patience=2), values)
    assert run == 4
    # beats the baseline: behaves as without one
    _, run, _ = drive(callbacks.EarlyStopping(patience=2, baseline=0.95), values)
    assert run == 4


def test_early_stopping_start_from_epoch():
    cb = callbacks.EarlyStopping(patience=0, start_from_epoch=3)
    _, run, _ = drive(cb, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert run == 5 and cb.best_epoch == 3  # epochs 0..2 ignored; 4 is worse than 3


def test_early_stopping_restore_best_weights_fake():
    cb = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model, run, _ = drive(cb, [1.0, 0.5, 0.7, 0.8, 0.9])
    assert run == 4 and cb.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))
    # no improvement needed to restore: training ending normally still restores the best weights
    model, run, _ = drive(callbacks.EarlyStopping(patience=10, restore_best_weights=True), [1.0, 0.2, 0.7])
    assert run == 3
    np.testing.assert_array_equal(model.weights[0], np.full(2, 1.0))
    # without restore_best_weights the last weights stay
    model, run, _ = drive(callbacks.EarlyStopping(patience=1), [1.0, 0.5, 0.7, 0.8])
    assert run == 3
    np.testing.assert_array_equal(model.weights[0], np.full(2, 2.0))


def test_early_stopping_missing_metric_warns():
    cb = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="val_loss.*not available.*loss"):
        model, run, _ = drive(cb, [1.0, 2.0, 3.0], monitor="loss")
    assert run == 3 and not model.stop_training


def test_early_stopping_fit_restores_best_weights():
    x, y = data()
    xv, yv = data(32, seed=1)
    model = regressor(lr=0.05)
    snapshots = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(
        (logs["val_loss"], model.get_weights())))
    # order matters: the snapshot is taken before EarlyStopping may stop; a large lr later makes val_loss worse
    sched = callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch < 3 else 0.6)
    es = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, validation_data=(xv, yv), batch_size=16, epochs=12, verbose=0,
                        callbacks=[sched, record, es])
    losses = [s[0] for s in snapshots]
    assert history.history["val_loss"] == losses and len(losses) < 12  # stopped early
    best = int(np.argmin(losses))
    assert es.best_epoch == best and es.best == losses[best] and es.stopped_epoch == len(losses) - 1 == best + 2
    assert model.get_weights()[0].shape == (3, 4)
    for got, want in zip(model.get_weights(), snapshots[best][1]):
        np.testing.assert_array_equal(got, want)
    assert not all(np.array_equal(a, b) for a, b in zip(snapshots[-1][1], snapshots[best][1]))


def test_early_stopping_fit_stops_on_training_loss():
    x, y = data()
    model = regressor(lr=0.0, optimizer=keras.optimizers.SGD(0.0))  # no learning: loss never improves
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0,
                        callbacks=[callbacks.EarlyStopping(monitor="loss", patience=3)])
    assert history.epoch == [0, 1, 2, 3]


# -- ReduceLROnPlateau --
def test_reduce_lr_defaults_and_errors():
    cb = callbacks.ReduceLROnPlateau()
    assert (cb.monitor, cb.factor, cb.patience, cb.verbose, cb.mode, cb.min_delta, cb.cooldown, cb.min_lr) == \
        ("val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_patience_cooldown_min_lr():
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    lrs = []
    model = FakeModel(lr=0.1)
    cb.set_model(model)
    cb.on_train_begin()
    values = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    for epoch, v in enumerate(values):
        logs = {"val_loss": v}
        cb.on_epoch_end(epoch, logs)
        lrs.append(model.optimizer.learning_rate)
        assert logs["learning_rate"] == pytest.approx(lrs[-2] if epoch else 0.1)  # the rate used this epoch
    # reduce at epoch 2 (2 bad epochs); epoch 3 ends the cooldown and already counts as bad (Keras), so the
    # next reduction is at epoch 4, then 6 (clipped to min_lr); at min_lr it stops reducing
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02])
    cb = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=0)
    model = FakeModel(lr=0.1)
    drive(cb, [1.0] * 5, model=model)
    assert model.optimizer.learning_rate == pytest.approx(0.025)  # epochs 2 and 4


def test_reduce_lr_min_delta_and_max_mode():
    model = FakeModel(lr=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, min_delta=0.01)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, v in enumerate([0.5, 0.6, 0.605, 0.7]):
        cb.on_epoch_end(epoch, {"val_accuracy": v})
    assert model.optimizer.learning_rate == 0.5  # only the 0.005 step is not an improvement
    cb2 = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    model2 = FakeModel(lr=1.0)
    cb2.set_model(model2)
    with pytest.warns(UserWarning, match="not available"):
        cb2.on_epoch_end(0, {"loss": 1.0})
    assert model2.optimizer.learning_rate == 1.0


def test_reduce_lr_fit():
    x, y = data()
    model = regressor(optimizer=keras.optimizers.SGD(0.0))  # loss stuck: every epoch is a plateau
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.0)
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[cb])
    assert history.history["learning_rate"] == [0.0] * 4
    model = regressor(optimizer=keras.optimizers.SGD(0.02))
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)  # nothing counts
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[cb])
    assert history.history["learning_rate"] == pytest.approx([0.02, 0.02, 0.01, 0.005])  # the rate each epoch used
    assert model.optimizer.learning_rate == pytest.approx(0.0025)


# -- LearningRateScheduler --
def test_lr_scheduler_fit_sets_lr_and_logs_it():
    x, y = data()
    model = regressor(optimizer=keras.optimizers.SGD(0.1))
    seen = []
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: seen.append((epoch, lr)) or 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[cb])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert [e for e, _ in seen] == [0, 1, 2]
    assert [lr for _, lr in seen] == pytest.approx([0.1, 0.1, 0.05])  # called with the current rate
    assert model.optimizer.learning_rate == pytest.approx(0.1 / 3)


def test_lr_scheduler_zero_lr_freezes_weights_and_one_arg_schedule():
    x, y = data()
    model = regressor()
    model.fit(x[:2], y[:2], epochs=1, verbose=0)  # build
    before = model.get_weights()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.0)])  # Keras 2 style schedule
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lr_scheduler_errors_and_verbose(capsys):
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: 1, verbose=1)
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be a float"):
        cb.on_epoch_begin(0)
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: np.float32(0.5), verbose=1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_epoch_begin(4)
    assert model.optimizer.learning_rate == 0.5 and "Epoch 5: LearningRateScheduler setting learning rate to 0.5" \
        in capsys.readouterr().out


# -- CSVLogger --
def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_fit_contents(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model = regressor()
    history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, validation_split=0.25,
                        callbacks=[callbacks.CSVLogger(path)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert len(rows) == 4 and [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for i, row in enumerate(rows[1:]):
        for key, cell in zip(rows[0][1:], row[1:]):
            assert float(cell) == pytest.approx(history.history[key][i], rel=1e-6)


def test_csv_logger_append_and_separator(tmp_path):
    x, y = data()
    path = str(tmp_path / "log.tsv")
    model = regressor()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t", append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]  # val_ columns reserved, as Keras
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1"] and sum(r[0] == "epoch" for r in rows) == 1
    assert all(r[3:] == ["NA", "NA"] for r in rows[1:])
    # without append the file starts over
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.CSVLogger(path, separator="\t")])
    with open(path, newline="") as f:
        assert len(list(csv.reader(f, delimiter="\t"))) == 2


def test_csv_logger_flushes_each_epoch_and_append_to_new_file(tmp_path):
    path = tmp_path / "new.csv"
    cb = callbacks.CSVLogger(path, append=True)  # a missing file gets its header
    cb.set_model(FakeModel())
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.25, "b": np.float32(2.0), "arr": [1, 2]})
    rows = read_csv(path)  # readable before training ends
    assert rows == [["epoch", "arr", "b", "loss", "val_loss"], ["0", '"[1, 2]"', "2.0", "0.5", "0.25"]]
    cb.on_epoch_end(1, {"loss": 0.4})
    assert read_csv(path)[-1] == ["1", "NA", "NA", "0.4", "NA"]
    cb.on_train_end()
    assert cb.csv_file.closed


# -- TerminateOnNaN --
def test_terminate_on_nan_unit(capsys):
    cb = callbacks.TerminateOnNaN()
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cb.on_train_batch_end(3, {"loss": float("inf")})
    assert model.stop_training and "Batch 3: Invalid loss, terminating training" in capsys.readouterr().out
    model.stop_training = False
    logs, calls = counting_logs({"loss": float("nan")})
    cb.on_train_batch_end(4, logs)
    assert model.stop_training and calls == [1]


def test_terminate_on_nan_fit():
    x, y = data()
    x[37, 1] = np.nan  # batch 2 of 4 (no shuffle) has a NaN
    model = regressor()
    history = model.fit(x, y, epochs=5, batch_size=16, shuffle=False, verbose=0,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert history.epoch == [0] and math.isnan(history.history["loss"][0])
    batches = []
    model = regressor(optimizer=keras.optimizers.SGD(1e6))  # diverges
    with np.errstate(all="ignore"):
        history = model.fit(x[:32] * 0 + 1, y[:32] * 1e3, epochs=50, batch_size=4, verbose=0, callbacks=[
            callbacks.TerminateOnNaN(),
            callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))])
    assert history.epoch == [0] and not math.isfinite(history.history["loss"][0])
    assert batches == [0, 1]  # stopped inside the first epoch, right after the first non-finite loss


# -- LambdaCallback --
def test_lambda_callback_hooks_and_args():
    x, y = data(48)
    calls = []
    cb = callbacks.LambdaCallback(
        on_train_begin=lambda logs: calls.append(("train_begin", logs)),
        on_train_end=lambda logs: calls.append(("train_end", sorted(logs))),
        on_epoch_begin=lambda epoch, logs: calls.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("epoch_end", epoch, sorted(logs))),
        on_batch_begin=lambda batch, logs: calls.append(("batch_begin", batch)),
        on_batch_end=lambda batch, logs: calls.append(("batch_end", batch, type(logs).__name__)),
        on_test_begin=lambda logs: calls.append(("test_begin",)))
    model = regressor()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_split=1 / 3, callbacks=[cb])
    keys = ["loss", "mae", "val_loss", "val_mae"]
    epoch = lambda e: [("epoch_begin", e), ("batch_begin", 0), ("batch_end", 0, "LazyLogs"), ("batch_begin", 1),
                       ("batch_end", 1, "LazyLogs"), ("test_begin",), ("epoch_end", e, keys)]
    assert calls == [("train_begin", {})] + epoch(0) + epoch(1) + [("train_end", keys)]


def test_lambda_callback_train_batch_hooks_and_laziness():
    seen = []
    cb = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(("b", batch, logs)),
                                  on_train_batch_end=lambda batch, logs: seen.append(("e", batch)))
    logs, calls = counting_logs({"loss": 1.0})
    cb.on_train_batch_begin(0)
    cb.on_train_batch_end(0, logs)
    assert seen == [("b", 0, None), ("e", 0)] and calls == []  # nothing read from the device
    with pytest.raises(TypeError, match="unknown hooks"):
        callbacks.LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="callable"):
        callbacks.LambdaCallback(on_epoch_end=3)


def test_monitoring_callbacks_do_not_read_batch_logs():
    logs, calls = counting_logs({"loss": 1.0})
    model = FakeModel()
    for cb in (callbacks.EarlyStopping(), callbacks.ReduceLROnPlateau(), callbacks.LearningRateScheduler(
            lambda e, lr: lr), callbacks.LambdaCallback()):
        cb.set_model(model)
        cb.on_train_batch_begin(0)
        cb.on_train_batch_end(0, logs)
    assert calls == []
