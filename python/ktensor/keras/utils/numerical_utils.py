"""Label encoding helpers."""
import numpy as np


def to_categorical(x, num_classes=None):
    """Integer class vector -> one-hot matrix (a trailing axis of size 1 is dropped first), as Keras."""
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if x.size and not np.all(np.equal(np.mod(x, 1), 0)):
        raise ValueError("to_categorical expects integer class ids, got non-integer values")
    x = x.astype("int64")
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = x.reshape(-1)
    if num_classes is None:
        num_classes = int(flat.max()) + 1 if flat.size else 0
    if flat.size and (flat.min() < 0 or flat.max() >= num_classes):
        raise ValueError(f"to_categorical: class ids must be in [0, {num_classes}), got values in "
                         f"[{flat.min()}, {flat.max()}]")
    out = np.zeros((flat.size, num_classes))
    out[np.arange(flat.size), flat] = 1
    return out.reshape(shape + (num_classes,))
