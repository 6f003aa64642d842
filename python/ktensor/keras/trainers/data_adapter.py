"""Turning user data (numpy arrays, nested lists, ktensor tensors) into batches on the model's device.

The arrays are converted and moved to the device once per fit/evaluate/predict call; a batch is
then a slice (a view) or, when shuffling, a gather with an index tensor uploaded once per epoch.
"""
import math

import numpy as np

import ktensor as kt

from .. import backend


def standardize(data, name):
    """numpy array or ktensor Tensor with a batch axis; floats become floatx."""
    if data is None:
        return None
    if isinstance(data, kt.Tensor):
        if data.ndim == 0:
            raise ValueError(f"{name} must have a batch axis, got a scalar")
        return kt.cast(data, backend.floatx()) if data.dtype.is_floating else data
    if isinstance(data, dict) or (isinstance(data, (list, tuple)) and data and
                                  all(isinstance(d, (np.ndarray, kt.Tensor)) for d in data)):
        raise NotImplementedError(f"{name}: several input/output arrays (lists or dicts) are not supported yet")
    if not isinstance(data, np.ndarray):
        if not isinstance(data, (list, tuple)) and not hasattr(data, "__array__"):
            raise TypeError(f"{name}: expected a numpy array, a (nested) list or a ktensor Tensor, got "
                            f"{type(data).__name__}")
        try:
            data = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"{name}: cannot make an array from the given data ({e})") from None
    if data.dtype == object:
        raise ValueError(f"{name}: ragged or mixed-type data cannot be made into an array")
    if data.ndim == 0:
        raise ValueError(f"{name} must have a batch axis, got a scalar")
    if data.dtype.kind == "f" and data.dtype != np.dtype(backend.floatx()):
        data = data.astype(backend.floatx())
    return data


def check_lengths(**arrays):
    """All arrays must have the same number of samples; returns that number."""
    sizes = {k: int(v.shape[0]) for k, v in arrays.items() if v is not None}
    if len(set(sizes.values())) > 1:
        detail = " but ".join(f"{k} has {n}" for k, n in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: {detail} samples. Make sure all arrays contain the same "
                         "number of samples.")
    return next(iter(sizes.values()))


def split(arrays, validation_split):
    """(train arrays, validation arrays): the last `validation_split` fraction is held out, as in Keras."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    n = check_lengths(**{f"array_{i}": a for i, a in enumerate(arrays)})
    at = int(math.floor(n * (1.0 - validation_split)))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples out of {n}")
    return (tuple(None if a is None else a[:at] for a in arrays),
            tuple(None if a is None else a[at:] for a in arrays))


def to_device(data, device):
    if data is None:
        return None
    if isinstance(data, kt.Tensor):
        return data if data.device == device else data.to(device)
    with kt.device(device):
        return kt.convert_to_tensor(np.ascontiguousarray(data))


class ArrayData:
    """Fixed arrays (x, y, sample_weight; any may be None) as device tensors, served in batches."""

    def __init__(self, arrays, batch_size, device):
        self.size = check_lengths(**{n: a for n, a in zip(("x", "y", "sample_weight"), arrays)})
        if self.size == 0:
            raise ValueError("Expected at least one sample, got empty arrays")
        self.batch_size = batch_size
        self.device = device
        self.tensors = tuple(to_device(a, device) for a in arrays)

    @property
    def num_batches(self):
        return -(-self.size // self.batch_size)

    def batches(self, order=None):
        """Yields tuples of device tensors; `order` is a permutation of the samples (numpy) or None."""
        index = None
        if order is not None:
            with kt.device(self.device):
                index = kt.convert_to_tensor(np.asarray(order, dtype=np.int32))
        for start in range(0, self.size, self.batch_size):
            stop = min(start + self.batch_size, self.size)
            if index is None:
                yield tuple(None if t is None else t[start:stop] for t in self.tensors)
            else:
                sel = index[start:stop]
                yield tuple(None if t is None else kt.gather(t, sel) for t in self.tensors)


def unpack_validation(validation_data):
    """(x_val, y_val) or (x_val, y_val, sample_weight_val)."""
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), got "
                         f"{type(validation_data).__name__}")
    x, y = validation_data[0], validation_data[1]
    sw = validation_data[2] if len(validation_data) == 3 else None
    return x, y, sw
