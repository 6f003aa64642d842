"""CIFAR-100: 32x32 colour images in 100 fine classes grouped into 20 coarse ones.

Cached as Keras 3 does: the archive as `~/.keras/datasets/cifar-100-python-target_archive`,
unpacked into `~/.keras/datasets/cifar-100-python-target/cifar-100-python/` (the
`datasets/cifar-100-python/` folder of older Keras versions is used too when present).

Source: Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009,
https://www.cs.toronto.edu/~kriz/cifar.html
"""
import os

import numpy as np

from .cifar10 import _batches_dir, load_batch

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode="fine"):
    """Load CIFAR-100: 50,000 training and 10,000 test images.

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 super-classes).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 arrays of shape (n, 32, 32, 3)
        (channels last), `y` int64 arrays of shape (n, 1) with labels 0..99 ("fine") or
        0..19 ("coarse").
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'label_mode must be one of "fine", "coarse". '
                         f"Received: label_mode={label_mode!r}.")
    path = _batches_dir("cifar-100-python-target", "cifar-100-python", ORIGIN,
                        ["train", "test"])
    out = []
    for name in ("train", "test"):
        x, y = load_batch(os.path.join(path, name), label_key=label_mode + "_labels")
        out.append((x.transpose(0, 2, 3, 1), np.asarray(y, dtype=np.int64).reshape(-1, 1)))
    return out[0], out[1]
