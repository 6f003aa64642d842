"""keras.metrics: stateful metrics whose state stays on the device.

`update_state` only launches device ops (sums into Variables); nothing is read back to the host
until `result()` is converted, so the trainer reads metrics only when it shows or logs them.
"""
import numpy as np

import ktensor as kt

from . import backend
from . import losses as losses_module
from .utils.naming import to_snake_case
from .utils.serialization import from_dict, lookup


# -- functions: one value per sample --
def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_pred = kt.convert_to_tensor(y_pred)
    y_true = kt.convert_to_tensor(y_true)
    y_true, y_pred = losses_module.match_rank(y_true, y_pred)
    hit = kt.equal(kt.cast(y_true, "float32"), kt.cast(kt.greater(y_pred, threshold), "float32"))
    return kt.reduce_mean(kt.cast(hit, "float32"), axis=-1)


def categorical_accuracy(y_true, y_pred):
    hit = kt.equal(kt.argmax(y_true, axis=-1), kt.argmax(y_pred, axis=-1))
    return kt.cast(hit, "float32")


def sparse_categorical_accuracy(y_true, y_pred):
    y_pred = kt.convert_to_tensor(y_pred)
    y_true = kt.convert_to_tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = kt.squeeze(y_true, -1)
    pred = kt.argmax(y_pred, axis=-1)
    return kt.cast(kt.equal(kt.cast(y_true, pred.dtype), pred), "float32")


def accuracy(y_true, y_pred):
    """Exact equality of predictions and labels."""
    y_true, y_pred = losses_module.match_rank(kt.convert_to_tensor(y_true), kt.convert_to_tensor(y_pred))
    return kt.reduce_mean(kt.cast(kt.equal(y_true, kt.cast(y_pred, y_true.dtype)), "float32"), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, epsilon)) over the last axis."""
    y_true, y_pred = losses_module._prepare(y_true, y_pred)
    diff = kt.abs((y_true - y_pred) / kt.maximum(kt.abs(y_true), backend.epsilon()))
    return 100.0 * kt.reduce_mean(diff, axis=-1)


def _in_top_k(labels, y_pred, k):
    """1.0 where the label's score is among the k largest of its row (ties at the boundary count as in,
    like tf.math.in_top_k): fewer than k classes score strictly higher. labels (n,), y_pred (n, c)."""
    onehot = kt.one_hot(kt.cast(labels, "int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    target = kt.reduce_sum(y_pred * onehot, axis=-1, keepdims=True)
    higher = kt.reduce_sum(kt.cast(kt.greater(y_pred, target), "float32"), axis=-1)
    return kt.cast(kt.less(higher, float(k)), "float32")


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_pred = kt.convert_to_tensor(y_pred)
    labels = kt.argmax(kt.convert_to_tensor(y_true), axis=-1)
    out_shape = tuple(labels.shape)
    if y_pred.ndim > 2:
        y_pred = kt.reshape(y_pred, (-1, y_pred.shape[-1]))
    if labels.ndim > 1:
        labels = kt.reshape(labels, (-1,))
    matches = _in_top_k(labels, y_pred, k)
    return kt.reshape(matches, out_shape) if len(out_shape) > 1 else matches


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    y_pred = kt.convert_to_tensor(y_pred)
    y_true = kt.convert_to_tensor(y_true)
    if not from_sorted_ids:
        y_true = kt.cast(y_true, "int32")  # on the device: no host-side label check
    out_shape = tuple(y_true.shape)
    if y_pred.ndim > 2:
        y_pred = kt.reshape(y_pred, (-1, y_pred.shape[-1]))
    if y_true.ndim > 1:
        y_true = kt.reshape(y_true, (-1,))
    if from_sorted_ids:  # y_pred holds class ids, best first
        hit = kt.equal(kt.expand_dims(kt.cast(y_true, y_pred.dtype), 1), y_pred[:, :k])
        matches = kt.cast(kt.reduce_any(hit, axis=1), "float32")
    else:
        matches = _in_top_k(y_true, y_pred, k)
    return kt.reshape(matches, out_shape) if len(out_shape) > 1 else matches


def _to_device(x, device, dtype=None):
    """A tensor of `x` on `device` (a host value is converted; a tensor elsewhere is copied over)."""
    t = x.value() if isinstance(x, kt.Variable) else x
    if not isinstance(t, kt.Tensor):
        t = kt.convert_to_tensor(np.asarray(t, dtype=dtype or None))
    if dtype is not None and t.dtype != kt.as_dtype(dtype):
        t = kt.cast(t, dtype)
    if device is not None and t.device != device:
        t = t.to(device)
    return t


def _divide_no_nan(a, b):
    zero = kt.equal(b, 0.0)
    return kt.where(zero, kt.zeros_like(a), a / kt.where(zero, kt.ones_like(b), b))


def _reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Keras' reduction of (values, sample_weight) to one (weighted) value per sample.

    Returns (values, sample_weight): values reduced to rank <= 1 and already multiplied by the weights;
    the weights reduced alike (a Python number stays a Python number, or None)."""
    values = kt.cast(kt.convert_to_tensor(values), dtype)
    if sample_weight is not None:
        if isinstance(sample_weight, (int, float, np.integer, np.floating)) and not isinstance(sample_weight, bool):
            w = float(sample_weight)  # a weight for the whole batch, known on the host
            if values.ndim:
                values = reduce_fn(values, axis=tuple(range(values.ndim)))
            return values * w, w
        sw = _to_device(sample_weight, values.device, dtype)
        values, sw = losses_module.match_rank(values, sw)
        weight_ndim, values_ndim = sw.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sw = sw * kt.ones_like(values)  # broadcast to the values
        values = values * sw
        if values_ndim > 1 and weight_ndim > 1:
            sw = reduce_fn(sw, axis=tuple(range(1, weight_ndim)))
        sample_weight = sw
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


# -- stateful metrics --
class Metric:
    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype or "float32"
        self._variables = []

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None, device=None):
        value = kt.zeros(shape, dtype=dtype or self.dtype, device=device)
        v = kt.Variable(value, trainable=False, name=name)
        self._variables.append(v)
        return v

    @property
    def variables(self):
        return list(self._variables)

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        for v in self._variables:
            v.assign(kt.zeros_like(v))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """Weighted mean of every value seen since the last reset."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.count = None

    def _build(self, device):
        self.total = self.add_variable((), name="total", device=device)
        self.count = self.add_variable((), name="count", device=device)

    def update_state(self, values, sample_weight=None):
        """Keras' weighting: values are first reduced to one value per sample (their mean over the
        axes the weights do not cover); the count is the number of samples, or the sum of the weights."""
        values, sw = _reduce_to_samplewise_values(values, sample_weight, kt.reduce_mean, self.dtype)
        if self.total is None:
            self._build(values.device)
        self.total.assign_add(kt.reduce_sum(values))
        if sw is None:
            self.count.assign_add(float(values.shape[0]) if values.ndim else 1.0)
        elif isinstance(sw, float):
            self.count.assign_add(sw)
        else:
            self.count.assign_add(kt.reduce_sum(sw))

    def result(self):
        if self.total is None:
            return kt.constant(0.0, dtype=self.dtype)
        return self.total.value() / kt.maximum(self.count.value(), 1e-30)  # 0 before any update


class MeanMetricWrapper(Mean):
    """Mean of a per-sample function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in _DOWN_FUNCTIONS:  # a loss: smaller is better (Keras registers "down" for wrapped losses)
            self._direction = "down"
        elif fn in _UP_FUNCTIONS:  # an accuracy
            self._direction = "up"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:  # Keras 3: masked steps (of y_pred's mask) do not count
            sample_weight = losses_module.apply_mask(sample_weight, mask, values, "sum")
        super().update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class Sum(Metric):
    """Weighted sum of every value seen since the last reset."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = None

    def update_state(self, values, sample_weight=None):
        values, _ = _reduce_to_samplewise_values(values, sample_weight, kt.reduce_sum, self.dtype)
        if self.total is None:
            self.total = self.add_variable((), name="total", device=values.device)
        self.total.assign_add(kt.reduce_sum(values))

    def result(self):
        if self.total is None:
            return kt.constant(0.0, dtype=self.dtype)
        return self.total.value()


class Accuracy(MeanMetricWrapper):
    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)

    def get_config(self):
        config = super().get_config()
        if not config["from_sorted_ids"]:  # as Keras: only written when set
            del config["from_sorted_ids"]
        return config


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses_module.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses_module.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """sqrt of the (weighted) mean of the squared errors, every element counted."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = losses_module._prepare(y_true, y_pred)
        super().update_state(kt.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        if self.total is None:
            return kt.constant(0.0, dtype=self.dtype)
        return kt.sqrt(_divide_no_nan(self.total.value(), self.count.value()))


class BinaryCrossentropy(MeanMetricWrapper):
    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(losses_module.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        super().__init__(losses_module.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(losses_module.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if isinstance(y_true, kt.Tensor) and y_true.dtype.is_floating:
            y_true = kt.cast(y_true, "int32")  # device labels: no host-side check inside update_state
        super().update_state(y_true, y_pred, sample_weight)


# -- confusion-matrix metrics (Keras' metrics_utils semantics) --
NEG_INF = -1e10


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [float(default)]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(thresholds, np.arange(n, dtype=np.float32) / (n - 1), atol=backend.epsilon()))


def _filter_top_k(x, k):
    """x with all but the k largest entries of its last axis set to NEG_INF (ties: the lower index wins,
    as top_k picks them)."""
    c = x.shape[-1]
    xi, xj = kt.expand_dims(x, -1), kt.expand_dims(x, -2)  # [..., i, j]
    before = kt.constant(np.tril(np.ones((c, c), np.float32), -1)).to(x.device)  # j < i
    higher = kt.cast(kt.greater(xj, xi), "float32") + kt.cast(kt.equal(xj, xi), "float32") * before
    keep = kt.cast(kt.less(kt.reduce_sum(higher, axis=-1), float(k)), x.dtype)
    return x * keep + NEG_INF * (1.0 - keep)


def _confusion_counts(y_true, y_pred, thresholds, evenly, top_k=None, class_id=None, sample_weight=None,
                      multi_label=False, label_weights=None):
    """{'tp', 'fp', 'tn', 'fn'} increments of one batch, each (num_thresholds,) or, for multi_label,
    (num_thresholds, num_labels). A prediction is positive at threshold t when it is > t; evenly
    spaced thresholds use Keras' bucketing (bucket = ceil(p * (T - 1)) - 1, with p clipped to [0, 1])."""
    y_pred = kt.cast(kt.convert_to_tensor(y_pred), "float32")
    dev = y_pred.device
    y_true = _to_device(y_true, dev, "float32")
    y_pred, y_true = losses_module.match_rank(y_pred, y_true)
    sw = None
    if sample_weight is not None:
        sw = kt.expand_dims(_to_device(sample_weight, dev, "float32"), -1)
        if sw.ndim == y_true.ndim + 1 and sw.shape[-1] == 1:
            sw = kt.squeeze(sw, -1)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape "
                             f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}")
        y_true = y_true[..., class_id:class_id + 1]
        y_pred = y_pred[..., class_id:class_id + 1]
    num = len(thresholds)
    if evenly:
        with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        scaled = kt.expand_dims(kt.clip_by_value(y_pred, 0.0, 1.0) * float(num - 1), -1)
        index = kt.constant(np.arange(num, dtype=np.float32)).to(dev)
        positive = kt.greater(scaled, index)  # bucket >= i  <=>  p * (T - 1) > i
        if with_epsilon:  # the first threshold is below every prediction
            first = kt.constant((np.arange(num) == 0).astype(np.float32)).to(dev)
            positive = kt.logical_or(positive, kt.greater(first, 0.0))
    else:
        positive = kt.greater(kt.expand_dims(y_pred, -1), kt.constant(np.asarray(thresholds, np.float32)).to(dev))
    positive = kt.cast(positive, "float32")
    label = kt.cast(kt.not_equal(y_true, 0.0), "float32")
    weights = kt.ones_like(y_pred)
    if sw is not None:
        weights = weights * sw
    if label_weights is not None and not multi_label:
        weights = weights * _to_device(label_weights, dev, "float32")
    true_w, false_w = label * weights, (1.0 - label) * weights
    if multi_label:
        if y_pred.ndim != 2:
            raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}.")
        tp = kt.transpose(kt.reduce_sum(kt.expand_dims(true_w, -1) * positive, axis=0))
        fp = kt.transpose(kt.reduce_sum(kt.expand_dims(false_w, -1) * positive, axis=0))
        total_true, total_false = kt.reduce_sum(true_w, axis=0), kt.reduce_sum(false_w, axis=0)
    else:
        true_w, false_w = kt.reshape(true_w, (1, -1)), kt.reshape(false_w, (1, -1))
        positive = kt.reshape(positive, (-1, num))
        tp = kt.reshape(kt.matmul(true_w, positive), (num,))
        fp = kt.reshape(kt.matmul(false_w, positive), (num,))
        total_true, total_false = kt.reduce_sum(true_w), kt.reduce_sum(false_w)
    return {"tp": tp, "fp": fp, "tn": total_false - fp, "fn": total_true - tp}


class _ConfusionMetric(Metric):
    """Keeps some of tp/fp/tn/fn per threshold as device Variables, created on the first batch."""

    _kinds = ()

    def _zeros_result(self):
        return kt.constant(0.0 if len(self.thresholds) == 1 else [0.0] * len(self.thresholds), dtype=self.dtype)

    def _accumulate(self, counts, shape, device):
        if not self._variables:
            for kind in self._kinds:
                setattr(self, _KIND_NAMES[kind], self.add_variable(shape, name=_KIND_NAMES[kind], device=device))
        for kind in self._kinds:
            getattr(self, _KIND_NAMES[kind]).assign_add(counts[kind])


_KIND_NAMES = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}


class Precision(_ConfusionMetric):
    """tp / (tp + fp) at each threshold (one value when one threshold); with top_k, only the k largest
    predictions of a sample can be positive; with class_id, only that class is scored."""

    _kinds = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._thresholds_distributed_evenly = _evenly_distributed(self.thresholds)
        self.true_positives = self.false_positives = self.true_negatives = self.false_negatives = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = _confusion_counts(y_true, y_pred, self.thresholds, self._thresholds_distributed_evenly,
                                   top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight)
        self._accumulate(counts, (len(self.thresholds),), counts["tp"].device)

    def _ratio(self, other):
        if not self._variables:
            return self._zeros_result()
        tp = self.true_positives.value()
        result = _divide_no_nan(tp, tp + getattr(self, other).value())
        return result[0] if len(self.thresholds) == 1 else result

    def result(self):
        return self._ratio("false_positives")

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(Precision):
    """tp / (tp + fn) at each threshold; top_k and class_id as in Precision."""

    _kinds = ("tp", "fn")

    def result(self):
        return self._ratio("false_negatives")


class AUC(_ConfusionMetric):
    """Area under the ROC or PR curve, from tp/fp/tn/fn accumulated at `num_thresholds` thresholds
    (Keras' Riemann sums; PR with 'interpolation' uses the Davis & Goadrich interpolation)."""

    _kinds = ("tp", "fp", "tn", "fn")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(float(t) for t in thresholds)
            self._thresholds_distributed_evenly = _evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + thresholds + [1.0 + eps])
        curves = {"roc": "ROC", "pr": "PR"}
        if str(curve).lower() not in curves:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC"]')
        self.curve = curves[str(curve).lower()]
        if str(summation_method).lower() not in ("interpolation", "majoring", "minoring"):
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             'Expected values are ["interpolation", "majoring", "minoring"]')
        self.summation_method = str(summation_method).lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        if num_labels and not multi_label:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        self.label_weights = None if label_weights is None else [float(w) for w in np.ravel(label_weights)]
        self._from_logits = from_logits
        self.true_positives = self.false_positives = self.true_negatives = self.false_negatives = None

    @property
    def thresholds(self):
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = kt.convert_to_tensor(y_pred)
        if self._from_logits:
            y_pred = kt.sigmoid(y_pred)
        counts = _confusion_counts(y_true, y_pred, self._thresholds, self._thresholds_distributed_evenly,
                                   sample_weight=sample_weight, multi_label=self.multi_label,
                                   label_weights=None if self.multi_label else self.label_weights)
        self._accumulate(counts, tuple(counts["tp"].shape), counts["tp"].device)

    def _average(self, by_label):
        if self.label_weights is None:
            return kt.reduce_mean(by_label)
        lw = _to_device(self.label_weights, by_label.device, "float32")
        return _divide_no_nan(kt.reduce_sum(by_label * lw), kt.reduce_sum(lw))

    def _total(self, terms):
        return self._average(kt.reduce_sum(terms, axis=0)) if self.multi_label else kt.reduce_sum(terms)

    def interpolate_pr_auc(self):
        n = self.num_thresholds
        tp, fp, fn = self.true_positives.value(), self.false_positives.value(), self.false_negatives.value()
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = _divide_no_nan(dtp, kt.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = kt.logical_and(kt.greater(p[:n - 1], 0.0), kt.greater(p[1:], 0.0))
        ratio = kt.where(both, _divide_no_nan(p[:n - 1], kt.maximum(p[1:], 0.0)), kt.ones_like(p[1:]))
        terms = _divide_no_nan(slope * (dtp + intercept * kt.log(ratio)), kt.maximum(tp[1:] + fn[1:], 0.0))
        return self._total(terms)

    def result(self):
        if not self._variables:
            return kt.constant(0.0, dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value(), self.false_positives.value()
        tn, fn = self.true_negatives.value(), self.false_negatives.value()
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = kt.minimum(y[:n - 1], y[1:])
        else:
            heights = kt.maximum(y[:n - 1], y[1:])
        return self._total((x[:n - 1] - x[1:]) * heights)

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return config


_DOWN_FUNCTIONS = (losses_module.mean_squared_error, losses_module.mean_absolute_error,
                   mean_absolute_percentage_error, losses_module.binary_crossentropy,
                   losses_module.categorical_crossentropy, losses_module.sparse_categorical_crossentropy)
_UP_FUNCTIONS = (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                 top_k_categorical_accuracy, sparse_top_k_categorical_accuracy)

_CLASSES = {c.__name__: c for c in (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, RootMeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Precision, Recall, AUC)}
# Keras 3 also accepts each class's snake_case name; where a per-sample function has that name the function
# is kept (compile() then names the metric after the string, as Keras does).
_SNAKE_CLASSES = {"mean": Mean, "sum": Sum, "root_mean_squared_error": RootMeanSquaredError,
                  "precision": Precision, "recall": Recall, "auc": AUC}
_FUNCTIONS = {"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy,
              "categorical_accuracy": categorical_accuracy,
              "sparse_categorical_accuracy": sparse_categorical_accuracy,
              "top_k_categorical_accuracy": top_k_categorical_accuracy,
              "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
              "mean_squared_error": losses_module.mean_squared_error, "mse": losses_module.mean_squared_error,
              "MSE": losses_module.mean_squared_error,
              "mean_absolute_error": losses_module.mean_absolute_error, "mae": losses_module.mean_absolute_error,
              "MAE": losses_module.mean_absolute_error,
              "mean_absolute_percentage_error": mean_absolute_percentage_error,
              "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
              "binary_crossentropy": losses_module.binary_crossentropy,
              "bce": losses_module.binary_crossentropy, "BCE": losses_module.binary_crossentropy,
              "categorical_crossentropy": losses_module.categorical_crossentropy,
              "sparse_categorical_crossentropy": losses_module.sparse_categorical_crossentropy}


def serialize(metric):
    return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return lookup(config, {**_FUNCTIONS, **_SNAKE_CLASSES, **_CLASSES}, "metric")
    return from_dict(config, _CLASSES, "metric", custom_objects)


def get(identifier):
    """A name (a per-sample function, or a class name -> a new instance), a dict, an instance, a callable."""
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, Metric) or callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
