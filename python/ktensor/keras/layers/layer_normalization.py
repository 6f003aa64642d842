"""LayerNormalization (Keras 3): normalizes each sample over `axis` (an int or a list of axes) with
its own mean and variance, then applies gamma and beta (weights of the normalized axes' shape)."""
import ktensor as kt
from ktensor.ops import norm

from .. import initializers, regularizers
from .layer import Layer


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        if rms_scaling:
            raise NotImplementedError(f"LayerNormalization '{self.name}': rms_scaling=True (deprecated in Keras) is not supported")
        if isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis) \
                and axis:
            self.axis = sorted(int(a) for a in axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"LayerNormalization '{self.name}': axis must be an int or a non-empty list of ints, "
                            f"got {axis!r}")
        if beta_constraint is not None or gamma_constraint is not None:
            raise NotImplementedError(f"LayerNormalization '{self.name}': weight constraints are not supported yet")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = False
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None
        self._rank = None

    def _axes(self, shape):
        shape = tuple(shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(shape) <= a < len(shape):
                raise ValueError(f"LayerNormalization '{self.name}': axis {a} is out of range for inputs of rank "
                                 f"{len(shape)} (shape {shape})")
        out = [a % len(shape) for a in axes]
        if len(set(out)) != len(out):
            raise ValueError(f"LayerNormalization '{self.name}': axis {self.axis} repeats an axis of inputs of rank "
                             f"{len(shape)}")
        return sorted(out)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"LayerNormalization '{self.name}': the normalized axes {self.axis} must have known "
                             f"sizes, got input shape {input_shape}")
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, trainable=True)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, trainable=True)
        self._rank = len(input_shape)
        self._shape = shape

    def call(self, inputs):
        axes = self._axes(inputs.shape)
        got = tuple(inputs.shape[a] for a in axes)
        if inputs.ndim != self._rank or got != self._shape:
            raise ValueError(f"LayerNormalization '{self.name}' was built for inputs of rank {self._rank} with "
                             f"normalized axes of sizes {self._shape}, got shape {tuple(inputs.shape)}")
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        return norm.layer_normalization(inputs, self.gamma, self.beta, axis=axes, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        self._axes(input_shape)
        return tuple(input_shape)

    def get_config(self):
        def reg(r):
            return regularizers.serialize(r) if r else None

        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": reg(self.beta_regularizer), "gamma_regularizer": reg(self.gamma_regularizer),
                "beta_constraint": None, "gamma_constraint": None}
