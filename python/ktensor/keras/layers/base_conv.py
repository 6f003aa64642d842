"""What the convolution layers share (Keras 3 BaseConv): argument checks, shapes, bias and
activation, channels_first by transposition, and the common config keys."""
import ktensor as kt

from .. import activations, backend, initializers, regularizers
from ._bias_activation import bias_activation, fused_name
from .layer import Layer

_AXES = {1: "(batch, steps, channels)", 2: "(batch, height, width, channels)"}
_AXES_FIRST = {1: "(batch, channels, steps)", 2: "(batch, channels, height, width)"}


def tuple_arg(layer, what, value, rank, minimum=1):
    """An int or a sequence of `rank` ints -> a tuple, checked (ValueError naming the layer)."""
    vals = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(vals) != rank or not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        raise ValueError(f"{layer}: {what} must be an int or a tuple of {rank} ints, got {value!r}")
    if any(v < minimum for v in vals):
        raise ValueError(f"{layer}: {what} must be >= {minimum}, got {value!r}")
    return vals


def conv_output_length(size, k, padding, stride, dilation):
    """Keras' output length of one spatial axis (None stays None)."""
    if size is None:
        return None
    k = (k - 1) * dilation + 1
    if padding == "valid":
        return (size - k) // stride + 1
    return (size - 1) // stride + 1  # same, causal


class BaseConv(Layer):
    rank = 2
    paddings = ("valid", "same")

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        who = self._who()
        if filters is not None and (not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0):
            raise ValueError(f"{who}: filters must be a positive integer, got {filters!r}")
        if not isinstance(groups, int) or groups <= 0:
            raise ValueError(f"{who}: groups must be a positive integer, got {groups!r}")
        if filters is not None and filters % groups:
            raise ValueError(f"{who}: filters ({filters}) must be divisible by groups ({groups})")
        if kernel_constraint is not None or bias_constraint is not None:
            raise NotImplementedError(f"{who}: weight constraints are not supported yet")
        self.filters = filters
        self.groups = groups
        self.kernel_size = tuple_arg(who, "kernel_size", kernel_size, rank)
        self.strides = tuple_arg(who, "strides", strides, rank)
        self.dilation_rate = tuple_arg(who, "dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{who}: strides > 1 is not supported together with dilation_rate > 1, got "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = padding.lower() if isinstance(padding, str) else padding
        if self.padding not in self.paddings:
            raise ValueError(f"{who}: padding must be one of {self.paddings}, got {padding!r}")
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{who}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    # -- shapes --
    def _check_input(self, shape):
        """Rank and (once built) channels of an input shape; returns the channels-last spatial sizes and channels."""
        shape = tuple(shape)
        axes = _AXES if self.data_format == "channels_last" else _AXES_FIRST
        if len(shape) != self.rank + 2:
            raise ValueError(f"{self._who()} expects {self.rank + 2}-D input {axes[self.rank]}, got shape {shape}")
        last = self.data_format == "channels_last"
        channels = shape[-1] if last else shape[1]
        spatial = shape[1:-1] if last else shape[2:]
        if channels is None:
            raise ValueError(f"{self._who()}: the channel dimension of the input must be known, got shape {shape}")
        if self.built and channels != self._in_channels:
            raise ValueError(f"{self._who()} was built for {self._in_channels} input channels, got shape {shape}")
        return spatial, channels

    def _spatial_out(self, spatial):
        out = []
        for i, size in enumerate(spatial):
            n = self._axis_length(size, i)
            if n is not None and n <= 0:
                raise ValueError(f"{self._who()}: the kernel {self.kernel_size} (dilation {self.dilation_rate}) is "
                                 f"larger than the {self.padding}-padded input of spatial shape {tuple(spatial)}")
            out.append(n)
        return out

    def _axis_length(self, size, i):
        return conv_output_length(size, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i])

    def _out_channels(self):
        return self.filters

    def compute_output_shape(self, input_shape):
        spatial, _ = self._check_input(input_shape)
        out = tuple(self._spatial_out(spatial))
        batch = tuple(input_shape)[0]
        if self.data_format == "channels_last":
            return (batch,) + out + (self._out_channels(),)
        return (batch, self._out_channels()) + out

    # -- weights --
    def _add_bias(self, n):
        if self.use_bias:
            self.bias = self.add_weight(shape=(n,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, name="bias")

    def build(self, input_shape):
        _, channels = self._check_input(input_shape)
        if channels % self.groups:
            raise ValueError(f"{self._who()}: input channels ({channels}) must be divisible by groups "
                             f"({self.groups}); input shape {tuple(input_shape)}")
        self._in_channels = channels
        self.kernel = self.add_weight(shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self._add_bias(self.filters)

    # -- computation --
    def call(self, inputs):
        spatial, _ = self._check_input(inputs.shape)
        self._spatial_out(spatial)
        if not inputs.dtype.is_floating or inputs.dtype.name != self.kernel.dtype.name:
            inputs = kt.cast(inputs, self.kernel.dtype)
        last = self.data_format == "channels_last"
        x = inputs if last else kt.transpose(inputs, [0] + list(range(2, self.rank + 2)) + [1])
        bias = self.bias if self.use_bias else None
        name = fused_name(bias, self.activation, x.dtype)
        y = self.convolve_bias_act(x, bias, name) if name is not None else None
        if y is None:
            y = bias_activation(self.convolve(x), bias, self.activation)
        return y if last else kt.transpose(y, [0, self.rank + 1] + list(range(1, self.rank + 1)))

    def convolve(self, x):
        """The convolution of a channels-last input (without bias and activation)."""
        raise NotImplementedError

    def convolve_bias_act(self, x, bias, name):
        """bias_act `name` of convolve(x) + bias in one op, or None where the layer has no such op."""
        return None

    # -- config --
    def _base_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "data_format": self.data_format, "dilation_rate": self.dilation_rate}

    def _tail_config(self):
        return {"activation": activations.serialize(self.activation), "use_bias": self.use_bias}

    @staticmethod
    def _ser_reg(r):
        return regularizers.serialize(r) if r else None

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._base_config(), "groups": self.groups,
                **self._tail_config(), "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": self._ser_reg(self.kernel_regularizer),
                "bias_regularizer": self._ser_reg(self.bias_regularizer),
                "activity_regularizer": self._ser_reg(self.activity_regularizer),
                "kernel_constraint": None, "bias_constraint": None}
