"""Masking: masks the time steps whose features all equal `mask_value` (and zeroes them)."""
import ktensor as kt

from .layer import Layer


class Masking(Layer):
    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def compute_mask(self, inputs, mask=None):
        return kt.reduce_any(kt.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = kt.reduce_any(kt.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = inputs * kt.cast(keep, inputs.dtype)
        outputs._keras_mask = kt.squeeze(keep, -1)  # computed with the outputs, so compute_mask is skipped
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
