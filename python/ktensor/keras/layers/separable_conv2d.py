"""SeparableConv2D: a depthwise convolution (depthwise_kernel (kh, kw, in, depth_multiplier))
followed by a 1x1 convolution (pointwise_kernel (1, 1, in * depth_multiplier, filters)), then bias
and activation, as tf.nn.separable_conv2d."""
from ... import nn
from .. import initializers, regularizers
from .base_conv import BaseConv


class SeparableConv2D(BaseConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation, use_bias,
                         depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        if pointwise_constraint is not None:
            raise NotImplementedError(f"{self._who()}: weight constraints are not supported yet")
        if not isinstance(depth_multiplier, int) or isinstance(depth_multiplier, bool) or depth_multiplier <= 0:
            raise ValueError(f"{self._who()}: depth_multiplier must be a positive integer, got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_kernel = self.pointwise_kernel = None

    def build(self, input_shape):
        _, channels = self._check_input(input_shape)
        self._in_channels = channels
        self.depthwise_kernel = self.add_weight(shape=self.kernel_size + (channels, self.depth_multiplier),
                                                initializer=self.kernel_initializer,
                                                regularizer=self.kernel_regularizer, name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(shape=(1, 1, channels * self.depth_multiplier, self.filters),
                                                initializer=self.pointwise_initializer,
                                                regularizer=self.pointwise_regularizer, name="pointwise_kernel")
        self.kernel = self.depthwise_kernel  # BaseConv.call reads the compute dtype from it
        self._add_bias(self.filters)

    def convolve(self, x):
        return nn.separable_conv2d(x, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
                                   dilations=self.dilation_rate)

    def get_config(self):
        base = super().get_config()
        return {**{k: base[k] for k in ("name", "trainable", "dtype")}, "depth_multiplier": self.depth_multiplier,
                "filters": self.filters, **self._base_config(), **self._tail_config(),
                "depthwise_initializer": initializers.serialize(self.kernel_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "bias_initializer": base["bias_initializer"],
                "depthwise_regularizer": self._ser_reg(self.kernel_regularizer),
                "pointwise_regularizer": self._ser_reg(self.pointwise_regularizer),
                "bias_regularizer": base["bias_regularizer"], "activity_regularizer": base["activity_regularizer"],
                "depthwise_constraint": None, "pointwise_constraint": None, "bias_constraint": None}
