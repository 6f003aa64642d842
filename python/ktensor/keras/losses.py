"""keras.losses: Keras 3 loss functions (per-sample values) and classes (reduced to a scalar).

Probabilities that came out of keras `softmax` / `sigmoid` are turned back into their logits and
go through ktensor's fused, numerically stable cross-entropy kernels; other probabilities are
clipped to [epsilon, 1 - epsilon] as Keras does.
"""
import numpy as np

import ktensor as kt

from . import activations, backend
from .utils.serialization import from_dict, lookup

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "none", None)


def _pred(y_pred):
    y_pred = kt.convert_to_tensor(y_pred)
    return y_pred if y_pred.dtype.is_floating else kt.cast(y_pred, backend.floatx())


def match_rank(a, b):
    """Squeezes or expands a trailing axis of size 1 so a and b have the same rank (Keras' rule)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, kt.expand_dims(b, -1)) if b.ndim == 1 else (kt.squeeze(a, -1), b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (kt.expand_dims(a, -1), b) if a.ndim == 1 else (a, kt.squeeze(b, -1))
    return a, b


def _prepare(y_true, y_pred):
    y_pred = _pred(y_pred)
    y_true = kt.cast(kt.convert_to_tensor(y_true), y_pred.dtype)
    return match_rank(y_true, y_pred)


def _same_shape(y_true, y_pred, fn):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        hint = " (for integer class labels use sparse_categorical_crossentropy)" if (
            fn == "categorical_crossentropy" and y_true.shape[-1:] != y_pred.shape[-1:]) else ""
        raise ValueError(f"{fn}: y_true and y_pred must have the same shape, got y_true.shape="
                         f"{tuple(y_true.shape)} and y_pred.shape={tuple(y_pred.shape)}{hint}")


# -- functions: one loss value per sample --
def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return kt.reduce_mean(kt.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _prepare(y_true, y_pred)
    return kt.reduce_mean(kt.abs(y_pred - y_true), axis=-1)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _prepare(y_true, y_pred)
    _same_shape(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else activations.fused_logits(y_pred, "sigmoid")
    if logits is not None:
        bce = kt.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    else:
        eps = backend.epsilon()
        p = kt.clip_by_value(y_pred, eps, 1.0 - eps)
        bce = -(y_true * kt.log(p) + (1.0 - y_true) * kt.log(1.0 - p))
    return kt.reduce_mean(bce, axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = _pred(y_pred)
    y_true = kt.cast(kt.convert_to_tensor(y_true), y_pred.dtype)
    _same_shape(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    logits = y_pred if from_logits else (activations.fused_logits(y_pred, "softmax")
                                         if axis in (-1, y_pred.ndim - 1) else None)
    if logits is not None:
        return kt.nn.softmax_cross_entropy_with_logits(labels=y_true, logits=logits, axis=axis)
    eps = backend.epsilon()
    p = kt.clip_by_value(y_pred / kt.reduce_sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    return -kt.reduce_sum(y_true * kt.log(p), axis=axis)


def check_sparse_labels(labels, num_classes):
    """Host-side check of class ids (numpy): whole numbers in [0, num_classes). Returns int32 labels."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if labels.size and not np.all(np.isfinite(labels) & (np.floor(labels) == labels)):
            bad = labels[~(np.isfinite(labels) & (np.floor(labels) == labels))].ravel()[0]
            raise ValueError(f"sparse categorical labels must be integer class ids, got the non-integer value {bad}")
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"sparse categorical labels must be integer class ids, got dtype {labels.dtype}")
    if labels.size and num_classes is not None:
        lo, hi = labels.min(), labels.max()
        if lo < 0 or hi >= num_classes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"Received a label value of {bad:g} which is outside the valid range of "
                             f"[0, {num_classes}) for {num_classes} classes")
    return labels.astype(np.int32)


def _sparse_labels(y_true, y_pred):
    num_classes = y_pred.shape[-1]
    if not isinstance(y_true, kt.Tensor):
        return kt.convert_to_tensor(check_sparse_labels(y_true, num_classes))
    if y_true.dtype.is_floating:  # device data: checking needs one host read
        whole = kt.cast(kt.cast(y_true, "int64"), y_true.dtype)
        if bool(kt.reduce_any(kt.not_equal(whole, y_true))):
            check_sparse_labels(y_true.numpy(), num_classes)
        return kt.cast(y_true, "int32")
    return y_true


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    if ignore_class is not None:
        raise NotImplementedError("sparse_categorical_crossentropy: ignore_class is not supported yet")
    y_pred = _pred(y_pred)
    if axis not in (-1, y_pred.ndim - 1):
        raise ValueError(f"sparse_categorical_crossentropy: only axis=-1 is supported, got axis={axis}")
    y_true = _sparse_labels(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = kt.squeeze(y_true, -1)
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(f"sparse_categorical_crossentropy: y_true.shape={tuple(y_true.shape)} must equal "
                         f"y_pred.shape without its last axis, got y_pred.shape={tuple(y_pred.shape)}")
    logits = y_pred if from_logits else activations.fused_logits(y_pred, "softmax")
    if logits is None:
        eps = backend.epsilon()
        logits = kt.log(kt.clip_by_value(y_pred, eps, 1.0 - eps))
    return kt.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=logits)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


# -- classes: a function plus the reduction over the batch --
def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if sample_weight is not None:
        sw = kt.cast(kt.convert_to_tensor(sample_weight), values.dtype)
        values, sw = match_rank(values, sw)
        values = values * sw
    if reduction in (None, "none"):
        return values
    total = kt.reduce_sum(values)
    if reduction == "sum":
        return total
    n = values.size if hasattr(values, "size") else int(np.prod(values.shape))
    return total / float(max(n, 1))


def apply_mask(sample_weight, mask, values, reduction):
    """Keras 3's masked weights: masked entries weigh 0 and, for the mean reductions, the valid ones
    total / valid, so the loss is the mean over valid entries. A per-sample weight multiplies every
    entry of its sample. A mask that does not fit the values (their leading axes) is ignored."""
    if mask.ndim > values.ndim or tuple(mask.shape) != tuple(values.shape[:mask.ndim]):
        return sample_weight
    m = kt.cast(mask, values.dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        m = m * (float(max(m.size, 1)) / (kt.reduce_sum(m) + backend.epsilon()))
    if sample_weight is not None:
        sw = kt.cast(kt.convert_to_tensor(sample_weight), values.dtype)
        if sw.ndim == 2 and sw.shape[-1] == 1 and m.ndim == 1:
            sw = kt.squeeze(sw, -1)
        while sw.ndim < m.ndim:
            sw = kt.expand_dims(sw, -1)
        m = m * sw
    while m.ndim < values.ndim:
        m = kt.expand_dims(m, -1)
    return m


class Loss:
    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"Invalid loss reduction {reduction!r}; expected one of {REDUCTIONS}")
        self.name = name or type(self).__name__.lower()
        self.reduction = reduction
        self.dtype = dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)  # Keras 3: masked outputs (timesteps) do not count
        values = self.call(y_true, y_pred)
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, values, self.reduction)
        return reduce_values(values, sample_weight, self.reduction)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class)


_CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
                                     CategoricalCrossentropy, SparseCategoricalCrossentropy)}
_FUNCTIONS = {"mean_squared_error": mean_squared_error, "mse": mean_squared_error, "MSE": mean_squared_error,
              "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error, "MAE": mean_absolute_error,
              "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
              "sparse_categorical_crossentropy": sparse_categorical_crossentropy}


def is_sparse(loss):
    """Whether a loss (function or Loss) takes integer class ids (so the trainer checks labels up front)."""
    return getattr(loss, "fn", loss) is sparse_categorical_crossentropy


def is_binary(loss):
    return getattr(loss, "fn", loss) is binary_crossentropy


def serialize(loss):
    if isinstance(loss, Loss):
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": loss.get_config(),
                "registered_name": None}
    return getattr(loss, "__name__", repr(loss))


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return lookup(config, {**_FUNCTIONS, **_CLASSES}, "loss")
    return from_dict(config, _CLASSES, "loss", custom_objects)


def get(identifier):
    """A name (function or class name), a config dict, a Loss instance or any callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
