"""Permute: reorders the non-batch axes; `dims` is 1-based (Keras), e.g. (2, 1) swaps axes 1 and 2."""
import ktensor as kt

from .layer import Layer


class Permute(Layer):
    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute '{self.name}': dims must be a permutation of 1..{len(dims)} (the batch axis "
                             f"0 is not included), got {dims}")
        self.dims = tuple(int(d) for d in dims)

    def _check(self, shape):
        if len(shape) != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}': dims {self.dims} need inputs of rank {len(self.dims) + 1}, "
                             f"got shape {tuple(shape)}")

    def call(self, inputs):
        self._check(inputs.shape)
        return kt.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
