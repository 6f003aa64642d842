"""MNIST handwritten digits (downloaded once into the Keras cache, `~/.keras/datasets/`).

License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative work of the
NIST datasets, made available under the Creative Commons Attribution-Share Alike 3.0 license.
"""
import numpy as np

from . import _cache

__all__ = ["load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def load_data(path="mnist.npz"):
    """Load MNIST: 60,000 training and 10,000 test 28x28 grayscale images of the digits 0-9.

    Args:
        path: file name of the cached copy, relative to `~/.keras/datasets`
            (`$KERAS_HOME/datasets` when KERAS_HOME is set).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 arrays of shape (n, 28, 28) with
        values 0..255, `y` uint8 arrays of shape (n,) with labels 0..9.
    """
    fpath = _cache.get_file(path, ORIGIN, hash_key="mnist.npz")
    with np.load(fpath, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)
