"""Nested elements (tuples, lists, dicts of arrays) walked as one structure."""
import numpy as np


def map_structure(fn, s):
    """fn applied to every leaf; tuples stay tuples, dicts stay dicts (lists become tuples, as tf.data)."""
    if isinstance(s, dict):
        return {k: map_structure(fn, v) for k, v in s.items()}
    if isinstance(s, (tuple, list)):
        return tuple(map_structure(fn, v) for v in s)
    return fn(s)


def flatten(s):
    if isinstance(s, dict):
        return [leaf for k in s for leaf in flatten(s[k])]
    if isinstance(s, (tuple, list)):
        return [leaf for v in s for leaf in flatten(v)]
    return [s]


def pack_like(template, leaves):
    """The structure of `template` with the leaves taken in order from `leaves` (an iterator)."""
    if isinstance(template, dict):
        return {k: pack_like(template[k], leaves) for k in template}
    if isinstance(template, (tuple, list)):
        return tuple(pack_like(v, leaves) for v in template)
    return next(leaves)


def to_numpy(value, dtype=None):
    """A host array from a numpy array, a ktensor Tensor, a Python scalar or a nested list."""
    from ..tensor import Tensor

    if isinstance(value, Tensor):
        value = value.numpy()
    arr = np.asarray(value, dtype=dtype)
    if arr.dtype == object:
        raise ValueError("Dataset elements must be arrays of numbers or strings, not ragged or mixed-type data")
    return arr


def stack(elements):
    """One batch from a list of elements of the same structure: each leaf stacked on a new axis 0."""
    template = elements[0]
    columns = zip(*(flatten(e) for e in elements))
    leaves = []
    for i, col in enumerate(columns):
        try:
            leaves.append(np.stack(col))
        except ValueError:
            shapes = sorted({np.shape(c) for c in col})
            raise ValueError(f"Dataset.batch: component {i} has elements of different shapes {shapes}; "
                             "they cannot be stacked into one batch") from None
    return pack_like(template, iter(leaves))
