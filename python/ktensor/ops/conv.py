"""Convolutions with TensorFlow's names and arguments (tf.nn.conv2d, conv1d, conv2d_transpose,
depthwise_conv2d, separable_conv2d), channels-last, Keras kernel layouts.

All of them run on three native ops: conv2d, its input gradient (which is also the transposed
convolution) and its kernel gradient. Each is linear in both operands and the gradient of each
is made of the other two, so gradients of any order stay native.
"""
import math

from .. import _core
from ..autograd import record
from .bias_act import bias_act_grads, check_activation
from .core import convert, wrap
from .shape import reshape, transpose

# ---- the three differentiable primitives; geom = (strides, pads, dilations, groups) ----


def _conv(x, w, geom):
    out = wrap(_core.conv2d(x._t, w._t, *geom))
    if x._node is not None or w._node is not None:
        def backward(g):
            gx = _conv_input_grad(g, w, x.shape, geom) if x._node is not None else None
            gw = _conv_kernel_grad(x, g, w.shape, geom) if w._node is not None else None
            return gx, gw
        record(out, backward, (x, w))
    return out


def _conv_bias_act(x, w, geom, bias, activation):
    """activation(conv2d(x, w) + bias) in one native op (the bias_act epilogue); its gradient is
    bias_act's, then the convolution's."""
    code = check_activation("conv2d", activation)
    out = wrap(_core.conv2d(x._t, w._t, *geom, bias._t, code))
    y_t, dtype = out._t, out.dtype

    def backward(g):
        dz, dbias = bias_act_grads(g, y_t, dtype, activation)
        gx = _conv_input_grad(dz, w, x.shape, geom) if x._node is not None else None
        gw = _conv_kernel_grad(x, dz, w.shape, geom) if w._node is not None else None
        return gx, gw, dbias
    return record(out, backward, (x, w, bias))


def _conv_input_grad(gy, w, x_shape, geom):
    """The adjoint of conv2d in its input: <result, d> = <gy, conv(d, w)>."""
    out = wrap(_core.conv2d_backward_input(gy._t, w._t, list(x_shape), *geom))
    if gy._node is not None or w._node is not None:
        def backward(d):
            gg = _conv(d, w, geom) if gy._node is not None else None
            gw = _conv_kernel_grad(d, gy, w.shape, geom) if w._node is not None else None
            return gg, gw
        record(out, backward, (gy, w))
    return out


def _conv_kernel_grad(x, gy, w_shape, geom):
    """The adjoint of conv2d in its kernel: <result, d> = <gy, conv(x, d)>."""
    out = wrap(_core.conv2d_backward_kernel(x._t, gy._t, list(w_shape), *geom))
    if x._node is not None or gy._node is not None:
        def backward(d):
            gx = _conv_input_grad(gy, d, x.shape, geom) if x._node is not None else None
            gg = _conv(x, d, geom) if gy._node is not None else None
            return gx, gg
        record(out, backward, (x, gy))
    return out


# ---- argument handling ----


def _ints(op, what, value, n, full_rank=None, last=True):
    """An int or a list of n ints (or of full_rank ints with 1 at batch and channels) -> n ints."""
    if value is None:
        return [1] * n
    if isinstance(value, int) and not isinstance(value, bool):
        vals = [value] * n
    else:
        vals = list(value)
        if len(vals) == 1:
            vals = vals * n
        elif full_rank is not None and len(vals) == full_rank and len(vals) != n:
            spatial = vals[1:-1] if last else vals[2:]
            if vals[0] != 1 or (vals[-1] if last else vals[1]) != 1:
                raise ValueError(f"{op}: {what} over batch and channels must be 1, got {value}")
            vals = spatial
        if len(vals) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            raise ValueError(f"{op}: {what} must be an int or a list of {n} ints, got {value!r}")
    if any(v <= 0 for v in vals):
        raise ValueError(f"{op}: {what} must be positive, got {value!r}")
    return vals


def same_pads(size, k, stride, dilation):
    """TensorFlow's SAME padding of one axis: (before, after), the odd one after."""
    total = max((math.ceil(size / stride) - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _pads(op, padding, sizes, ks, strides, dils):
    """'VALID' / 'SAME' (any case) or explicit [[before, after]] per spatial axis -> flat pads."""
    if isinstance(padding, str):
        p = padding.upper()
        if p == "VALID":
            return [0] * (2 * len(sizes))
        if p == "SAME":
            return [v for i in range(len(sizes)) for v in same_pads(sizes[i], ks[i], strides[i], dils[i])]
        raise ValueError(f"{op}: padding must be 'VALID', 'SAME' or explicit pairs, got {padding!r}")
    pairs = [list(p) for p in padding]
    if len(pairs) == len(sizes) + 2:  # TF's explicit form includes batch and channels
        if any(v != 0 for v in pairs[0] + pairs[-1]):
            raise ValueError(f"{op}: explicit padding of batch and channels must be 0, got {padding}")
        pairs = pairs[1:-1]
    if len(pairs) != len(sizes) or any(len(p) != 2 for p in pairs):
        raise ValueError(f"{op}: explicit padding needs one [before, after] pair per spatial axis, got {padding}")
    return [int(v) for p in pairs for v in p]


def _layout(op, data_format, nd):
    channels_last = {1: "NWC", 2: "NHWC"}[nd]
    channels_first = {1: "NCW", 2: "NCHW"}[nd]
    if data_format in (None, channels_last, "channels_last"):
        return True
    if data_format in (channels_first, "channels_first"):
        return False
    raise ValueError(f"{op}: data_format must be {channels_last!r} or {channels_first!r}, got {data_format!r}")


def _check_rank(op, x, rank, what):
    if x.ndim != rank:
        raise ValueError(f"{op}: {what} must be {rank}-D, got shape {tuple(x.shape)}")


def _to_last(x, last):
    return x if last else transpose(x, [0] + list(range(2, x.ndim)) + [1])


def _to_first(x, last):
    return x if last else transpose(x, [0, x.ndim - 1] + list(range(1, x.ndim - 1)))


def _nhwc_conv(op, x, w, strides, padding, dilations, groups=None, epilogue=None):
    """conv2d of a channels-last x with a (kh, kw, c / groups, oc) kernel; groups from the shapes;
    epilogue (bias, activation name): activation(conv + bias) fused."""
    _check_rank(op, x, 4, "input")
    _check_rank(op, w, 4, "filters")
    if groups is None:
        cin, per = x.shape[3], w.shape[2]
        if per <= 0 or cin % per:
            raise ValueError(f"{op}: input channels ({cin}) must be a multiple of the filters' input channels "
                             f"({per}); input shape {tuple(x.shape)}, filters shape {tuple(w.shape)}")
        groups = cin // per
    pads = _pads(op, padding, x.shape[1:3], w.shape[0:2], strides, dilations)
    geom = (strides, pads, dilations, groups)
    return _conv(x, w, geom) if epilogue is None else _conv_bias_act(x, w, geom, convert(epilogue[0]), epilogue[1])


def _pair(x, y):
    x, y = convert(x), convert(y)
    if x.dtype != y.dtype:
        raise TypeError(f"convolution: input ({x.dtype.name}) and filters ({y.dtype.name}) must have the same dtype")
    return x, y


# ---- the public ops ----


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """tf.nn.conv2d: input (n, h, w, c), filters (kh, kw, c / groups, out); groups follow from the shapes."""
    return _conv2d(input, filters, strides, padding, dilations, _layout("conv2d", data_format, 2))


def conv2d_bias_act(input, filters, bias, activation, strides, padding, dilations=None):
    """activation(conv2d(input, filters) + bias) for channels-last input in one native op, activation
    one of 'linear', 'relu', 'sigmoid', 'tanh': the Conv2D layer's call. Equal to the ops one by one."""
    return _conv2d(input, filters, strides, padding, dilations, True, (bias, activation))


def _conv2d(input, filters, strides, padding, dilations, last, epilogue=None):
    x, w = _pair(input, filters)
    st = _ints("conv2d", "strides", strides, 2, 4, last)
    dil = _ints("conv2d", "dilations", dilations, 2, 4, last)
    _check_rank("conv2d", x, 4, "input")
    if not last and not isinstance(padding, str) and len(padding) == 4:  # NCHW pairs -> spatial pairs
        padding = list(padding)[2:]
    return _to_first(_nhwc_conv("conv2d", _to_last(x, last), w, st, padding, dil, epilogue=epilogue), last)


def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """tf.nn.conv1d: input (n, w, c), filters (kw, c / groups, out); a height-1 conv2d."""
    last = _layout("conv1d", data_format, 1)
    return _conv1d(input, filters, stride, padding, dilations, last)


def conv1d_bias_act(input, filters, bias, activation, stride, padding, dilations=None):
    """activation(conv1d(input, filters) + bias) for channels-last input in one native op: the Conv1D
    layer's call (see conv2d_bias_act)."""
    return _conv1d(input, filters, stride, padding, dilations, True, (bias, activation))


def _conv1d(input, filters, stride, padding, dilations, last, epilogue=None):
    x, w = _pair(input, filters)
    st = _ints("conv1d", "stride", stride, 1, 3, last)
    dil = _ints("conv1d", "dilations", dilations, 1, 3, last)
    _check_rank("conv1d", x, 3, "input")
    _check_rank("conv1d", w, 3, "filters")
    x = _to_last(x, last)
    if not isinstance(padding, str):
        pairs = [list(p) for p in padding]
        padding = [[0, 0], (pairs[1] if len(pairs) == 3 else pairs[0])]
    x4 = reshape(x, [x.shape[0], 1, x.shape[1], x.shape[2]])
    w4 = reshape(w, [1] + list(w.shape))
    y = _nhwc_conv("conv1d", x4, w4, [1] + st, padding, [1] + dil, epilogue=epilogue)
    return _to_first(reshape(y, [y.shape[0], y.shape[2], y.shape[3]]), last)


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC", dilations=None,
                     name=None):
    """tf.nn.conv2d_transpose: the gradient of conv2d with respect to its input, for an input of
    `output_shape`; filters (kh, kw, out_channels, in_channels)."""
    op = "conv2d_transpose"
    x, w = _pair(input, filters)
    last = _layout(op, data_format, 2)
    st = _ints(op, "strides", strides, 2, 4, last)
    dil = _ints(op, "dilations", dilations, 2, 4, last)
    _check_rank(op, x, 4, "input")
    _check_rank(op, w, 4, "filters")
    x = _to_last(x, last)
    out_shape = [int(v) for v in (output_shape.numpy() if hasattr(output_shape, "numpy") else output_shape)]
    if len(out_shape) != 4:
        raise ValueError(f"{op}: output_shape must have 4 entries, got {output_shape}")
    if not last:
        out_shape = [out_shape[0], out_shape[2], out_shape[3], out_shape[1]]
    if out_shape[0] != x.shape[0] or out_shape[3] != w.shape[2] or x.shape[3] != w.shape[3]:
        raise ValueError(f"{op}: output_shape {tuple(out_shape)}, filters shape {tuple(w.shape)} and input shape "
                         f"{tuple(x.shape)} disagree (filters are (height, width, out_channels, in_channels))")
    if not last and not isinstance(padding, str) and len(padding) == 4:
        padding = list(padding)[2:]
    pads = _pads(op, padding, out_shape[1:3], w.shape[0:2], st, dil)
    geom = (st, pads, dil, 1)
    for i in range(2):  # the conv2d of an output_shape image must give the input's size
        k = (w.shape[i] - 1) * dil[i] + 1
        got = (out_shape[1 + i] + pads[2 * i] + pads[2 * i + 1] - k) // st[i] + 1
        if got != x.shape[1 + i]:
            raise ValueError(f"{op}: output_shape {tuple(out_shape)} does not match input shape {tuple(x.shape)} "
                             f"for strides {st}, padding {padding!r} and kernel {tuple(w.shape[:2])}")
    return _to_first(_conv_input_grad(x, w, out_shape, geom), last)


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):
    """tf.nn.depthwise_conv2d: filter (kh, kw, c, multiplier); output channel c * multiplier + m."""
    op = "depthwise_conv2d"
    x, w = _pair(input, filter)
    last = _layout(op, data_format, 2)
    st = _ints(op, "strides", strides, 2, 4, last)
    dil = _ints(op, "dilations", dilations, 2, 4, last)
    _check_rank(op, x, 4, "input")
    _check_rank(op, w, 4, "filter")
    x = _to_last(x, last)
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"{op}: filter shape {tuple(w.shape)} expects {w.shape[2]} input channels, input shape "
                         f"{tuple(x.shape)} has {x.shape[3]}")
    if not last and not isinstance(padding, str) and len(padding) == 4:
        padding = list(padding)[2:]
    kh, kw, c, m = w.shape
    w = reshape(w, [kh, kw, 1, c * m])
    return _to_first(_nhwc_conv(op, x, w, st, padding, dil, groups=c), last)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """tf.nn.separable_conv2d: depthwise_conv2d, then a 1x1 conv2d with pointwise_filter (1, 1, c * m, out)."""
    x = convert(input)
    last = _layout("separable_conv2d", data_format, 2)
    pw = convert(pointwise_filter)
    _check_rank("separable_conv2d", pw, 4, "pointwise_filter")
    if tuple(pw.shape[:2]) != (1, 1):
        raise ValueError(f"separable_conv2d: pointwise_filter must be (1, 1, in, out), got {tuple(pw.shape)}")
    y = depthwise_conv2d(_to_last(x, last), depthwise_filter, strides, padding, dilations=dilations)
    y = _nhwc_conv("separable_conv2d", y, pw, [1, 1], "VALID", [1, 1])
    return _to_first(y, last)
