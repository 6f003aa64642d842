"""Conv1D: activation(conv1d(inputs, kernel) + bias), kernel (kw, in / groups, filters); padding
'causal' pads (kernel_size - 1) * dilation_rate steps on the left only."""
from ... import nn
from .base_conv import BaseConv


class Conv1D(BaseConv):
    paddings = ("valid", "same", "causal")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)

    def convolve(self, x):
        padding = self.padding
        if padding == "causal":
            padding = [[(self.kernel_size[0] - 1) * self.dilation_rate[0], 0]]
        return nn.conv1d(x, self.kernel, self.strides, padding, dilations=self.dilation_rate)
