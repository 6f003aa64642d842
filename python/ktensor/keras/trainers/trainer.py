"""The training loop, kept apart from the model: fit / evaluate / predict and the *_on_batch calls.

`train_step` is one function of a batch of device tensors: forward under a GradientTape, loss
plus regularization losses, gradients, optimizer update, metric update. It never reads a value
back to the host; metrics are read only when logs are needed (end of epoch, progress-bar redraw).
"""
import warnings

import numpy as np

import ktensor as kt

from .. import losses as losses_module
from ..callbacks import CallbackList
from ..metrics import Mean
from . import data_adapter
from .compile_utils import CompileMetrics, resolve_loss
from .logs import LazyLogs, read_results


def _verbose(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


def _batch_size(batch_size):
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _unsupported(**kwargs):
    for k, v in kwargs.items():
        if v is not None:
            raise NotImplementedError(f"{k} is not supported yet")


class Trainer:
    def __init__(self, model, optimizer=None, loss=None, metrics=None):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = resolve_loss(loss)
        self.loss_tracker = Mean(name="loss")
        self.compiled_metrics = CompileMetrics(metrics, self.loss_fn)
        self._variables = None

    # -- metrics --
    @property
    def metrics(self):
        return [self.loss_tracker] + list(self.compiled_metrics.metrics or [])

    def reset_metrics(self):
        self.loss_tracker.reset_state()
        self.compiled_metrics.reset_state()

    def metric_results(self):
        """{name: 0-d device tensor}: loss first, then the compiled metrics in order."""
        out = {"loss": self.loss_tracker.result()}
        for m in self.compiled_metrics.metrics or []:
            out[m.name] = m.result()
        return out

    def _logs(self):
        return read_results(self.metric_results())

    # -- one batch --
    def compute_loss(self, y, y_pred, sample_weight=None):
        """The compiled loss plus the model's regularization / added losses (a 0-d tensor)."""
        total = None
        if self.loss_fn is not None:
            total = self.loss_fn(y, y_pred, sample_weight=sample_weight)
        for extra in self.model.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute: pass `loss` to compile() (or add losses with add_loss)")
        return total

    def update_metrics(self, loss, y, y_pred, sample_weight=None):
        self.loss_tracker.update_state(loss, sample_weight=int(y_pred.shape[0]) if y_pred.ndim else 1)
        if y is not None:
            self.compiled_metrics.update_state(y, y_pred, sample_weight)

    def aggregate_gradients(self, grads):
        """Seam between 'gradients computed' and 'optimizer applied' (a distribution strategy all-reduces
        here). Single device: the identity."""
        return grads

    def train_step(self, x, y, sample_weight=None):
        model = self.model
        variables = self._variables if self._variables is not None else model.trainable_weights
        with kt.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = self.compute_loss(y, y_pred, sample_weight)
        if variables:
            grads = self.aggregate_gradients(tape.gradient(loss, variables))
            self.optimizer.apply_gradients(zip(grads, variables))
        self.update_metrics(loss, y, y_pred, sample_weight)

    def test_step(self, x, y, sample_weight=None):
        y_pred = self.model(x, training=False)
        self.update_metrics(self.compute_loss(y, y_pred, sample_weight), y, y_pred, sample_weight)

    def predict_step(self, x):
        return self.model(x, training=False)

    # -- data --
    def _require_compiled(self, what):
        if self.optimizer is None and what == "fit":
            raise RuntimeError(f"You must call compile() on model '{self.model.name}' before fit()")

    def _device(self):
        return self.model._device if self.model.built and self.model._device else kt.config.default_device()

    def _ensure_built(self, x, device):
        """Builds an unbuilt model on its first sample (weights are created as in the first step)."""
        if not self.model.built:
            with kt.device(device):
                self.model(data_adapter.to_device(x[:1], device), training=False)

    def _prepare(self, x, y, sample_weight, require_y=True):
        x = data_adapter.standardize(x, "x")
        y = data_adapter.standardize(y, "y")
        sample_weight = data_adapter.standardize(sample_weight, "sample_weight")
        if x is None:
            raise ValueError("x is required")
        if y is None and require_y and self.loss_fn is not None:
            raise ValueError(f"y is required to compute the loss of model '{self.model.name}'")
        data_adapter.check_lengths(x=x, y=y, sample_weight=sample_weight)
        return x, y, sample_weight

    def _check_labels(self, x, y):
        """Sparse losses: integer-valued labels in [0, classes), checked once on the host."""
        if y is None or not losses_module.is_sparse(self.loss_fn):
            return y
        classes = self.model.compute_output_shape((None,) + tuple(x.shape[1:]))[-1]
        host = y.numpy() if isinstance(y, kt.Tensor) else y
        return losses_module.check_sparse_labels(host, classes)

    def _data(self, x, y, sample_weight, batch_size, device):
        if x is not None:
            self._ensure_built(x, device)
            y = self._check_labels(x, y)
        return data_adapter.ArrayData((x, y, sample_weight), batch_size, device)

    def _stream_data(self, x, y, sample_weight, steps, device, require_y=True, name="x"):
        """A Dataset, generator or PyDataset as batches; the model is built on the first batch."""
        for arg, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(f"`{arg}` must not be given when {name} is a dataset, generator or PyDataset: "
                                 "its batches carry the targets and sample weights")
        need_y = require_y and self.loss_fn is not None

        def prepare(xb, yb, swb):
            if need_y and yb is None:
                raise ValueError(f"{name}: model '{self.model.name}' needs targets to compute its loss, so each "
                                 "batch must be a tuple (x, y) or (x, y, sample_weight); got x only")
            self._ensure_built(xb, device)
            return xb, self._check_labels(xb, yb), swb

        data = data_adapter.StreamData(x, device, steps, name, prepare)
        data.peek()
        return data

    # -- loops --
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Trains for `epochs` epochs; returns the History callback (`.history`: per-epoch lists)."""
        self._require_compiled("fit")
        stream, val_stream = data_adapter.is_stream(x), data_adapter.is_stream(validation_data)
        _unsupported(class_weight=class_weight, steps_per_epoch=None if stream else steps_per_epoch,
                     validation_steps=None if val_stream else validation_steps)
        batch_size, verbose = _batch_size(batch_size), _verbose(verbose)
        if stream and validation_split:
            raise ValueError("validation_split is only supported for arrays and tensors, not for a dataset, "
                             "generator or PyDataset: pass validation_data instead")
        if not stream:
            x, y, sample_weight = self._prepare(x, y, sample_weight)
        val = None
        if validation_data is not None and not val_stream:
            val = self._prepare(*data_adapter.unpack_validation(validation_data))
        elif validation_split:
            (x, y, sample_weight), val = data_adapter.split((x, y, sample_weight), validation_split)
        device = self._device()
        if stream:
            train = self._stream_data(x, y, sample_weight, steps_per_epoch, device)
            device = self._device()  # the model is built now
        else:
            train = self._data(x, y, sample_weight, batch_size, device)
        if val_stream:
            val_data = self._stream_data(validation_data, None, None, validation_steps, device,
                                         name="validation_data")
        else:
            val_data = self._data(*val, _batch_size(validation_batch_size or batch_size), device) if val else None
        model = self.model
        self._variables = model.trainable_weights
        cbs = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=model, verbose=verbose,
                           epochs=epochs, steps=train.num_batches)
        rng = np.random.default_rng(kt.random.shuffle_seed()) if shuffle and not stream else None
        model.stop_training = False
        logs = {}
        try:
            cbs.on_train_begin()
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                order = rng.permutation(train.size) if rng is not None else None
                step = -1
                with kt.device(device):
                    for step, (xb, yb, swb) in enumerate(train.batches(order)):
                        cbs.on_train_batch_begin(step)
                        self.train_step(xb, yb, swb)
                        cbs.on_train_batch_end(step, LazyLogs(self._logs))
                        if model.stop_training:
                            break
                if step < 0:  # a one-shot generator that is used up
                    warnings.warn("Your input ran out of data; interrupting training. Make sure the generator can "
                                  f"produce at least steps_per_epoch * epochs batches ({epochs} epochs).",
                                  stacklevel=2)
                    break
                logs = self._logs()
                if val_data is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._run_test(val_data, cbs, device)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if model.stop_training:
                    break
            cbs.on_train_end(logs)
        finally:
            self._variables = None
        return cbs.history

    def _run_test(self, data, cbs, device):
        self.reset_metrics()
        cbs.on_test_begin()
        with kt.device(device):
            for step, (xb, yb, swb) in enumerate(data.batches()):
                cbs.on_test_batch_begin(step)
                self.test_step(xb, yb, swb)
                cbs.on_test_batch_end(step, LazyLogs(self._logs))
        logs = self._logs()
        cbs.on_test_end(logs)
        return logs

    def _flatten(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs["loss"]] + [logs[n] for n in self.compiled_metrics.names]
        return values[0] if len(values) == 1 else values

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics over the data: [loss, *metrics], a scalar loss without metrics, or a dict."""
        stream = data_adapter.is_stream(x)
        _unsupported(steps=None if stream else steps)
        batch_size, verbose = _batch_size(batch_size), _verbose(verbose)
        if stream:
            data = self._stream_data(x, y, sample_weight, steps, self._device())
            device = self._device()
        else:
            x, y, sample_weight = self._prepare(x, y, sample_weight)
            device = self._device()
            data = self._data(x, y, sample_weight, batch_size, device)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose, epochs=1,
                           steps=data.num_batches)
        return self._flatten(self._run_test(data, cbs, device), return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for x, batch by batch, as one numpy array."""
        stream = data_adapter.is_stream(x)
        _unsupported(steps=None if stream else steps)
        batch_size, verbose = _batch_size(batch_size), _verbose(verbose)
        if stream:
            data = self._stream_data(x, None, None, steps, self._device(), require_y=False)
            device = self._device()
        else:
            x = data_adapter.standardize(x, "x")
            device = self._device()
            data = self._data(x, None, None, batch_size, device)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose, epochs=1,
                           steps=data.num_batches)
        cbs.on_predict_begin()
        outputs = []
        with kt.device(device):
            for step, (xb, _, _) in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step)
                out = self.predict_step(xb)
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
        result = np.concatenate([o.numpy() for o in outputs], axis=0)  # read back once all batches are queued
        cbs.on_predict_end()
        return result

    def _batch(self, x, y, sample_weight):
        x, y, sample_weight = self._prepare(x, y, sample_weight)
        device = self._device()
        self._ensure_built(x, device)
        y = self._check_labels(x, y)
        return device, tuple(data_adapter.to_device(a, device) for a in (x, y, sample_weight))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._require_compiled("fit")
        _unsupported(class_weight=class_weight)
        device, batch = self._batch(x, y, sample_weight)
        self.reset_metrics()
        with kt.device(device):
            self.train_step(*batch)
        return self._flatten(self._logs(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        device, batch = self._batch(x, y, sample_weight)
        self.reset_metrics()
        with kt.device(device):
            self.test_step(*batch)
        return self._flatten(self._logs(), return_dict)

    def predict_on_batch(self, x):
        x = data_adapter.standardize(x, "x")
        device = self._device()
        with kt.device(device):
            return self.predict_step(data_adapter.to_device(x, device)).numpy()
