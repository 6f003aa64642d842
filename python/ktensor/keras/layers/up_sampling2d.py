"""UpSampling2D: enlarges rows and columns by integer factors, "nearest" (repeat) or "bilinear"
(half-pixel centres with edge clamping, as keras.ops.image.resize without antialiasing)."""
import numpy as np

import ktensor as kt

from ._shape_args import check_rank, int_tuple, spatial_axes, standardize_data_format
from .layer import Layer

_INTERPOLATIONS = ("nearest", "bilinear")


def _linear_weights(n, factor, dtype, device):
    """The (n * factor, n) matrix that resizes one axis linearly: row o mixes the two input pixels around
    the source coordinate (o + 0.5) / factor - 0.5, clamped to the edges."""
    out = np.arange(n * factor)
    src = (out + 0.5) / factor - 0.5
    low = np.floor(src)
    frac = src - low
    w = np.zeros((n * factor, n))
    np.add.at(w, (out, np.clip(low, 0, n - 1).astype(int)), 1.0 - frac)
    np.add.at(w, (out, np.clip(low + 1, 0, n - 1).astype(int)), frac)
    with kt.device(device):
        return kt.constant(w.astype(dtype))


def _resize_axis(x, axis, factor):
    """Linear resize of one axis: move it last, multiply by the weight matrix, move it back."""
    nd = x.ndim
    perm = [a for a in range(nd) if a != axis] + [axis]
    inv = [perm.index(a) for a in range(nd)]
    t = kt.transpose(x, perm)
    lead, n = tuple(t.shape[:-1]), t.shape[-1]
    w = _linear_weights(n, factor, x.dtype.name, x.device)
    y = kt.reshape(kt.matmul(kt.reshape(t, (-1, n)), w, transpose_b=True), lead + (n * factor,))
    return kt.transpose(y, inv)


class UpSampling2D(Layer):
    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = f"UpSampling2D '{self.name}'"
        self.size = int_tuple(size, 2, "size", owner)
        self.data_format = standardize_data_format(data_format, owner)
        interpolation = str(interpolation).lower()
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"{owner}: interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        check_rank(inputs.shape, 4, f"UpSampling2D '{self.name}'")
        x = inputs
        if not x.dtype.is_floating and self.interpolation != "nearest":
            x = kt.cast(x, self.dtype)
        for ax, f in zip(spatial_axes(4, self.data_format), self.size):
            if f != 1:
                x = kt.repeat(x, f, axis=ax) if self.interpolation == "nearest" else _resize_axis(x, ax, f)
        return x

    def compute_output_shape(self, input_shape):
        check_rank(input_shape, 4, f"UpSampling2D '{self.name}'")
        out = list(input_shape)
        for ax, f in zip(spatial_axes(4, self.data_format), self.size):
            out[ax] = None if out[ax] is None else out[ax] * f
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}
