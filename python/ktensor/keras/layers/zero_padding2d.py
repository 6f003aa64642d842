"""ZeroPadding2D: zeros around the rows and columns of an image batch."""
import ktensor as kt

from ._shape_args import check_rank, pairs, spatial_axes, standardize_data_format
from .layer import Layer


class ZeroPadding2D(Layer):
    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"ZeroPadding2D '{self.name}'"
        self.padding = pairs(padding, 2, "padding", owner)  # ((top, bottom), (left, right))
        self.data_format = standardize_data_format(data_format, owner)

    def call(self, inputs):
        check_rank(inputs.shape, 4, f"ZeroPadding2D '{self.name}'")
        pads = [(0, 0)] * 4
        for ax, p in zip(spatial_axes(4, self.data_format), self.padding):
            pads[ax] = p
        return kt.pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 4, f"ZeroPadding2D '{self.name}'")
        out = list(input_shape)
        for ax, p in zip(spatial_axes(4, self.data_format), self.padding):
            out[ax] = None if out[ax] is None else out[ax] + sum(p)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
