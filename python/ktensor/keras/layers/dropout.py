"""Dropout: during training, zero each unit with probability `rate` and scale the rest by 1/(1-rate)."""
import ktensor as kt

from .layer import Layer


class Dropout(Layer):
    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(f"Dropout '{self.name}': rate must be a float in [0, 1], got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        self._draws = 0  # a seeded layer draws a new, reproducible mask per call
        self.supports_masking = True

    def _mask_shape(self, inputs):
        if self.noise_shape is None:
            return tuple(inputs.shape)
        if len(self.noise_shape) != inputs.ndim:
            raise ValueError(f"Dropout '{self.name}': noise_shape {self.noise_shape} does not match the input rank "
                             f"{inputs.ndim} (input shape {tuple(inputs.shape)})")
        return tuple(d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return kt.zeros_like(inputs)
        keep = 1.0 - self.rate
        seed = None
        if self.seed is not None:
            self._draws += 1
            seed = hash((self.seed, self._draws)) & ((1 << 63) - 1)
        mask = kt.random.bernoulli(self._mask_shape(inputs), keep, dtype=inputs.dtype, seed=seed,
                                   device=inputs.device)
        return inputs * (mask * (1.0 / keep))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": list(self.noise_shape) if self.noise_shape is not None else None}
