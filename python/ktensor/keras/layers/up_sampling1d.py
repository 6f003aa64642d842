"""UpSampling1D: repeats each step `size` times along the steps axis of (batch, steps, features)."""
import ktensor as kt

from ._shape_args import check_rank, is_int
from .layer import Layer


class UpSampling1D(Layer):
    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not is_int(size) or size < 1:
            raise ValueError(f"UpSampling1D '{self.name}': size must be a positive integer, got {size!r}")
        self.size = int(size)

    def call(self, inputs):
        check_rank(inputs.shape, 3, f"UpSampling1D '{self.name}'")
        return kt.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 3, f"UpSampling1D '{self.name}'")
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
