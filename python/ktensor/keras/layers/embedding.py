"""Embedding: integer indices (batch, ...) -> rows of the `embeddings` matrix (input_dim, output_dim).

With mask_zero, index 0 is padding: compute_mask gives `inputs != 0`, which downstream layers
(RNNs, ...) receive as their `mask`."""
import warnings

import numpy as np

import ktensor as kt

from .. import initializers, regularizers
from ._shape_args import is_int
from .layer import Layer


class Embedding(Layer):
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        for what, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not is_int(v) or v <= 0:
                raise ValueError(f"Embedding '{self.name}': {what} must be a positive integer, got {v!r}")
        if embeddings_constraint is not None:
            raise NotImplementedError(f"Embedding '{self.name}': weight constraints are not supported yet")
        if lora_rank or quantization_config is not None:
            raise NotImplementedError(f"Embedding '{self.name}': LoRA and quantization are not supported")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False  # indices stay integers
        self.embeddings = None
        if weights is not None:
            self._ensure_built(None)
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer, name="embeddings")

    def call(self, inputs):
        if not inputs.dtype.is_integer:
            inputs = kt.cast(inputs, "int32")
        try:
            return kt.gather(self.embeddings, inputs, axis=0)
        except IndexError:
            idx = np.asarray(inputs.numpy()).reshape(-1)  # only on the error path
            bad = idx[(idx < 0) | (idx >= self.input_dim)]
            raise IndexError(f"Embedding '{self.name}': index {int(bad[0]) if bad.size else '?'} is out of range "
                             f"for input_dim={self.input_dim} (indices must be in [0, {self.input_dim}); input "
                             f"shape {tuple(inputs.shape)})") from None

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return kt.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer)
                if self.embeddings_regularizer else None,
                "activity_regularizer": regularizers.serialize(self.activity_regularizer)
                if self.activity_regularizer else None,
                "embeddings_constraint": None, "mask_zero": self.mask_zero, "quantization_config": None}
