"""Reshape: (batch, ...) -> (batch, *target_shape); one entry of target_shape may be -1 (inferred)."""
import math

import ktensor as kt

from ._shape_args import is_int
from .layer import Layer


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = (target_shape,) if is_int(target_shape) else tuple(target_shape)
        if not all(is_int(d) and (d > 0 or d == -1) for d in target) or target.count(-1) > 1:
            raise ValueError(f"Reshape '{self.name}': target_shape must be positive ints with at most one -1, got "
                             f"{target_shape!r}")
        self.target_shape = tuple(int(d) for d in target)

    def _resolve(self, dims):
        """target_shape with -1 filled in from the non-batch input dims (None where unknown)."""
        known = math.prod(d for d in self.target_shape if d != -1)
        if any(d is None for d in dims):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(dims)
        if -1 in self.target_shape:
            if total % known:
                raise ValueError(f"Reshape '{self.name}': cannot reshape input dims {tuple(dims)} ({total} values) "
                                 f"into target_shape {self.target_shape}")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if total != known:
            raise ValueError(f"Reshape '{self.name}': input dims {tuple(dims)} ({total} values) do not match "
                             f"target_shape {self.target_shape} ({known} values)")
        return self.target_shape

    def call(self, inputs):
        return kt.reshape(inputs, (inputs.shape[0],) + self._resolve(tuple(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape)[1:])

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}
