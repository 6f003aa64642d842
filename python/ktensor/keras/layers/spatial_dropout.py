"""SpatialDropout1D / 2D: Dropout of whole channels (feature maps), one draw per (sample, channel).
Identity in inference; seeded layers repeat their masks (Dropout's ktensor.random draws)."""
from ._shape_args import check_rank, standardize_data_format
from .dropout import Dropout


class _SpatialDropout(Dropout):
    _rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)

    def _channels_axis(self):
        return self._rank - 1

    def _mask_shape(self, inputs):
        check_rank(inputs.shape, self._rank, f"{type(self).__name__} '{self.name}'")
        shape = [1] * self._rank
        shape[0] = inputs.shape[0]
        ch = self._channels_axis()
        shape[ch] = inputs.shape[ch]
        return tuple(shape)

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, self._rank, f"{type(self).__name__} '{self.name}'")
        return tuple(input_shape)

    def get_config(self):  # Keras 3 writes only these
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Inputs (batch, steps, channels); noise shape (batch, 1, channels)."""
    _rank = 3


class SpatialDropout2D(_SpatialDropout):
    """Inputs (batch, rows, cols, channels) or channels_first; noise shape (batch, 1, 1, channels)."""
    _rank = 4

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = standardize_data_format(data_format, f"SpatialDropout2D '{self.name}'")

    def _channels_axis(self):
        return 1 if self.data_format == "channels_first" else 3

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
