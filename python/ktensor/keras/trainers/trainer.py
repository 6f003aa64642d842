"""The training loop, kept apart from the model: fit / evaluate / predict and the *_on_batch calls.

`train_step` is one function of a batch of device tensors: forward under a GradientTape, loss
plus regularization losses, gradients, optimizer update, metric update. It never reads a value
back to the host; metrics are read only when logs are needed (end of epoch, progress-bar redraw).
"""
import warnings

import numpy as np

import ktensor as kt

from .. import backend
from .. import losses as losses_module
from ..callbacks import CallbackList
from ..metrics import Mean
from . import data_adapter
from .compile_utils import CompileLoss, CompileMetrics, MultiCompileMetrics, is_nested_loss, resolve_loss, \
    validate_metrics
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


def _is_multi(data):
    return isinstance(data, (list, tuple, dict))


def _first(data):
    """The first array of a (possibly nested) structure of outputs."""
    while isinstance(data, (list, tuple, dict)):
        data = next(iter(data.values())) if isinstance(data, dict) else data[0]
    return data


def _stateful_layers(layer):
    """The stateful recurrent layers inside a model or layer (each once, outermost first)."""
    out, todo, seen = [], [layer], set()
    while todo:
        layer = todo.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if getattr(layer, "stateful", False) is True and callable(getattr(layer, "reset_state", None)):
            out.append(layer)
        todo.extend(layer.__dict__.get("_layers", ()))
    return out


def _validation_epochs(validation_freq):
    """validation_freq as a test `epoch -> bool` (epoch counted from 0): an int N (every N-th) or a list."""
    if isinstance(validation_freq, (int, np.integer)) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"validation_freq must be a positive integer, got {validation_freq}")
        return lambda epoch: (epoch + 1) % int(validation_freq) == 0
    if isinstance(validation_freq, (list, tuple, set, range)):
        epochs = {int(e) for e in validation_freq}
        return lambda epoch: epoch + 1 in epochs
    raise ValueError(f"validation_freq must be an int or a list of epochs, got {validation_freq!r}")


def _steps(steps, name):
    if steps is None:
        return None
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps <= 0:
        raise ValueError(f"{name} must be a positive integer or None, got {steps!r}")
    return int(steps)


def class_weight_to_sample_weight(y, class_weight, sample_weight=None):
    """Per-sample weights (numpy float) from class ids in y (integer labels or one-hot), times sample_weight."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict mapping class index to weight, got {type(class_weight).__name__}")
    if y is None:
        raise ValueError("class_weight needs targets y")
    if _is_multi(y):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    host = y.numpy() if isinstance(y, kt.Tensor) else np.asarray(y)
    if host.ndim >= 2 and host.shape[-1] > 1:
        ids = np.argmax(host, axis=-1)
    else:
        ids = np.round(host.reshape(host.shape[0], -1)[:, 0] if host.ndim >= 2 else host)
    ids = ids.astype(np.int64).reshape(host.shape[0], -1)[:, 0] if ids.ndim > 1 else ids.astype(np.int64)
    table = {int(k): float(v) for k, v in class_weight.items()}
    weights = np.array([table.get(int(c), 1.0) for c in ids], dtype=backend.floatx())
    if sample_weight is not None:
        sw = sample_weight.numpy() if isinstance(sample_weight, kt.Tensor) else np.asarray(sample_weight)
        if _is_multi(sw):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        weights = weights.reshape((-1,) + (1,) * (sw.ndim - 1)) * sw.astype(backend.floatx())
    return weights


def _concat_outputs(outputs):
    """Per-batch model outputs (tensors, or lists/dicts of them) joined into numpy arrays of the same structure."""
    first = outputs[0]
    if isinstance(first, dict):
        return {k: _concat_outputs([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return [_concat_outputs([o[i] for o in outputs]) for i in range(len(first))]
    return np.concatenate([o.numpy() for o in outputs], axis=0) if len(outputs) > 1 else outputs[0].numpy()


class _StepsPerEpoch:
    """Arrays with steps_per_epoch, as Keras 3 runs them: one pass over the data is kept across epochs, each
    epoch takes the next `steps` batches; a pass that runs out ends the epoch early (with a warning when
    the epoch is short) and the next epoch starts a new (reshuffled) pass."""

    def __init__(self, data, steps):
        self.data, self.steps = data, steps
        self._iter, self._left = None, 0

    def batches(self, order=None):
        if self._iter is None or self._left == 0:
            self._iter, self._left = self.data.batches(order), self.data.num_batches
        for step in range(self.steps):
            if self._left == 0:
                self._iter = None
                warnings.warn("Your input ran out of data; interrupting the epoch after "
                              f"{step} of steps_per_epoch={self.steps} steps. The data holds "
                              f"{self.data.num_batches} batches per pass.", stacklevel=3)
                return
            self._left -= 1
            yield next(self._iter)


def _is_nested_metrics(metrics):
    return isinstance(metrics, dict) or (
        isinstance(metrics, (list, tuple)) and any(isinstance(m, (list, tuple)) for m in metrics))


class Trainer:
    def __init__(self, model, optimizer=None, loss=None, metrics=None, loss_weights=None, weighted_metrics=None):
        self.model = model
        self.optimizer = optimizer
        self.loss_fn = None if is_nested_loss(loss) else resolve_loss(loss)
        self._has_loss = loss is not None
        self.compiled_loss = CompileLoss(loss, loss_weights)
        self.loss_tracker = Mean(name="loss")
        self._metric_specs, self._weighted_specs = metrics, weighted_metrics
        if _is_nested_metrics(metrics) or _is_nested_metrics(weighted_metrics):
            validate_metrics(metrics)
            validate_metrics(weighted_metrics)
            self.compiled_metrics = CompileMetrics(None, self.loss_fn)  # replaced once the outputs are known
        else:
            self.compiled_metrics = CompileMetrics(metrics, self.loss_fn, weighted_metrics=weighted_metrics)
        # several outputs: their names, per-output loss trackers, last per-output (weighted) loss values
        self.output_names = None
        self._output_loss_trackers = []
        self._output_losses = None
        self._variables = None

    # -- metrics --
    @property
    def metrics(self):
        return [self.loss_tracker] + self._output_loss_trackers + list(self.compiled_metrics.metrics or [])

    def reset_metrics(self):
        self.loss_tracker.reset_state()
        for t in self._output_loss_trackers:
            t.reset_state()
        self.compiled_metrics.reset_state()

    def metric_results(self):
        """{name: 0-d device tensor}: loss first, then the compiled metrics in order."""
        out = {"loss": self.loss_tracker.result()}
        for t in self._output_loss_trackers:
            out[t.name] = t.result()
        for m in self.compiled_metrics.metrics or []:
            out[m.name] = m.result()
        return out

    def _logs(self):
        return read_results(self.metric_results())

    # -- one batch --
    # -- several outputs --
    def _model_output_names(self, y_pred):
        if isinstance(y_pred, dict):
            return list(y_pred)
        outputs = getattr(self.model, "outputs", None)
        if outputs is not None and len(outputs) == len(y_pred):
            return [t._keras_history[0].name for t in outputs]
        return [f"output_{i + 1}" for i in range(len(y_pred))]

    def _build_outputs(self, names):
        """Per-output losses, loss trackers and metrics, once the model's output structure is known. One output
        given with nested specs logs as a plain single output ('loss', 'mae'), as in Keras 3."""
        self.output_names = names
        self.compiled_loss.build(names)
        single = len(names) == 1
        self._output_loss_trackers = [] if single else [
            Mean(name=f"{n}_loss") for n, fn in zip(names, self.compiled_loss.fns) if fn is not None]
        self.compiled_metrics = MultiCompileMetrics(self._metric_specs, self.compiled_loss.fns, names,
                                                    self._weighted_specs, prefixed=not single)

    def _per_output(self, data, what):
        """y / sample_weight for a model with several outputs as a list in output order (None where absent)."""
        names = self.output_names
        if data is None:
            return [None] * len(names)
        if isinstance(data, dict):
            unknown = [k for k in data if k not in names]
            if unknown:
                raise ValueError(f"{what}: unknown output names {unknown}; model '{self.model.name}' has outputs "
                                 f"{names}")
            return [data.get(n) for n in names]
        if isinstance(data, (list, tuple)):
            if len(data) != len(names):
                raise ValueError(f"{what}: expected {len(names)} arrays, one per output {names}, got {len(data)}")
            return list(data)
        if what == "sample_weight":
            return [data] * len(names)  # one weight per sample, for every output
        raise ValueError(f"{what}: model '{self.model.name}' has {len(names)} outputs {names}; pass a list or a "
                         "dict keyed by output name")

    def _multi_loss(self, y, y_pred, sample_weight):
        if self.output_names is None:
            self._build_outputs(self._model_output_names(y_pred))
        preds = self._per_output(y_pred, "y_pred")
        targets = self._per_output(y, "y")
        weights = self._per_output(sample_weight, "sample_weight")
        values, total = [], None
        for fn, w, yt, yp, sw, name in zip(self.compiled_loss.fns, self.compiled_loss.weights, targets, preds,
                                           weights, self.output_names):
            if fn is None:
                continue
            if yt is None:
                raise ValueError(f"No target given for output '{name}', which has a loss")
            value = fn(yt, yp, sample_weight=sw)
            if w is not None:
                value = value * w
            values.append(value)
            total = value if total is None else total + value
        self._output_losses = values
        return total

    def compute_loss(self, y, y_pred, sample_weight=None):
        """The compiled loss plus the model's regularization / added losses (a 0-d tensor)."""
        total = None
        if self.loss_fn is not None and not _is_multi(y_pred):
            total = self.loss_fn(y, y_pred, sample_weight=sample_weight)
        elif self._has_loss:
            if not _is_multi(y_pred):  # a nested loss for a single output
                y_pred, y = [y_pred], (y if _is_multi(y) or y is None else [y])
            total = self._multi_loss(y, y_pred, sample_weight)
        for extra in self.model.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError("No loss to compute: pass `loss` to compile() (or add losses with add_loss)")
        return total

    def update_metrics(self, loss, y, y_pred, sample_weight=None):
        if self.output_names is not None:
            if not _is_multi(y_pred):
                y_pred, y = [y_pred], (y if _is_multi(y) or y is None else [y])
            first = _first(y_pred)
            batch = int(first.shape[0]) if first.ndim else 1
            self.loss_tracker.update_state(loss, sample_weight=batch)
            for tracker, value in zip(self._output_loss_trackers, self._output_losses or []):
                tracker.update_state(value, sample_weight=batch)
            if y is not None:
                self.compiled_metrics.update_state(self._per_output(y, "y"), self._per_output(y_pred, "y_pred"),
                                                   self._per_output(sample_weight, "sample_weight"))
            return
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

    def _ensure_built(self, x, device, batch_size=None):
        """Builds an unbuilt model on its first sample (weights are created as in the first step). A model
        with stateful layers is built on its first batch instead, as their states take the batch size,
        and the build call leaves the states at zero."""
        if not self.model.built:
            stateful = _stateful_layers(self.model)
            n = (batch_size or len(_first(x))) if stateful else 1
            with kt.device(device):
                first = data_adapter.map_nest(lambda a: a[:n], x)
                self.model(data_adapter.to_device(first, device), training=False)
            for layer in stateful:
                layer.reset_state()

    def _prepare(self, x, y, sample_weight, require_y=True):
        x = data_adapter.standardize(x, "x")
        y = data_adapter.standardize(y, "y")
        sample_weight = data_adapter.standardize(sample_weight, "sample_weight")
        if x is None:
            raise ValueError("x is required")
        if y is None and require_y and self._has_loss:
            raise ValueError(f"y is required to compute the loss of model '{self.model.name}'")
        data_adapter.check_lengths(x=x, y=y, sample_weight=sample_weight)
        return x, y, sample_weight

    def _check_labels(self, x, y):
        """Sparse losses: integer-valued labels in [0, classes), checked once on the host."""
        if y is None:
            return y
        if isinstance(y, (list, dict)):
            return self._check_output_labels(x, y)
        if not losses_module.is_sparse(self.loss_fn):
            return y
        classes = self.model.compute_output_shape((None,) + tuple(x.shape[1:]))[-1]
        host = y.numpy() if isinstance(y, kt.Tensor) else y
        return losses_module.check_sparse_labels(host, classes)

    def _check_output_labels(self, x, y):
        """Several outputs of a functional model: targets of sparse losses are checked once on the host."""
        outputs = getattr(self.model, "outputs", None)
        if outputs is None or not self._has_loss or len(outputs) < 2:
            return y
        if self.output_names is None:
            struct = getattr(self.model, "_outputs_struct", None)
            self._build_outputs(list(struct) if isinstance(struct, dict) else
                                [t._keras_history[0].name for t in outputs])
        out = dict(y) if isinstance(y, dict) else list(y)
        for k in (list(y) if isinstance(y, dict) else range(min(len(y), len(outputs)))):
            i = self.output_names.index(k) if isinstance(y, dict) and k in self.output_names else k
            if isinstance(i, int) and y[k] is not None and losses_module.is_sparse(self.compiled_loss.fns[i]):
                host = y[k].numpy() if isinstance(y[k], kt.Tensor) else y[k]
                out[k] = losses_module.check_sparse_labels(host, outputs[i].shape[-1])
        return out

    def _data(self, x, y, sample_weight, batch_size, device):
        if x is not None:
            self._ensure_built(x, device, batch_size)
            y = self._check_labels(x, y)
        return data_adapter.ArrayData((x, y, sample_weight), batch_size, device)

    def _stream_data(self, x, y, sample_weight, steps, device, require_y=True, name="x", class_weight=None):
        """A Dataset, generator or PyDataset as batches; the model is built on the first batch. class_weight
        turns into per-batch sample weights (times the batch's own)."""
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
            if class_weight is not None:
                swb = class_weight_to_sample_weight(yb, class_weight, swb)
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
        steps_per_epoch = _steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = _steps(validation_steps, "validation_steps")
        validate_now = _validation_epochs(validation_freq)
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
        if class_weight is not None and not stream:  # training data only, as in Keras
            sample_weight = class_weight_to_sample_weight(y, class_weight, sample_weight)
        device = self._device()
        if stream:
            train = self._stream_data(x, y, sample_weight, steps_per_epoch, device, class_weight=class_weight)
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
                           epochs=epochs, steps=train.num_batches if stream or steps_per_epoch is None
                           else steps_per_epoch)
        rng = np.random.default_rng(kt.random.shuffle_seed()) if shuffle and not stream else None
        epoch_batches = train.batches
        if steps_per_epoch is not None and not stream:
            epoch_batches = _StepsPerEpoch(train, steps_per_epoch).batches
        model.stop_training = False
        logs = {}
        try:
            model._initial_epoch = None  # a stale value from a killed run must not leak into this one
            cbs.on_train_begin()
            # BackupAndRestore sets model._initial_epoch when it restored a backup in on_train_begin.
            initial_epoch = getattr(model, "_initial_epoch", None) or initial_epoch
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                order = rng.permutation(train.size) if rng is not None else None
                step = -1
                with kt.device(device):
                    for step, (xb, yb, swb) in enumerate(epoch_batches(order)):
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
                if val_data is not None and validate_now(epoch):
                    val_logs = self._run_test(val_data, cbs, device, None if val_stream else validation_steps)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if model.stop_training:
                    break
            cbs.on_train_end(logs)
        finally:
            self._variables = None
        return cbs.history

    def _run_test(self, data, cbs, device, steps=None):
        self.reset_metrics()
        cbs.on_test_begin()
        with kt.device(device):
            for step, (xb, yb, swb) in enumerate(data.batches()):
                cbs.on_test_batch_begin(step)
                self.test_step(xb, yb, swb)
                cbs.on_test_batch_end(step, LazyLogs(self._logs))
                if steps is not None and step + 1 >= steps:
                    break
        logs = self._logs()
        cbs.on_test_end(logs)
        return logs

    def _flatten(self, logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())  # loss, per-output losses, metrics: the order of the logs
        return values[0] if len(values) == 1 else values

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics over the data: [loss, *metrics], a scalar loss without metrics, or a dict."""
        stream = data_adapter.is_stream(x)
        steps = _steps(steps, "steps")
        batch_size, verbose = _batch_size(batch_size), _verbose(verbose)
        if stream:
            data = self._stream_data(x, y, sample_weight, steps, self._device())
            device = self._device()
        else:
            x, y, sample_weight = self._prepare(x, y, sample_weight)
            device = self._device()
            data = self._data(x, y, sample_weight, batch_size, device)
        limit = None if stream or steps is None else steps
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose, epochs=1,
                           steps=data.num_batches if limit is None else min(limit, data.num_batches))
        return self._flatten(self._run_test(data, cbs, device, limit), return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for x, batch by batch: one numpy array, or a list/dict of them for several outputs."""
        stream = data_adapter.is_stream(x)
        steps = _steps(steps, "steps")
        limit = None if stream or steps is None else steps
        batch_size, verbose = _batch_size(batch_size), _verbose(verbose)
        if stream:
            data = self._stream_data(x, None, None, steps, self._device(), require_y=False)
            device = self._device()
        else:
            x = data_adapter.standardize(x, "x")
            device = self._device()
            data = self._data(x, None, None, batch_size, device)
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self.model, verbose=verbose, epochs=1,
                           steps=data.num_batches if limit is None else min(limit, data.num_batches))
        cbs.on_predict_begin()
        outputs = []
        with kt.device(device):
            for step, (xb, _, _) in enumerate(data.batches()):
                cbs.on_predict_batch_begin(step)
                out = self.predict_step(xb)
                outputs.append(out)
                cbs.on_predict_batch_end(step, {"outputs": out})
                if limit is not None and step + 1 >= limit:
                    break
        result = _concat_outputs(outputs)  # read back once all batches are queued
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
        if class_weight is not None:
            y = data_adapter.standardize(y, "y")
            sample_weight = class_weight_to_sample_weight(y, class_weight,
                                                          data_adapter.standardize(sample_weight, "sample_weight"))
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
            return _concat_outputs([self.predict_step(data_adapter.to_device(x, device))])
