"""EarlyStopping: stop training when a monitored metric has stopped improving (Keras 3 semantics)."""
import warnings

from .callback import Callback

# Metric names whose direction is known, for mode="auto" (Keras 3 asks the metric; these are its answers).
_UP = ("acc", "auc", "precision", "recall", "f1", "fbeta", "fmeasure", "iou", "r2", "cosine_similarity",
       "true_positives", "true_negatives", "specificity", "sensitivity")
_DOWN = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge", "divergence", "poisson",
         "logcosh", "false_positives", "false_negatives")


def infer_direction(monitor, model=None):
    """'max', 'min', or None when neither the metric nor its name says which way is better."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss":
        return "min"
    for m in getattr(model, "metrics", None) or []:  # a metric that declares its direction wins
        direction = getattr(m, "_direction", None)
        if getattr(m, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    lowered = name.lower()
    if any(key in lowered for key in _DOWN):
        return "min"
    if any(key in lowered for key in _UP):
        return "max"
    return None


def check_mode(mode, what):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{what} mode {mode} is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


class EarlyStopping(Callback):
    """Stops training (`model.stop_training = True`) once `monitor` has not improved by more than
    `min_delta` for `patience` epochs; optionally restores the weights of the best epoch at the end."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = check_mode(mode, "EarlyStopping")
        self.monitor_op = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _set_monitor_op(self):
        direction = self.mode if self.mode != "auto" else infer_direction(self.monitor, self.model)
        if direction is None:
            raise ValueError(
                f"EarlyStopping callback received monitor={self.monitor} but Keras isn't able to automatically "
                "determine whether that metric should be maximized or minimized. Pass `mode='max'` in order to "
                "do early stopping based on the highest metric value, or pass `mode='min'` in order to use the "
                "lowest value.")
        if direction == "min":
            self.monitor_op = lambda a, b: a < b
            self.min_delta = -abs(self.min_delta)
        else:
            self.monitor_op = lambda a, b: a > b
            self.min_delta = abs(self.min_delta)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()  # restore at least this epoch's weights
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.", flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs.keys())}", stacklevel=2)
        return value

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return self.monitor_op(value - self.min_delta, reference)
