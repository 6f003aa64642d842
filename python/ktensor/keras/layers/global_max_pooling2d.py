"""GlobalMaxPooling2D: the maximum over the rows and columns of each channel."""
from .base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling2D(BaseGlobalPooling):
    pool_dimensions = 2
    pool_mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
