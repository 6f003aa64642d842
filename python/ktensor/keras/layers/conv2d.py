"""Conv2D: activation(conv2d(inputs, kernel) + bias), kernel (kh, kw, in / groups, filters)."""
from ... import nn
from ...ops.conv import conv2d_bias_act
from .base_conv import BaseConv


class Conv2D(BaseConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def convolve(self, x):
        return nn.conv2d(x, self.kernel, self.strides, self.padding, dilations=self.dilation_rate)

    def convolve_bias_act(self, x, bias, name):
        return conv2d_bias_act(x, self.kernel, bias, name, self.strides, self.padding, dilations=self.dilation_rate)
