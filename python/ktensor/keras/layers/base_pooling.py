"""The shared part of MaxPooling1D/2D and AveragePooling1D/2D (Keras 3 BasePooling)."""
import ktensor as kt
from ktensor.ops.pool import output_length

from .. import backend
from .layer import Layer


def standardize_tuple(layer, value, n, what):
    """An int or a tuple of n ints -> a tuple of n positive ints, naming the layer on error."""
    vals = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
    ok = isinstance(vals, (tuple, list)) and len(vals) == n and all(
        isinstance(v, int) and not isinstance(v, bool) for v in vals)
    if not ok:
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {what} must be an int or a tuple of {n} ints, "
                         f"got {value!r}")
    if any(v <= 0 for v in vals):
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {what} must be positive, got {value!r}")
    return tuple(vals)


def standardize_data_format(layer, data_format):
    fmt = backend.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{type(layer).__name__} '{layer.name}': data_format must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    return fmt


class BasePooling(Layer):
    pool_dimensions = 2
    pool_mode = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        n = self.pool_dimensions
        self.pool_size = standardize_tuple(self, pool_size, n, "pool_size")
        self.strides = standardize_tuple(self, pool_size if strides is None else strides, n, "strides")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} '{self.name}': padding must be 'valid' or 'same', got "
                             f"{padding!r}")
        self.padding = padding.lower()
        self.data_format = standardize_data_format(self, data_format)

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _check(self, shape):
        shape = tuple(shape)
        n = self.pool_dimensions
        if len(shape) != n + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {n + 2} (batch, "
                             f"{'spatial, ' * n}channels), got shape {shape}")
        spatial = self._spatial(shape)
        if self.padding == "valid" and any(d is not None and d < k for d, k in zip(spatial, self.pool_size)):
            raise ValueError(f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} is larger than the "
                             f"input's spatial size {spatial} with padding 'valid' (input shape {shape})")
        return shape

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        self._check(inputs.shape)
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        fn = kt.nn.max_pool if self.pool_mode == "max" else kt.nn.avg_pool
        fmt = {(1, True): "NWC", (1, False): "NCW", (2, True): "NHWC", (2, False): "NCHW"}[
            (self.pool_dimensions, self.data_format == "channels_last")]
        return fn(inputs, self.pool_size, self.strides, self.padding.upper(), data_format=fmt)

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        out = tuple(output_length(d, k, s, self.padding)
                    for d, k, s in zip(self._spatial(shape), self.pool_size, self.strides))
        if self.data_format == "channels_last":
            return (shape[0],) + out + (shape[-1],)
        return (shape[0], shape[1]) + out

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}
