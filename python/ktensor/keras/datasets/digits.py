"""The 8x8 handwritten digits dataset, bundled with ktensor (no download needed).

1,797 grayscale images of the digits 0-9, each 8x8 pixels with values 0..16 (counts of
set pixels in 4x4 blocks of the original 32x32 bitmaps).

Attribution: Optical Recognition of Handwritten Digits, E. Alpaydin and C. Kaynak,
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0.
See DIGITS_LICENSE.txt next to this file.
"""
from importlib import resources

import numpy as np

__all__ = ["load_data"]


def load_data(test_split=0.2, seed=113):
    """Load the digits dataset, shuffled with a fixed seed and split into train and test.

    Args:
        test_split: fraction of the data kept for the test set, in [0, 1).
        seed: seed of the shuffle done before splitting; the same seed gives the same split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: `x` uint8 arrays of shape (n, 8, 8) with
        values 0..16, `y` uint8 arrays of shape (n,) with labels 0..9.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split!r}")
    with resources.files(__package__).joinpath("digits.npz").open("rb") as f:
        with np.load(f) as data:
            x, y = data["x"], data["y"]
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
