"""Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing, a drop-in for MNIST.

Cached as Keras does, in `~/.keras/datasets/fashion-mnist/` (the four gzipped IDX files).
Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.

License: the copyright for Fashion-MNIST is held by Zalando SE; it is licensed under the
MIT license (https://github.com/zalandoresearch/fashion-mnist/blob/master/LICENSE).
"""
import gzip
import os

import numpy as np

from . import _cache

__all__ = ["load_data"]

BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")

_UBYTE = 0x08  # IDX element type code of unsigned bytes


def _read_idx(path, ndim):
    """Array stored in a gzipped IDX file of unsigned bytes with `ndim` dimensions."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndim
    if len(data) < header or data[0] != 0 or data[1] != 0 or data[2] != _UBYTE or data[3] != ndim:
        raise ValueError(f"{path} is not an IDX file of {ndim}-d unsigned bytes "
                         f"(magic number {data[:4].hex() or 'missing'})")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if len(data) - header != int(np.prod(shape)):
        raise ValueError(f"{path}: the header says shape {shape} but the file holds "
                         f"{len(data) - header} values")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def load_data():
    """Load Fashion-MNIST: 60,000 training and 10,000 test images.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 arrays of shape (n, 28, 28),
        `y` uint8 arrays of shape (n,) with labels 0..9.
    """
    subdir = os.path.join("datasets", "fashion-mnist")
    paths = [_cache.get_file(name, BASE_URL + name, cache_subdir=subdir, hash_key=name)
             for name in FILES]
    y_train, x_train = _read_idx(paths[0], 1), _read_idx(paths[1], 3)
    y_test, x_test = _read_idx(paths[2], 1), _read_idx(paths[3], 3)
    for x, y, name in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if len(x) != len(y):
            raise ValueError(f"fashion-mnist {name}: {len(x)} images but {len(y)} labels")
    return (x_train, y_train), (x_test, y_test)
