"""CIFAR-10: 32x32 colour images in 10 classes (downloaded once into the Keras cache).

The archive is kept as `~/.keras/datasets/cifar-10-batches-py-target_archive` and unpacked
into `~/.keras/datasets/cifar-10-batches-py-target/cifar-10-batches-py/`, the layout of
Keras 3; the `~/.keras/datasets/cifar-10-batches-py/` folder left by older Keras versions is
used too when present. Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
6 frog, 7 horse, 8 ship, 9 truck.

Source: Alex Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009,
https://www.cs.toronto.edu/~kriz/cifar.html
"""
import codecs
import os
import pickle

import numpy as np

from . import _cache

__all__ = ["load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_DIRNAME = "cifar-10-batches-py-target"
_INNER = "cifar-10-batches-py"
_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles the CIFAR batch files (dicts of lists, bytes and numpy arrays) and nothing
    else, so a tampered cache cannot run code."""

    _reconstruct = np.ndarray.__reduce__(np.zeros(0))[0]
    _allowed = {("numpy.core.multiarray", "_reconstruct"): _reconstruct,
                ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
                ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                # how Python 3 writes bytes in protocol-2 pickles; a pure function
                ("_codecs", "encode"): codecs.encode}

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"unexpected object {module}.{name} in a CIFAR batch file") from None


def load_batch(fpath, label_key="labels"):
    """(data, labels) of one CIFAR python batch file: data uint8 (n, 3, 32, 32), labels a list."""
    with open(fpath, "rb") as f:
        batch = _ArrayUnpickler(f, encoding="bytes").load()
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = list(batch[label_key])
    return data.reshape(data.shape[0], 3, 32, 32), labels


def _batches_dir(dirname, inner, origin, needed):
    """Folder holding the unpacked batch files: the Keras 3 cache (downloading it if needed),
    or the folder an older Keras left at datasets/<inner> when only that one exists."""
    datasets = os.path.join(_cache.cache_root(), "datasets")
    new_dir = os.path.join(datasets, dirname)
    legacy = os.path.join(datasets, inner)
    if (not os.path.exists(new_dir) and not os.path.exists(new_dir + "_archive")
            and all(os.path.isfile(os.path.join(legacy, n)) for n in needed)):
        return legacy
    path = _cache.get_file(dirname, origin, extract=True, hash_key=os.path.basename(origin))
    return os.path.join(path, inner)


def load_data():
    """Load CIFAR-10: 50,000 training and 10,000 test images.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 arrays of shape (n, 32, 32, 3)
        (channels last), `y` uint8 arrays of shape (n, 1) with labels 0..9.
    """
    path = _batches_dir(_DIRNAME, _INNER, ORIGIN, _BATCHES)
    xs, ys = [], []
    for name in _BATCHES:
        x, y = load_batch(os.path.join(path, name))
        xs.append(x)
        ys.append(np.asarray(y, dtype=np.uint8))
    x_train = np.concatenate(xs[:-1]).transpose(0, 2, 3, 1)
    y_train = np.concatenate(ys[:-1]).reshape(-1, 1)
    x_test = xs[-1].transpose(0, 2, 3, 1)
    y_test = ys[-1].reshape(-1, 1)
    return (x_train, y_train), (x_test, y_test)
