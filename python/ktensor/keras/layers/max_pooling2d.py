"""MaxPooling2D: the maximum over windows of a (batch, rows, cols, channels) input (or channels_first)."""
from .base_pooling import BasePooling


class MaxPooling2D(BasePooling):
    pool_dimensions = 2
    pool_mode = "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding=padding, data_format=data_format, name=name, **kwargs)
