"""Normalization: (inputs - mean) / sqrt(variance) per position of `axis` (invert=True undoes it).

mean and variance are given, or computed by `adapt(data)` over every axis but `axis`: from a numpy
array or a tensor at once, or streamed over the batches of a ktensor.data.Dataset / an iterable of
batches (x or (x, y, ...) elements), combining each batch's mean and variance exactly. Adapted
statistics live in the non-trainable weights mean, variance and count (Keras 3 order and shapes).
"""
import itertools
import math

import numpy as np

import ktensor as kt

from ... import backend
from ..layer import Layer


def _first(batch):
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _host(batch):
    return np.asarray(batch.numpy() if isinstance(batch, kt.Tensor) else batch, dtype=np.float64)


class Normalization(Layer):
    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise TypeError(f"Normalization '{self.name}': axis must be an int, a tuple of ints or None, got {axis!r}")
        self.axis = axis
        if (mean is not None) != (variance is not None):
            raise ValueError(f"Normalization '{self.name}': when setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"Normalization '{self.name}': `mean` and `variance` must have the same shape. "
                                 f"Received: mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"Normalization '{self.name}': the rank of `mean` must be less than or equal to "
                                 f"the number of axes ({len(self.axis)}). Received: mean shape {np.shape(mean)} "
                                 f"for axis {self.axis}")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.adapt_mean = self.adapt_variance = self.count = None
        self._adapted = mean is not None
        self._fixed = None  # (mean, variance) tensors of the broadcast shape when given directly

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': all `axis` values must be in the range [-ndim, ndim). "
                             f"Received inputs with ndim={ndim}, while axis={self.axis}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"Normalization '{self.name}': all `axis` values to be kept must have a known "
                                 f"shape. Received axis={self.axis}, inputs.shape={input_shape}, with unknown axis "
                                 f"at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        self._build_input_shape = input_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros", trainable=False)
        else:
            self._fixed = tuple(kt.constant(self._broadcast(v), self.dtype) for v in
                                (self.input_mean, self.input_variance))
        self.built = True

    def _broadcast(self, value):
        """A given mean/variance aligned right-to-left with the kept axes, broadcast to the stats shape."""
        v = np.asarray(value, dtype=np.float64)
        shape = [1] * len(self._broadcast_shape)
        for i in range(1, v.ndim + 1):
            shape[self._keep_axis[-i]] = v.shape[-i]
        try:
            return np.broadcast_to(v.reshape(shape), self._broadcast_shape)
        except ValueError:
            raise ValueError(f"Normalization '{self.name}': mean/variance of shape {v.shape} cannot broadcast to "
                             f"the statistics shape {self._broadcast_shape} (axis={self.axis})") from None

    # -- adapt --
    def adapt(self, data):
        """Computes mean and variance from a numpy array, a tensor, or the batches of a Dataset / iterable."""
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given mean and variance; it cannot be adapted")
        if isinstance(data, (np.ndarray, kt.Tensor)):
            batches = iter([data])
        elif isinstance(data, (list, tuple)) and data and all(np.isscalar(v) for v in data):
            batches = iter([np.asarray(data)])
        elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
            batches = iter(data)
        else:
            raise TypeError(f"Normalization '{self.name}'.adapt: unsupported data type {type(data).__name__}; "
                            "pass a numpy array, a tensor, a ktensor.data.Dataset or an iterable of batches")
        first = next(batches, None)
        if first is None:
            raise ValueError(f"Normalization '{self.name}'.adapt received no batches")
        first = _host(_first(first))
        if not self.built:
            self._ensure_built(tuple(first.shape))
        total_mean = total_var = None
        total = 0
        for batch in itertools.chain([first], (_host(_first(b)) for b in batches)):
            self._check_batch(batch)
            mean = batch.mean(axis=self._reduce_axis)
            var = batch.var(axis=self._reduce_axis)
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if count == 0:
                continue
            if total_mean is None:
                total_mean, total_var, total = mean, var, count
                continue
            # Combine two groups exactly: within-group variances plus the spread of the group means.
            total += count
            w = count / total
            new_mean = total_mean * (1.0 - w) + mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1.0 - w) + (var + (mean - new_mean) ** 2) * w
            total_mean = new_mean
        if total_mean is None:
            raise ValueError(f"Normalization '{self.name}'.adapt received only empty batches")
        self.adapt_mean.assign(total_mean.reshape(self._mean_and_var_shape).astype(np.float32))
        self.adapt_variance.assign(total_var.reshape(self._mean_and_var_shape).astype(np.float32))
        self.count.assign(np.asarray(total, dtype=np.int64))
        self._adapted = True

    def _check_batch(self, batch):
        bad = batch.ndim != len(self._build_input_shape) or any(
            batch.shape[d] != self._build_input_shape[d] for d in self._keep_axis)
        if bad:
            raise ValueError(f"Normalization '{self.name}': the layer was built with input_shape="
                             f"{self._build_input_shape}, but adapt() got data of incompatible shape "
                             f"{tuple(batch.shape)} (axis={self.axis})")

    def set_weights(self, weights):
        super().set_weights(weights)
        self._adapted = True

    def _require_state(self):
        """Before adapt(): a clear error, unless the weights were loaded (they then differ from 0 / 1)."""
        if self._adapted:
            return
        loaded = (np.any(self.adapt_mean.numpy() != 0) or np.any(self.adapt_variance.numpy() != 1)
                  or int(self.count.numpy()) != 0)
        if not loaded:
            raise ValueError(f"Normalization '{self.name}' has no statistics yet: call `adapt(data)` before using "
                             "it, or pass `mean` and `variance` to the constructor")
        self._adapted = True

    # -- call --
    def call(self, inputs):
        x = inputs if inputs.dtype.name == self.dtype else kt.cast(inputs, self.dtype)
        if x.ndim != len(self._broadcast_shape):
            raise ValueError(f"Normalization '{self.name}' was built for inputs of rank {len(self._broadcast_shape)} "
                             f"(shape {self._build_input_shape}), got shape {tuple(x.shape)}")
        if self._fixed is not None:
            mean, variance = (t if t.device == x.device else t.to(x.device) for t in self._fixed)
        else:
            self._require_state()
            mean = kt.reshape(kt.cast(self.adapt_mean, self.dtype), self._broadcast_shape)
            variance = kt.reshape(kt.cast(self.adapt_variance, self.dtype), self._broadcast_shape)
        std = kt.maximum(kt.sqrt(variance), backend.epsilon())
        return mean + x * std if self.invert else (x - mean) / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(), "variance": np.array(self.input_variance).tolist()}
