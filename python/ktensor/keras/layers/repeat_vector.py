"""RepeatVector: (batch, features) -> (batch, n, features), the input repeated n times."""
import ktensor as kt

from ._shape_args import check_rank, is_int
from .layer import Layer


class RepeatVector(Layer):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not is_int(n) or n < 1:
            raise ValueError(f"RepeatVector '{self.name}': n must be a positive integer, got {n!r}")
        self.n = int(n)

    def call(self, inputs):
        check_rank(inputs.shape, 2, f"RepeatVector '{self.name}'")
        b, f = inputs.shape
        return kt.broadcast_to(kt.expand_dims(inputs, 1), (b, self.n, f))

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 2, f"RepeatVector '{self.name}'")
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
