"""What compile() sets up: the loss function(s), loss weights and the metrics, with Keras' 'accuracy' resolution.

A model with several outputs gets one loss per output (one loss for all, a list, or a dict by output
name), optional `loss_weights` (list or dict), and metrics per output (a list for every output, a list
of lists, or a dict by output name), logged as Keras 3 does: 'loss', '<output>_loss', '<output>_<metric>'.
"""
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


def _as_list(metrics, what):
    if metrics is None:
        return []
    if isinstance(metrics, (str, dict)) or callable(metrics):
        return [metrics]
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile({what}=...) expects a list of metrics, got {type(metrics).__name__}")
    return list(metrics)


class CompileMetrics:
    """The compiled metrics of one output; built on the first batch, when label and prediction shapes are known.

    As in Keras 3, `metrics` ignore sample weights (and class weights) while `weighted_metrics` use them; a
    weighted metric whose name is taken by an unweighted one is logged as 'weighted_<name>'."""

    def __init__(self, metrics, loss, prefix="", weighted_metrics=None):
        self._specs = _as_list(metrics, "metrics")
        self._weighted_specs = _as_list(weighted_metrics, "weighted_metrics")
        self._loss = loss
        self.prefix = prefix
        self.metrics = None
        self._n_unweighted = 0
        for spec in self._specs + self._weighted_specs:  # unknown names fail at compile time, valid ones listed
            if isinstance(spec, str) and spec not in ("accuracy", "acc"):
                metrics_module.get(spec)

    def _make(self, spec, y_true, y_pred, name_prefix):
        if isinstance(spec, str) and spec in ("accuracy", "acc"):
            return metrics_module.MeanMetricWrapper(_accuracy_kind(y_true, y_pred, self._loss),
                                                    name=name_prefix + spec)
        obj = metrics_module.get(spec)
        if isinstance(obj, metrics_module.Metric):
            if name_prefix:  # a metric of one output of several, or a weighted twin: its own copy, renamed
                obj = type(obj).from_config({**obj.get_config(), "name": name_prefix + obj.name})
            return obj
        name = spec if isinstance(spec, str) else getattr(obj, "__name__", "metric")
        return metrics_module.MeanMetricWrapper(obj, name=name_prefix + name)

    def build(self, y_true, y_pred):
        built = [self._make(s, y_true, y_pred, self.prefix) for s in self._specs]
        taken = {m.name for m in built}
        for spec in self._weighted_specs:
            m = self._make(spec, y_true, y_pred, self.prefix)
            if m.name in taken:
                m = self._make(spec, y_true, y_pred, self.prefix + "weighted_")
            taken.add(m.name)
            built.append(m)
        self._n_unweighted = len(self._specs)
        self.metrics = built

    @property
    def names(self):
        return [m.name for m in self.metrics or []]

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.metrics is None:
            self.build(y_true, y_pred)
        for i, m in enumerate(self.metrics):
            m.update_state(y_true, y_pred, sample_weight=sample_weight if i >= self._n_unweighted else None)

    def reset_state(self):
        for m in self.metrics or []:
            m.reset_state()


def _per_output(spec, names, what, default=None):
    """A list with one entry per output from a list (in output order) or a dict keyed by output name."""
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"compile({what}=...): unknown output names {unknown}; the model's outputs are {names}")
        return [spec.get(n, default) for n in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != len(names):
            raise ValueError(f"compile({what}=...): got {len(spec)} entries for a model with {len(names)} outputs "
                             f"{names}")
        return list(spec)
    raise TypeError(f"compile({what}=...) for a model with several outputs expects a list or a dict keyed by output "
                    f"name, got {type(spec).__name__}")


def is_nested_loss(loss):
    return isinstance(loss, (list, tuple, dict))


class CompileLoss:
    """The losses of a model with several outputs: one (loss, weight) per output, built for the output names."""

    def __init__(self, loss, loss_weights=None):
        self._loss, self._weights = loss, loss_weights
        for spec in (loss.values() if isinstance(loss, dict) else loss if is_nested_loss(loss) else [loss]):
            resolve_loss(spec)  # unknown names fail at compile time
        if loss_weights is not None and not isinstance(loss_weights, (list, tuple, dict)):
            raise TypeError(f"compile(loss_weights=...) expects a list or a dict, got {type(loss_weights).__name__}")
        self.names = None
        self.fns = self.weights = None

    def build(self, names):
        self.names = list(names)
        specs = _per_output(self._loss, self.names, "loss") if is_nested_loss(self._loss) else (
            [self._loss] * len(self.names))
        self.fns = [resolve_loss(s) for s in specs]
        weights = [None] * len(self.names) if self._weights is None else _per_output(self._weights, self.names,
                                                                                      "loss_weights")
        self.weights = [None if w is None else float(w) for w in weights]


def _specs_per_output(metrics, names, what):
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict):
        return _per_output(metrics, names, what, default=[])
    if isinstance(metrics, (list, tuple)) and len(metrics) == len(names) and all(
            isinstance(m, (list, tuple)) or m is None for m in metrics):
        return [m or [] for m in metrics]
    return [metrics] * len(names)  # one list of metrics, computed for every output


class MultiCompileMetrics:
    """Per-output CompileMetrics, each naming its metrics '<output>_<metric>'."""

    def __init__(self, metrics, losses, names, weighted_metrics=None, prefixed=True):
        specs = _specs_per_output(metrics, names, "metrics")
        weighted = _specs_per_output(weighted_metrics, names, "weighted_metrics")
        self.parts = [CompileMetrics(m, loss, prefix=f"{name}_" if prefixed else "", weighted_metrics=w)
                      for m, w, loss, name in zip(specs, weighted, losses, names)]
        self.metrics = None

    @property
    def names(self):
        return [n for p in self.parts for n in p.names]

    def update_state(self, y_true, y_pred, sample_weight=None):
        for p, yt, yp, sw in zip(self.parts, y_true, y_pred, sample_weight):
            if yt is not None:
                p.update_state(yt, yp, sw)
        if self.metrics is None and all(p.metrics is not None for p in self.parts):
            self.metrics = [m for p in self.parts for m in p.metrics]

    def reset_state(self):
        for p in self.parts:
            p.reset_state()


def validate_metrics(metrics):
    """Unknown metric names in a nested spec fail at compile time."""
    if isinstance(metrics, dict):
        for m in metrics.values():
            validate_metrics(m)
    elif isinstance(metrics, (list, tuple)) and any(isinstance(m, (list, tuple, dict)) for m in metrics):
        for m in metrics:
            validate_metrics(m)
    elif metrics is not None:
        CompileMetrics(metrics, None)
