"""The shared part of the global pooling layers (Keras 3 BaseGlobalPooling): a mean or a max over
every spatial axis, kept as size-1 axes when keepdims=True."""
import ktensor as kt

from .base_pooling import standardize_data_format
from .layer import Layer


class BaseGlobalPooling(Layer):
    pool_dimensions = 2
    pool_mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.keepdims = keepdims

    def _check(self, shape):
        shape = tuple(shape)
        n = self.pool_dimensions
        if len(shape) != n + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {n + 2}, got shape {shape}")
        return shape

    def _axes(self):
        n = self.pool_dimensions
        return list(range(1, n + 1)) if self.data_format == "channels_last" else list(range(2, n + 2))

    def build(self, input_shape):
        self._check(input_shape)

    def call(self, inputs):
        self._check(inputs.shape)
        if self.pool_mode == "max":
            return kt.reduce_max(inputs, self._axes(), keepdims=self.keepdims)
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        return kt.reduce_mean(inputs, self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        shape = self._check(input_shape)
        n = self.pool_dimensions
        if self.data_format == "channels_last":
            return (shape[0],) + (1,) * n + (shape[-1],) if self.keepdims else (shape[0], shape[-1])
        return (shape[0], shape[1]) + (1,) * n if self.keepdims else (shape[0], shape[1])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
