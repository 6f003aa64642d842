"""What compile() sets up: the loss function and the metrics, with Keras' 'accuracy' resolution."""
from .. import losses as losses_module
from .. import metrics as metrics_module


def resolve_loss(loss):
    """A callable (y_true, y_pred, sample_weight) -> scalar, or None."""
    fn = losses_module.get(loss)
    if fn is None or isinstance(fn, losses_module.Loss):
        return fn
    return losses_module.LossFunctionWrapper(fn)


def _accuracy_kind(y_true, y_pred, loss):
    """Keras' choice for 'accuracy': binary, sparse categorical or categorical."""
    if losses_module.is_binary(loss) or y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return metrics_module.binary_accuracy
    if losses_module.is_sparse(loss) or y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return metrics_module.sparse_categorical_accuracy
    return metrics_module.categorical_accuracy


class CompileMetrics:
    """The compiled metrics; built on the first batch, when label and prediction shapes are known."""

    def __init__(self, metrics, loss):
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, dict)) or callable(metrics):
            metrics = [metrics]
        if not isinstance(metrics, (list, tuple)):
            raise TypeError(f"compile(metrics=...) expects a list of metrics, got {type(metrics).__name__}")
        self._specs = list(metrics)
        self._loss = loss
        self.metrics = None
        for spec in self._specs:  # unknown names fail at compile time, with the valid ones listed
            if isinstance(spec, str) and spec not in ("accuracy", "acc"):
                metrics_module.get(spec)

    def build(self, y_true, y_pred):
        built = []
        for spec in self._specs:
            if isinstance(spec, str) and spec in ("accuracy", "acc"):
                built.append(metrics_module.MeanMetricWrapper(_accuracy_kind(y_true, y_pred, self._loss), name=spec))
                continue
            obj = metrics_module.get(spec)
            if isinstance(obj, metrics_module.Metric):
                built.append(obj)
            else:
                name = spec if isinstance(spec, str) else getattr(obj, "__name__", "metric")
                built.append(metrics_module.MeanMetricWrapper(obj, name=name))
        self.metrics = built

    @property
    def names(self):
        return [m.name for m in self.metrics or []]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metrics is None:
            self.build(y_true, y_pred)
        for m in self.metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics or []:
            m.reset_state()
