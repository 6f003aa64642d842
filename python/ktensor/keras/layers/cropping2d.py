"""Cropping2D: drops rows and columns at the borders of an image batch."""
from ._shape_args import check_rank, pairs, spatial_axes, standardize_data_format
from .layer import Layer


class Cropping2D(Layer):
    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"Cropping2D '{self.name}'"
        self.cropping = pairs(cropping, 2, "cropping", owner)  # ((top, bottom), (left, right))
        self.data_format = standardize_data_format(data_format, owner)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 4, f"Cropping2D '{self.name}'")
        out = list(input_shape)
        for ax, c in zip(spatial_axes(4, self.data_format), self.cropping):
            if out[ax] is not None:
                out[ax] -= sum(c)
                if out[ax] <= 0:
                    raise ValueError(f"Cropping2D '{self.name}': cropping {self.cropping} removes all of axis {ax} "
                                     f"of input shape {tuple(input_shape)}")
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        key = [slice(None)] * 4
        for ax, (a, b) in zip(spatial_axes(4, self.data_format), self.cropping):
            key[ax] = slice(a, inputs.shape[ax] - b)
        return inputs[tuple(key)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
