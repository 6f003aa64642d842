"""AveragePooling1D: the mean (of the valid, unpadded elements) over windows of a (batch, steps, channels) input (or channels_first)."""
from .base_pooling import BasePooling


class AveragePooling1D(BasePooling):
    pool_dimensions = 1
    pool_mode = "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding=padding, data_format=data_format, name=name, **kwargs)
