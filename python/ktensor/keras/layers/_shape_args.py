"""Argument checks the shape layers share: data_format, integer tuples, (before, after) pairs."""
import numbers

from .. import backend


def standardize_data_format(value, owner):
    value = backend.image_data_format() if value is None else value
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{owner}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


def is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def int_tuple(value, n, what, owner, allow_zero=False):
    """An int (repeated n times) or n ints, each >= 1 (>= 0 with allow_zero), as a tuple."""
    items = (value,) * n if is_int(value) else tuple(value) if isinstance(value, (list, tuple)) else None
    low = 0 if allow_zero else 1
    if items is None or len(items) != n or not all(is_int(v) and v >= low for v in items):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{owner}: {what} must be a {kind} int or a tuple of {n} {kind} ints, got {value!r}")
    return tuple(int(v) for v in items)


def pairs(value, n, what, owner):
    """(before, after) amounts for n axes from an int, n ints (symmetric) or n pairs."""
    if is_int(value):
        value = (value,) * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise ValueError(f"{owner}: {what} must be an int, a tuple of {n} ints or a tuple of {n} pairs of ints, "
                         f"got {value!r}")
    return tuple(int_tuple(v, 2, what, owner, allow_zero=True) for v in value)


def check_rank(shape, rank, owner):
    if len(shape) != rank:
        raise ValueError(f"{owner} expects inputs of rank {rank}, got shape {tuple(shape)}")


def spatial_axes(rank, fmt):
    """The axes of the spatial dimensions of a (batch, ..., channels) or (batch, channels, ...) tensor."""
    return list(range(1, rank - 1)) if fmt == "channels_last" else list(range(2, rank))
