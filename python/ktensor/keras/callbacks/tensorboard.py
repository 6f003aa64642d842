"""TensorBoard: scalar event files for TensorBoard, written without TensorFlow (see _event_file.py)."""
import os
import time
import warnings
from collections.abc import Mapping

from ._event_file import EventFileWriter
from .callback import Callback


def _update_freq(value):
    if value == "batch":
        return 1
    if value == "epoch":
        return "epoch"
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, got {value!r}")
    return value


def _profile_range(profile_batch):
    """Keras' accepted forms: a non-negative int, a pair (start, stop) of positive ints, or "start,stop"."""
    error = ValueError("TensorBoard: profile_batch must be a non-negative integer or a 2-tuple of positive integers "
                       f"(start, stop), got {profile_batch!r}")
    if isinstance(profile_batch, str):
        try:
            profile_batch = [int(p) for p in profile_batch.split(",")]
        except ValueError:
            raise error from None
        profile_batch = profile_batch[0] if len(profile_batch) == 1 else tuple(profile_batch)
    if isinstance(profile_batch, int) and not isinstance(profile_batch, bool):
        start = stop = profile_batch
    elif isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2:
        start, stop = profile_batch
    else:
        raise error
    if start < 0 or stop < start:
        raise error
    return start, stop


def _non_negative(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be a non-negative integer, got {value!r}")
    return value


class TensorBoard(Callback):
    """Writes losses and metrics as TensorBoard scalars, in the layout of Keras 3.

    `log_dir/train` receives `epoch_<name>` for each training log entry (and `epoch_learning_rate`)
    at step = epoch; `log_dir/validation` receives `epoch_<name>` for each `val_<name>` entry (the
    prefix dropped) and, after each evaluation, `evaluation_<name>_vs_iterations` at step = the
    optimizer's iterations. With `update_freq="batch"` or an integer N, `batch_<name>` (the running
    epoch averages, as in Keras) is written to `train` every N-th batch, the step counting batches
    from 1 across epochs. `write_graph` writes the model's JSON config as the "keras" summary
    TensorBoard's graph tab draws (Sequential and functional models only, as Keras);
    `write_steps_per_second` adds `epoch_steps_per_second` / `batch_steps_per_second`.

    Each `fit()` starts new event files (as Keras does); they are flushed after every epoch and
    closed when training ends. Scalars are stored as `simple_value`, which TensorBoard reads.

    Not supported (each gives a UserWarning when requested and is ignored; scalars are still
    written): `histogram_freq > 0` (weight histograms), `write_images=True`, `profile_batch != 0`
    (the profiler), `embeddings_freq > 0` (the embedding projector).
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _non_negative(histogram_freq, "histogram_freq")
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = _update_freq(update_freq)
        self.embeddings_freq = _non_negative(embeddings_freq, "embeddings_freq")
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        unsupported = [(self.histogram_freq > 0, f"histogram_freq={histogram_freq} (weight histograms)"),
                       (bool(write_images), "write_images=True"),
                       (self._stop_batch > 0, f"profile_batch={profile_batch!r} (profiling)"),
                       (self.embeddings_freq > 0, f"embeddings_freq={embeddings_freq} (embeddings)")]
        for requested, what in unsupported:
            if requested:
                warnings.warn(f"TensorBoard: {what} is not supported by ktensor and is ignored; losses and metrics "
                              "are still logged as scalars.", UserWarning, stacklevel=2)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers = {}
        self._global_train_batch = 0
        self._in_fit = False
        self._batch_start = self._epoch_start = 0.0
        self._epoch_batches = 0

    # -- writers (created lazily, so a run that logs nothing to a folder leaves no file there) --
    def _writer(self, kind):
        if kind not in self._writers:
            self._writers[kind] = EventFileWriter(self._train_dir if kind == "train" else self._val_dir)
        return self._writers[kind]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _scalars(self, kind, prefix, logs, step):
        writer = self._writer(kind)
        now = time.time()
        for name, value in logs.items():
            value = _scalar(value)
            if value is not None:
                writer.add_scalar(f"{prefix}{name}", value, step, wall_time=now)

    def _write_model_graph(self):
        from ..models.functional import Functional
        from ..models.sequential import Sequential

        if not isinstance(self.model, (Functional, Sequential)):
            return
        try:
            data = self.model.to_json().encode("utf-8")
        except Exception as e:  # as Keras: a model that does not serialize must not stop training
            warnings.warn(f"TensorBoard: the model failed to serialize as JSON, its graph is not written ({e})")
            return
        self._writer("train").add_string_tensor("keras", data, "graph_keras_model", b"1", step=0)

    # -- hooks --
    def on_train_begin(self, logs=None):
        self._close_writers()  # each fit gets new files
        self._in_fit = True
        self._global_train_batch = 0
        if self.write_graph:
            self._write_model_graph()

    def on_train_end(self, logs=None):
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_batches = 0

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        batch_logs = dict(logs) if isinstance(logs, Mapping) else {}
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start
            batch_logs["steps_per_second"] = 1.0 / elapsed if elapsed > 0 else 0.0
        self._scalars("train", "batch_", batch_logs, step)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start
            train_logs["steps_per_second"] = self._epoch_batches / elapsed if elapsed > 0 else 0.0
        if train_logs:
            self._scalars("train", "epoch_", train_logs, epoch)
        if val_logs:
            self._scalars("validation", "epoch_", val_logs, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is not None and logs:
            step = int(iterations.numpy()) if hasattr(iterations, "numpy") else int(iterations)
            self._scalars("validation", "evaluation_", {f"{k}_vs_iterations": v for k, v in logs.items()}, step)
        if not self._in_fit:  # a lone evaluate(): nothing else will close the file
            self._close_writers()


def _scalar(value):
    """A float for a numeric log value (numbers, 0-d arrays / tensors), None for anything else."""
    if hasattr(value, "numpy"):
        value = value.numpy()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
