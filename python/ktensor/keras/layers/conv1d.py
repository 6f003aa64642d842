"""Conv1D: activation(conv1d(inputs, kernel) + bias), kernel (kw, in / groups, filters); padding
'causal' pads (kernel_size - 1) * dilation_rate steps on the left only."""
from ... import nn
from ...ops.conv import conv1d_bias_act
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

    def _padding(self):
        if self.padding == "causal":
            return [[(self.kernel_size[0] - 1) * self.dilation_rate[0], 0]]
        return self.padding

    def convolve(self, x):
        return nn.conv1d(x, self.kernel, self.strides, self._padding(), dilations=self.dilation_rate)

    def convolve_bias_act(self, x, bias, name):
        return conv1d_bias_act(x, self.kernel, bias, name, self.strides, self._padding(), dilations=self.dilation_rate)
