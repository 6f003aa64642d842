"""What the random image layers share: channels_last images (batch, h, w, c) or one image (h, w, c),
augmentation only when training (Keras 3: the call's default is training=True, and fit/evaluate/
predict pass it explicitly), factor parsing, and seeded draws.

Seeding: with `seed`, the layer draws from its own stream (seed, call number), so two layers built
with the same seed give the same sequence of augmentations; without it, draws come from the global
generator, which keras.utils.set_random_seed fixes.
"""
import numbers

import ktensor as kt

from ..layer import Layer


def parse_factor(owner, name, factor, low=-1.0, high=1.0, low_open=False):
    """A number f -> (-|f|, |f|); a pair -> sorted; each bound inside [low, high] (or (low, high])."""
    def check(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or v > high or v < low or (low_open and v == low):
            raise ValueError(f"{owner}: `{name}` should be a number (or a list of two numbers) in the range "
                             f"{'(' if low_open else '['}{low}, {high}]. Received: {name}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{owner}: `{name}` should be a number or a list of two numbers. Received: "
                             f"{name}={factor!r}")
        check(factor[0])
        check(factor[1])
        lo, hi = sorted(float(f) for f in factor)
        return lo, hi
    check(factor)
    return -abs(float(factor)), abs(float(factor))


def standardize_data_format(owner, data_format):
    if data_format in (None, "channels_last"):
        return "channels_last"
    if data_format == "channels_first":
        raise NotImplementedError(f"{owner}: data_format='channels_first' is not supported (use channels_last)")
    raise ValueError(f"{owner}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")


class RandomImageLayer(Layer):
    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"{type(self).__name__} '{self.name}': seed must be an integer or None, got {seed!r}")
        self.seed = seed
        self.data_format = standardize_data_format(f"{type(self).__name__} '{self.name}'", data_format)
        self._draws = 0

    @property
    def _owner(self):
        return f"{type(self).__name__} '{self.name}'"

    def _uniform(self, shape, minval, maxval, device):
        seed = None
        if self.seed is not None:
            self._draws += 1
            seed = hash((self.seed, self._draws)) & ((1 << 63) - 1)
        return kt.random.uniform(shape, minval, maxval, seed=seed, device=device)

    def call(self, inputs, training=True):
        if inputs.ndim not in (3, 4):
            raise ValueError(f"{self._owner}: expected images of rank 3 (one image) or 4 (a batch of images), "
                             f"channels_last. Received: inputs.shape={tuple(inputs.shape)}")
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        if not training:
            return self._inference(inputs)
        single = inputs.ndim == 3
        images = kt.expand_dims(inputs, 0) if single else inputs
        out = self._augment(images)
        return kt.squeeze(out, 0) if single else out

    def _inference(self, inputs):
        return inputs

    def _augment(self, images):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
