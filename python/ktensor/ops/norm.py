"""Normalization: tf.nn.moments and tf.nn.batch_normalization, and the fused kernels the Keras
layers use (batch norm in training and inference, layer norm), each with its gradient rule.

The native kernels see x as rows [m, c] with the normalized channels (batch norm) or features
(layer norm) last; other layouts are transposed to that one first.
"""
from .. import _core
from ..autograd import first_order_only, record, stop_gradient
from .core import cast, convert, record_unary, wrap
from .math import add, multiply, negative, rsqrt, square, subtract
from .reduce import reduce_mean, reduce_sum
from .shape import broadcast_to, reshape, transpose


def _float(op, x):
    x = convert(x)
    if not x.dtype.is_floating:
        raise TypeError(f"{op}: input must be float32 or float64, got {x.dtype.name}")
    return x


def _axes(op, axes, nd):
    axes = [axes] if isinstance(axes, int) else list(axes)
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(f"{op}: axis {a} is out of range for an input of rank {nd}")
    out = sorted({a % nd for a in axes})
    if len(out) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axes}")
    return out


def _to_last(x, axes):
    """Moves `axes` (sorted) to the end; returns the moved tensor and the inverse permutation."""
    nd = x.ndim
    if axes == list(range(nd - len(axes), nd)):
        return x, None
    perm = [i for i in range(nd) if i not in axes] + axes
    inv = [0] * nd
    for i, p in enumerate(perm):
        inv[p] = i
    return transpose(x, perm), inv


def _param(p, x):
    return None if p is None else cast(convert(p), x.dtype)


def _raw(p):
    return None if p is None else p._t


# ---- moments ----

def moments(x, axes, shift=None, keepdims=False, name=None):
    """Mean and (biased) variance of x over `axes`. `shift` is accepted and unused, as in TF 2."""
    x = convert(x)
    if not x.dtype.is_floating:
        x = cast(x, "float32")
    axes = _axes("moments", axes, x.ndim)
    if x.ndim >= 2 and axes == list(range(x.ndim - 1)):
        mean, var = _channel_moments(x)
        if keepdims:
            shape = [1] * (x.ndim - 1) + [x._t.shape[-1]]
            mean, var = reshape(mean, shape), reshape(var, shape)
        return mean, var
    mean = reduce_mean(x, axes, keepdims=True)
    var = reduce_mean(square(subtract(x, stop_gradient(mean))), axes, keepdims=True)
    if not keepdims:
        shape = [d for i, d in enumerate(x._t.shape) if i not in axes]
        mean, var = reshape(mean, shape), reshape(var, shape)
    return mean, var


def _channel_moments(x):
    """Per-channel moments over all leading axes, by the native two-level reduction."""
    mean_t, var_t = _core.batch_norm_stats(x._t)
    mean, var = wrap(mean_t), wrap(var_t)
    if x._node is not None:
        n = max(x._t.numel // max(x._t.shape[-1], 1), 1)
        shape = x._t.shape
        record_unary(mean, lambda g: broadcast_to(multiply(g, 1.0 / n), shape), x)
        record_unary(var, lambda g: multiply(multiply(g, 2.0 / n), subtract(x, wrap(mean_t))), x)
    return mean, var


# ---- batch normalization ----

def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + epsilon) + offset, the statistics broadcasting against x."""
    x = _float("batch_normalization", x)
    params = [_param(p, x) for p in (mean, variance, offset, scale)]
    c = x._t.shape[-1] if x.ndim else None
    per_channel = x.ndim >= 1 and all(
        p is None or (p.ndim <= x.ndim and p._t.numel == c and (p.ndim == 0 or p._t.shape[-1] == c))
        for p in params)
    if per_channel and params[0] is not None and params[1] is not None:
        m, v, b, g = (None if p is None else reshape(p, [c]) for p in params)
        return _bn_apply(x, m, v, g, b, float(variance_epsilon))
    m, v, b, g = params
    inv = rsqrt(add(v, float(variance_epsilon)))
    if g is not None:
        inv = multiply(inv, g)
    shift = negative(multiply(m, inv)) if b is None else subtract(b, multiply(m, inv))
    return add(multiply(x, inv), shift)


def _bn_apply(x, mean, var, gamma, beta, eps):
    """Native (x - mean) * gamma / sqrt(var + eps) + beta over the last axis; the gradient rule is
    written in ktensor ops, so every input (statistics included) differentiates to any order."""
    y = wrap(_core.batch_norm_apply(x._t, mean._t, var._t, _raw(gamma), _raw(beta), eps))
    inputs = [x, mean, var] + [p for p in (gamma, beta) if p is not None]
    if not any(t._node is not None for t in inputs):
        return y
    lead = list(range(x.ndim - 1))

    def backward(g):
        rs = rsqrt(add(var, eps))
        scale = rs if gamma is None else multiply(rs, gamma)
        gsum = reduce_sum(g, lead) if (mean._node is not None or beta is not None) else None
        need_xc = var._node is not None or gamma is not None
        gxc = reduce_sum(multiply(g, subtract(x, mean)), lead) if need_xc else None
        out = [multiply(g, scale) if x._node is not None else None,
               negative(multiply(gsum, scale)) if mean._node is not None else None,
               multiply(multiply(gxc, scale), multiply(square(rs), -0.5)) if var._node is not None else None]
        if gamma is not None:
            out.append(multiply(gxc, rs) if gamma._node is not None else None)
        if beta is not None:
            out.append(gsum if beta._node is not None else None)
        return out

    return record(y, backward, inputs)


def batch_norm_training(x, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Batch norm with the batch's statistics over every axis but `axis`, in fused kernels.

    Returns (y, mean, variance): the variance is biased, and both statistics are plain values
    (no gradient flows through them; y's gradient accounts for them)."""
    x = _float("batch_norm_training", x)
    ax = _axes("batch_norm_training", [axis], x.ndim)[0]
    if ax != x.ndim - 1:
        xt, inv = _to_last(x, [ax])
        y, mean, var = batch_norm_training(xt, gamma, beta, epsilon, -1)
        return transpose(y, inv), mean, var
    gamma, beta, eps = _param(gamma, x), _param(beta, x), float(epsilon)
    mean_t, var_t = _core.batch_norm_stats(x._t)
    gamma_t = _raw(gamma)
    y = wrap(_core.batch_norm_apply(x._t, mean_t, var_t, gamma_t, _raw(beta), eps))
    inputs = [x] + [p for p in (gamma, beta) if p is not None]

    def backward(g):
        first_order_only("batch_norm_training")
        dx, dgamma, dbeta = _core.batch_norm_backward(x._t, g._t, mean_t, var_t, gamma_t, eps)
        out = [wrap(dx)]
        if gamma is not None:
            out.append(wrap(dgamma))
        if beta is not None:
            out.append(wrap(dbeta))
        return out

    record(y, backward, inputs)
    return y, wrap(mean_t), wrap(var_t)


def batch_norm_inference(x, mean, variance, gamma=None, beta=None, epsilon=1e-3, axis=-1):
    """Batch norm with given statistics (the moving ones) over channel axis `axis`."""
    x = _float("batch_norm_inference", x)
    ax = _axes("batch_norm_inference", [axis], x.ndim)[0]
    xt, inv = _to_last(x, [ax])
    m, v, g, b = (_param(p, x) for p in (mean, variance, gamma, beta))
    y = _bn_apply(xt, m, v, g, b, float(epsilon))
    return y if inv is None else transpose(y, inv)


# ---- layer normalization ----

def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None):
    """(x - mean) / sqrt(var + epsilon) * gamma + beta with statistics over `axis` (an int or a
    list); gamma and beta have the shape of those axes. epsilon None means keras.backend.epsilon()."""
    x = _float("layer_normalization", x)
    axes = _axes("layer_normalization", axis, x.ndim)
    if not axes:
        raise ValueError("layer_normalization: needs at least one axis")
    eps = 1e-7 if epsilon is None else float(epsilon)
    xt, inv = _to_last(x, axes)
    feat = [x._t.shape[a] for a in axes]
    gamma, beta = _param(gamma, x), _param(beta, x)
    for what, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and list(p._t.shape) != feat:
            raise ValueError(f"layer_normalization: {what} must have the shape of the normalized axes "
                             f"{tuple(feat)}, got {tuple(p._t.shape)} (input shape {tuple(x._t.shape)})")
    y = _layer_norm(xt, gamma, beta, x.ndim - len(axes), eps)
    return y if inv is None else transpose(y, inv)


def _layer_norm(x, gamma, beta, begin, eps):
    gamma_t = _raw(gamma)
    y_t, mean_t, rstd_t = _core.layer_norm(x._t, gamma_t, _raw(beta), begin, eps)
    y = wrap(y_t)
    inputs = [x] + [p for p in (gamma, beta) if p is not None]

    def backward(g):
        first_order_only("layer_normalization")
        dx, dgamma, dbeta = _core.layer_norm_backward(x._t, g._t, mean_t, rstd_t, gamma_t, begin)
        out = [wrap(dx)]
        if gamma is not None:
            out.append(wrap(dgamma))
        if beta is not None:
            out.append(wrap(dbeta))
        return out

    return record(y, backward, inputs)
