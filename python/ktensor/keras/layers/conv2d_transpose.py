"""Conv2DTranspose: the gradient of a convolution with respect to its input, used forward;
kernel (kh, kw, filters, in). Output sizes and padding follow Keras 3 (output_padding adds
rows/columns at the bottom/right)."""
from ... import nn
from .base_conv import BaseConv, tuple_arg


def transpose_geometry(size, k, padding, stride, dilation, output_padding):
    """(output length, pad before, pad after) of one axis, the pads being those of the forward
    convolution that maps the output back to the input (Keras' jax/torch convention)."""
    k = (k - 1) * dilation + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        left, right = k - 1, k - 1 + op
    else:
        pad_len = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        left = min(pad_len // 2 + pad_len % 2, k - 1)
        right = pad_len - left
    length = None if size is None else (size - 1) * stride + left + right - k + 2
    return length, k - 1 - left, max(0, k - 1 - right)


class Conv2DTranspose(BaseConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = tuple_arg(self._who(), "output_padding", output_padding, 2, minimum=0)
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(f"{self._who()}: output_padding {self.output_padding} must be smaller than "
                                     f"strides {self.strides}")

    def _geometry(self, i, size):
        op = None if self.output_padding is None else self.output_padding[i]
        return transpose_geometry(size, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i], op)

    def _axis_length(self, size, i):
        return self._geometry(i, size)[0]

    def build(self, input_shape):
        _, channels = self._check_input(input_shape)
        self._in_channels = channels
        self.kernel = self.add_weight(shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self._add_bias(self.filters)

    def convolve(self, x):
        geo = [self._geometry(i, x.shape[1 + i]) for i in range(2)]
        out_shape = [x.shape[0], geo[0][0], geo[1][0], self.filters]
        return nn.conv2d_transpose(x, self.kernel, out_shape, self.strides, [list(g[1:]) for g in geo],
                                   dilations=self.dilation_rate)

    def get_config(self):
        config = super().get_config()
        config.pop("groups")
        out = {}
        for k, v in config.items():  # Keras puts output_padding right after padding
            out[k] = v
            if k == "padding":
                out["output_padding"] = self.output_padding
        return out
