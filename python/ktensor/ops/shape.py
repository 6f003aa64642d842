"""Shape ops (views where possible) and data movement: reshape, transpose, slicing, concat, gather, pad."""
import numbers

import numpy as np

from .. import _core
from ..autograd import record
from ..autograd import first_order_only
from .core import convert, record_unary, wrap


def reshape(x, shape):
    x = convert(x)
    shape = [int(s) for s in (shape.numpy().tolist() if hasattr(shape, "numpy") else shape)]
    in_shape = list(x._t.shape)
    out = wrap(x._t.reshape(shape))
    return record_unary(out, lambda g: reshape(g, in_shape), x)


def transpose(x, perm=None):
    x = convert(x)
    nd = x.ndim
    perm = list(range(nd))[::-1] if perm is None else [int(p) % nd for p in perm]
    inv = [0] * nd
    for i, p in enumerate(perm):
        inv[p] = i
    out = wrap(x._t.permute(perm))
    return record_unary(out, lambda g: transpose(g, inv), x)


def expand_dims(x, axis):
    x = convert(x)
    shape = list(x._t.shape)
    axis = int(axis)
    if axis < 0:
        axis += len(shape) + 1
    if not 0 <= axis <= len(shape):
        raise IndexError(f"expand_dims: axis {axis} is out of range for a tensor of rank {len(shape)}")
    return reshape(x, shape[:axis] + [1] + shape[axis:])


def squeeze(x, axis=None):
    x = convert(x)
    shape = list(x._t.shape)
    if axis is None:
        new = [s for s in shape if s != 1]
    else:
        axes = [a % len(shape) for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} has size {shape[a]}, not 1 (shape {tuple(shape)})")
        new = [s for i, s in enumerate(shape) if i not in axes]
    return reshape(x, new)


def broadcast_to(x, shape):
    from .core import sum_to_shape

    x = convert(x)
    in_shape = x._t.shape
    out = wrap(x._t.expand([int(s) for s in shape]))
    return record_unary(out, lambda g: sum_to_shape(g, in_shape), x)


def _view_backward(in_shape, dtype, dev, shape, strides, offset):
    """Gradient of a strided view: zeros of the input's shape with g written into the same view."""
    def backward(g):
        first_order_only("slicing")
        z = _core.full(list(in_shape), dtype, dev, 0.0)
        z.as_strided(shape, strides, offset).copy_(g._t)
        return wrap(z)
    return backward


def _basic_index(x, key):
    """Turns ints, slices, None and Ellipsis into one strided view."""
    t = x._t
    base = t.contiguous() if not t.is_contiguous() else t
    shape, strides, offset = list(base.shape), list(base.strides), base.offset
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > len(shape):
        raise IndexError(f"too many indices ({n_real}) for a tensor of rank {len(shape)}")
    if any(k is Ellipsis for k in key):
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_real) + key[i + 1:]
    out_shape, out_strides, dim = [], [], 0
    for k in key:
        if k is None:
            out_shape.append(1)
            out_strides.append(0)
        elif isinstance(k, slice):
            start, stop, step = k.indices(shape[dim])
            n = len(range(start, stop, step))
            offset += start * strides[dim] if n else 0
            out_shape.append(n)
            out_strides.append(strides[dim] * step)
            dim += 1
        else:
            i = int(k)
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {shape[dim]}")
            offset += (i % shape[dim]) * strides[dim]
            dim += 1
    out_shape += shape[dim:]
    out_strides += strides[dim:]
    out = wrap(base.as_strided(out_shape, out_strides, offset))
    if x._node is not None:
        # Re-express the view relative to a fresh contiguous gradient buffer.
        rel = offset - base.offset
        record_unary(out, _view_backward(t.shape, t.dtype, t.device, out_shape, out_strides, rel), x)
    return out


def getitem(x, key):
    x = convert(x)
    if not isinstance(key, tuple):
        key = (key,)
    adv = [i for i, k in enumerate(key) if not (k is None or k is Ellipsis or isinstance(k, (slice, numbers.Integral)))]
    if not adv:
        return _basic_index(x, key)
    if len(adv) > 1:
        raise IndexError("only one tensor/list index per indexing expression is supported")
    i = adv[0]
    idx = key[i]
    if any(k is None or k is Ellipsis for k in key[:i]):
        raise IndexError("a tensor index after None or Ellipsis is not supported")
    idx = convert(idx)
    if idx.dtype.is_bool:
        return boolean_mask(_basic_index(x, key[:i]) if i else x, idx, axis=i)
    sub = _basic_index(x, key[:i] + (slice(None),) + key[i + 1:]) if len(key) > 1 else x
    return gather(sub, idx, axis=i)


def gather(params, indices, axis=0, batch_dims=0):
    """Takes slices along `axis` at `indices` (int tensor of any shape); gradient by scatter-add."""
    if batch_dims:
        raise NotImplementedError("gather: batch_dims is not supported")
    x = convert(params)
    idx = convert(indices)
    if not (idx.dtype.is_integer):
        raise TypeError(f"gather: indices must be integers, got {idx.dtype.name}")
    if idx.device != x.device:
        idx = idx.to(x.device)
    if not -x.ndim <= int(axis) < max(x.ndim, 1):
        raise IndexError(f"gather: axis {axis} is out of range for a tensor of rank {x.ndim}")
    ax = int(axis) % max(x.ndim, 1)
    flat = idx._t.reshape([-1]) if idx.ndim != 1 else idx._t
    out = wrap(_core.take(x._t, flat, ax))
    if idx.ndim != 1:
        shape = list(x._t.shape[:ax]) + list(idx._t.shape) + list(x._t.shape[ax + 1:])
        out = wrap(out._t.reshape(shape))
    dim = x._t.shape[ax]

    def backward(g):
        first_order_only("gather")
        gt = g._t.reshape(list(x._t.shape[:ax]) + [flat.numel] + list(x._t.shape[ax + 1:]))
        return wrap(_core.take_backward(gt, flat, ax, dim))

    return record_unary(out, backward, x)


def boolean_mask(x, mask, axis=0):
    x, mask = convert(x), convert(mask)
    m = np.asarray(mask.numpy()).reshape(-1).astype(bool)
    if x.ndim < axis + mask.ndim:
        raise IndexError(f"boolean_mask: mask of shape {mask.shape} does not fit tensor of shape {x.shape}")
    lead = list(x._t.shape[:axis])
    merged = reshape(x, lead + [-1] + list(x._t.shape[axis + mask.ndim:]))
    return gather(merged, np.nonzero(m)[0].astype(np.int64), axis=axis)


def concat(values, axis=0):
    ts = [convert(v) for v in values]
    if not ts:
        raise ValueError("concat: needs at least one tensor")
    out = wrap(_core.concat([t._t for t in ts], int(axis)))
    if any(t._node is not None for t in ts):
        ax = int(axis) % ts[0].ndim
        sizes = [t._t.shape[ax] for t in ts]

        def backward(g):
            return tuple(split(g, sizes, axis=ax))

        record(out, backward, tuple(ts))
    return out


def stack(values, axis=0):
    ts = [convert(v) for v in values]
    if not ts:
        raise ValueError("stack: needs at least one tensor")
    ax = int(axis)
    if ax < 0:
        ax += ts[0].ndim + 1
    return concat([expand_dims(t, ax) for t in ts], ax)


def unstack(x, axis=0):
    x = convert(x)
    ax = int(axis) % x.ndim
    return [squeeze(p, ax) for p in split(x, x._t.shape[ax], axis=ax)]


def split(value, num_or_size_splits, axis=0):
    """Views of consecutive pieces along `axis` (TF semantics: a count, or a list of sizes)."""
    x = convert(value)
    ax = int(axis) % x.ndim
    n = x._t.shape[ax]
    if isinstance(num_or_size_splits, numbers.Integral):
        k = int(num_or_size_splits)
        if k <= 0 or n % k:
            raise ValueError(f"split: axis {ax} of size {n} cannot be split into {k} equal pieces")
        sizes = [n // k] * k
    else:
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {sizes} do not add up to {n} along axis {ax}")
    pieces, at = [], 0
    for s in sizes:
        key = (slice(None),) * ax + (slice(at, at + s),)
        pieces.append(_basic_index(x, key))
        at += s
    return pieces


def one_hot(indices, depth, on_value=1.0, off_value=0.0, axis=-1, dtype="float32"):
    from ..dtypes import as_dtype

    idx = convert(indices)
    out = wrap(_core.one_hot(idx._t, int(depth), as_dtype(dtype)._core, float(on_value), float(off_value)))
    if axis not in (-1, idx.ndim):
        perm = list(range(idx.ndim))
        perm.insert(axis, idx.ndim)
        out = transpose(out, perm)
    return out


def pad(x, paddings, mode="CONSTANT", constant_values=0):
    if str(mode).upper() != "CONSTANT":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only CONSTANT)")
    x = convert(x)
    pads = [(int(a), int(b)) for a, b in (paddings.numpy().tolist() if hasattr(paddings, "numpy") else paddings)]
    out = wrap(_core.pad(x._t, pads, float(constant_values)))
    key = tuple(slice(a, a + s) for (a, _), s in zip(pads, x._t.shape))
    return record_unary(out, lambda g: _basic_index(g, key), x)


def tile(x, multiples):
    """Repeats x along each axis: a broadcast view made contiguous, then reshaped."""
    x = convert(x)
    reps = [int(m) for m in multiples]
    if len(reps) != x.ndim:
        raise ValueError(f"tile: multiples {reps} must have one entry per axis of shape {x.shape}")
    shape = list(x._t.shape)
    inter = []
    for r, s in zip(reps, shape):
        inter += [1, s]
    expanded = []
    for r, s in zip(reps, shape):
        expanded += [r, s]
    y = broadcast_to(reshape(x, inter), expanded)
    return reshape(y, [r * s for r, s in zip(reps, shape)])


def repeat(x, repeats, axis=None):
    """Repeats each entry `repeats` times along `axis` (numpy/TF repeat with an int count; axis None
    repeats the flattened tensor): a broadcast view of an inserted axis, then merged; the gradient sums
    the copies (broadcast_to's rule)."""
    x = convert(x)
    if isinstance(repeats, bool) or not isinstance(repeats, numbers.Integral) or repeats < 0:
        raise ValueError(f"repeat: repeats must be a non-negative int, got {repeats!r}")
    if axis is None:
        x, axis = reshape(x, [-1]), 0
    if not -x.ndim <= int(axis) < x.ndim:
        raise IndexError(f"repeat: axis {axis} is out of range for a tensor of rank {x.ndim}")
    ax = int(axis) % x.ndim
    shape = list(x._t.shape)
    y = broadcast_to(expand_dims(x, ax + 1), shape[:ax + 1] + [int(repeats)] + shape[ax + 1:])
    return reshape(y, shape[:ax] + [shape[ax] * int(repeats)] + shape[ax + 1:])


def identity(x):
    x = convert(x)
    out = wrap(x._t.clone())
    return record_unary(out, lambda g: g, x)


def flatten(x):
    x = convert(x)
    return reshape(x, [x._t.shape[0], -1] if x.ndim else [1])


def shape(x):
    from .core import convert as _c
    return _c(np.asarray(convert(x)._t.shape, dtype=np.int32))


def rank(x):
    return convert(x).ndim


def size(x):
    return convert(x)._t.numel
