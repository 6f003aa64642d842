"""Cropping1D: drops steps at the start and end of (batch, steps, features)."""
from ._shape_args import check_rank, int_tuple
from .layer import Layer


class Cropping1D(Layer):
    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = int_tuple(cropping, 2, "cropping", f"Cropping1D '{self.name}'", allow_zero=True)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 3, f"Cropping1D '{self.name}'")
        steps = input_shape[1]
        if steps is not None:
            steps -= sum(self.cropping)
            if steps <= 0:
                raise ValueError(f"Cropping1D '{self.name}': cropping {self.cropping} removes all {input_shape[1]} "
                                 f"steps of input shape {tuple(input_shape)}")
        return (input_shape[0], steps, input_shape[2])

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        a, b = self.cropping
        return inputs[:, a:inputs.shape[1] - b, :]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}
