"""Max and average pooling (native NHWC kernels, TensorFlow's "VALID" / "SAME" padding) and their
gradients. 1-D pooling runs as 2-D pooling with height 1; channels-first layouts are transposed."""
from .. import _core
from ..autograd import first_order_only, state
from .core import convert, record_unary, wrap
from .shape import reshape, transpose

_LAYOUTS = {"NWC": (1, False), "NCW": (1, True), "NHWC": (2, False), "NCHW": (2, True)}


def _wants_grad(x):
    n = x._node
    return n is not None and (state.active > 0 or n.always)


def _sizes(op, value, n, what, channels_first):
    """TensorFlow's ksize / strides argument: an int, or 1, n or n + 2 ints -> n positive ints."""
    vals = [value] if isinstance(value, int) else list(value)
    if not vals or not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        raise TypeError(f"{op}: {what} must be an int or a list of ints, got {value!r}")
    if len(vals) == n + 2:
        outer = (vals[0], vals[1]) if channels_first else (vals[0], vals[-1])
        if outer != (1, 1):
            raise ValueError(f"{op}: {what} {value!r} must be 1 on the batch and channel axes")
        vals = vals[2:] if channels_first else vals[1:-1]
    elif len(vals) == 1:
        vals = vals * n
    elif len(vals) != n:
        raise ValueError(f"{op}: {what} must have 1, {n} or {n + 2} entries, got {value!r}")
    if any(v <= 0 for v in vals):
        raise ValueError(f"{op}: {what} must be positive, got {value!r}")
    return tuple(vals)


def _same(op, padding):
    p = padding.upper() if isinstance(padding, str) else None
    if p not in ("VALID", "SAME"):
        raise ValueError(f"{op}: padding must be 'VALID' or 'SAME', got {padding!r}")
    return p == "SAME"


def output_length(n, k, s, padding):
    """Output size of one pooled axis (None stays None); padding 'valid' or 'same', any case."""
    if n is None:
        return None
    return -(-n // s) if padding.lower() == "same" else (n - k) // s + 1


def _max_nhwc(x, k, s, same):
    want = _wants_grad(x)
    outs = _core.max_pool2d(x._t, list(k), list(s), same, want)
    y = wrap(outs[0])
    if want:
        argmax, shape = outs[1], list(x._t.shape)

        def backward(g):
            first_order_only("max_pool2d")
            return wrap(_core.max_pool2d_backward(g._t, argmax, shape, list(k), list(s), same))

        record_unary(y, backward, x)
    return y


def _avg_nhwc(x, k, s, same):
    y = wrap(_core.avg_pool2d(x._t, list(k), list(s), same))
    shape = list(x._t.shape)
    return record_unary(y, lambda g: _avg_backward(g, shape, k, s, same), x)


def _avg_backward(g, shape, k, s, same):
    dx = wrap(_core.avg_pool2d_backward(g._t, shape, list(k), list(s), same))
    # The backward is linear in g and its adjoint is the pool itself, so it differentiates again.
    return record_unary(dx, lambda gg: _avg_nhwc(gg, k, s, same), g)


def _pool(op, kind, input, ksize, strides, padding, data_format):
    x = convert(input)
    if data_format not in _LAYOUTS:
        raise ValueError(f"{op}: data_format must be one of {', '.join(_LAYOUTS)}, got {data_format!r}")
    n, first = _LAYOUTS[data_format]
    if x.ndim != n + 2:
        raise ValueError(f"{op}: input must be {n + 2}-D ({data_format}), got shape {tuple(x._t.shape)}")
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: input must be float32 or float64, got {x.dtype.name}")
    k, s = _sizes(op, ksize, n, "ksize", first), _sizes(op, strides, n, "strides", first)
    same = _same(op, padding)
    if first:
        x = transpose(x, [0] + list(range(2, n + 2)) + [1])
    spatial = tuple(x._t.shape[1:-1])
    if not same and any(d < w for d, w in zip(spatial, k)):
        raise ValueError(f"{op}: pool size {k} is larger than the input's spatial size {spatial} with 'VALID' "
                         f"padding (input shape {tuple(convert(input)._t.shape)})")
    if n == 1:
        b, w, c = x._t.shape
        x, k, s = reshape(x, [b, 1, w, c]), (1,) + k, (1,) + s
    y = (_max_nhwc if kind == "max" else _avg_nhwc)(x, k, s, same)
    if n == 1:
        y = reshape(y, [y._t.shape[0], y._t.shape[2], y._t.shape[3]])
    if first:
        y = transpose(y, [0, n + 1] + list(range(1, n + 1)))
    return y


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Max over windows of a 4-D NHWC (or NCHW) tensor; the gradient goes to the first maximum."""
    return _pool("max_pool2d", "max", input, ksize, strides, padding, data_format)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Mean over windows of a 4-D tensor; with 'SAME' padding only the valid elements count."""
    return _pool("avg_pool2d", "avg", input, ksize, strides, padding, data_format)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool("max_pool1d", "max", input, ksize, strides, padding, data_format)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    return _pool("avg_pool1d", "avg", input, ksize, strides, padding, data_format)


def _default_format(op, input, data_format):
    nd = convert(input).ndim
    if data_format is None:
        if nd not in (3, 4):
            raise ValueError(f"{op}: 1-D and 2-D pooling (inputs of rank 3 or 4) are supported, got rank {nd}")
        return "NWC" if nd == 3 else "NHWC"
    return data_format


def max_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.max_pool: 1-D or 2-D by the input's rank."""
    fmt = _default_format("max_pool", input, data_format)
    return _pool("max_pool", "max", input, ksize, strides, padding, fmt)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):
    """tf.nn.avg_pool: 1-D or 2-D by the input's rank."""
    fmt = _default_format("avg_pool", input, data_format)
    return _pool("avg_pool", "avg", input, ksize, strides, padding, fmt)
