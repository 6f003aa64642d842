"""GlobalAveragePooling1D: the mean over the steps of each channel."""
import ktensor as kt

from .base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    pool_dimensions = 1
    pool_mode = "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        # Masked steps are left out of the mean, as in Keras.
        self._check(inputs.shape)
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        steps = 1 if self.data_format == "channels_last" else 2
        keep = kt.cast(kt.expand_dims(kt.cast(mask, "bool"), 2 if steps == 1 else 1), inputs.dtype)
        total = kt.reduce_sum(inputs * keep, steps, keepdims=self.keepdims)
        return total / kt.reduce_sum(keep, steps, keepdims=self.keepdims)
