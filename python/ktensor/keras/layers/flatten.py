"""Flatten: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
import math

import ktensor as kt

from .layer import Layer


class Flatten(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"Flatten '{self.name}': data_format must be 'channels_last' or 'channels_first', "
                             f"got {data_format!r}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = kt.transpose(inputs, [0] + list(range(2, inputs.ndim)) + [1])
        return kt.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = tuple(input_shape)[1:]
        return (input_shape[0], None if any(d is None for d in rest) else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
