"""ZeroPadding1D: zeros before and after the steps axis of (batch, steps, features)."""
import ktensor as kt

from ._shape_args import check_rank, int_tuple, standardize_data_format
from .layer import Layer


class ZeroPadding1D(Layer):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = int_tuple(padding, 2, "padding", f"ZeroPadding1D '{self.name}'", allow_zero=True)
        self.data_format = standardize_data_format(data_format, f"ZeroPadding1D '{self.name}'")

    def _axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        check_rank(inputs.shape, 3, f"ZeroPadding1D '{self.name}'")
        pads = [(0, 0)] * 3
        pads[self._axis()] = self.padding
        return kt.pad(inputs, pads)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 3, f"ZeroPadding1D '{self.name}'")
        out = list(input_shape)
        ax = self._axis()
        out[ax] = None if out[ax] is None else out[ax] + sum(self.padding)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
