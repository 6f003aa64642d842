"""keras.metrics: stateful metrics whose state stays on the device.

`update_state` only launches device ops (sums into Variables); nothing is read back to the host
until `result()` is converted, so the trainer reads metrics only when it shows or logs them.
"""
import ktensor as kt

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
        values = kt.cast(kt.convert_to_tensor(values), self.dtype)
        if self.total is None:
            self._build(values.device)
        if sample_weight is None:
            self.total.assign_add(kt.reduce_sum(values))
            self.count.assign_add(float(values.size))
        elif isinstance(sample_weight, (int, float)):  # a weight per value, known on the host
            self.total.assign_add(kt.reduce_sum(values) * float(sample_weight))
            self.count.assign_add(float(values.size) * float(sample_weight))
        else:
            sw = kt.cast(kt.convert_to_tensor(sample_weight), self.dtype)
            values, sw = losses_module.match_rank(values, sw)
            sw = sw * kt.ones_like(values)  # one weight per value
            self.total.assign_add(kt.reduce_sum(values * sw))
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

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


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


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses_module.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses_module.mean_absolute_error, name=name, dtype=dtype)


_CLASSES = {c.__name__: c for c in (Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                                     MeanSquaredError, MeanAbsoluteError)}
_FUNCTIONS = {"accuracy": accuracy, "acc": accuracy, "binary_accuracy": binary_accuracy,
              "categorical_accuracy": categorical_accuracy,
              "sparse_categorical_accuracy": sparse_categorical_accuracy,
              "mean_squared_error": losses_module.mean_squared_error, "mse": losses_module.mean_squared_error,
              "mean_absolute_error": losses_module.mean_absolute_error, "mae": losses_module.mean_absolute_error,
              "binary_crossentropy": losses_module.binary_crossentropy,
              "categorical_crossentropy": losses_module.categorical_crossentropy,
              "sparse_categorical_crossentropy": losses_module.sparse_categorical_crossentropy}


def serialize(metric):
    return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return lookup(config, {**_FUNCTIONS, **_CLASSES}, "metric")
    return from_dict(config, _CLASSES, "metric", custom_objects)


def get(identifier):
    """A name (a per-sample function, or a class name -> a new instance), a dict, an instance, a callable."""
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, Metric) or callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")
