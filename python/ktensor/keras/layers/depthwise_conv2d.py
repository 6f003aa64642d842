"""DepthwiseConv2D: each input channel convolved with its own depth_multiplier filters; kernel
(kh, kw, in, depth_multiplier), output channel c * depth_multiplier + m (as tf.nn.depthwise_conv2d)."""
from ... import nn
from .. import initializers, regularizers
from .base_conv import BaseConv


class DepthwiseConv2D(BaseConv):
    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, None, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        if not isinstance(depth_multiplier, int) or isinstance(depth_multiplier, bool) or depth_multiplier <= 0:
            raise ValueError(f"{self._who()}: depth_multiplier must be a positive integer, got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier

    def _out_channels(self):
        return self._in_channels * self.depth_multiplier if self.built else None

    def compute_output_shape(self, input_shape):
        _, channels = self._check_input(input_shape)
        shape = list(super().compute_output_shape(input_shape))
        shape[-1 if self.data_format == "channels_last" else 1] = channels * self.depth_multiplier
        return tuple(shape)

    def build(self, input_shape):
        _, channels = self._check_input(input_shape)
        self._in_channels = channels
        self.kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self._add_bias(channels * self.depth_multiplier)

    def convolve(self, x):
        return nn.depthwise_conv2d(x, self.kernel, self.strides, self.padding, dilations=self.dilation_rate)

    def get_config(self):
        base = super().get_config()
        return {**{k: base[k] for k in ("name", "trainable", "dtype")}, "depth_multiplier": self.depth_multiplier,
                **self._base_config(), **self._tail_config(),
                "depthwise_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": base["bias_initializer"],
                "depthwise_regularizer": self._ser_reg(self.kernel_regularizer),
                "bias_regularizer": base["bias_regularizer"], "activity_regularizer": base["activity_regularizer"],
                "depthwise_constraint": None, "bias_constraint": None}
