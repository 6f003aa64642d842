"""Dense: activation(inputs @ kernel + bias), kernel of shape (input_dim, units)."""
import ktensor as kt

from .. import activations, initializers, regularizers
from ._bias_activation import bias_activation
from .layer import Layer


class Dense(Layer):
    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("quantization_config", None)
        kwargs.pop("lora_rank", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Dense '{self.name}': units must be a positive integer, got {units!r}")
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(f"Dense '{self.name}': weight constraints are not supported yet")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None
        self.supports_masking = True

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"Dense '{self.name}' needs inputs of rank >= 2 with a known last dimension, got "
                             f"shape {input_shape}")
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")

    def call(self, inputs):
        in_dim = self.kernel.shape[0]
        if inputs.ndim < 2 or inputs.shape[-1] != in_dim:
            raise ValueError(f"Dense '{self.name}' expects last input dimension {in_dim}, got shape "
                             f"{tuple(inputs.shape)}")
        if not inputs.dtype.is_floating:
            inputs = kt.cast(inputs, self.dtype)
        if inputs.ndim == 2:
            y = kt.matmul(inputs, self.kernel)
        else:
            lead = tuple(inputs.shape[:-1])
            y = kt.reshape(kt.matmul(kt.reshape(inputs, (-1, in_dim)), self.kernel), lead + (self.units,))
        return bias_activation(y, self.bias if self.use_bias else None, self.activation)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer)
                if self.kernel_regularizer else None,
                "bias_regularizer": regularizers.serialize(self.bias_regularizer) if self.bias_regularizer else None,
                "kernel_constraint": None, "bias_constraint": None}
