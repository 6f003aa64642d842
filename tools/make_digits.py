"""Convert the UCI 8x8 handwritten digits into ktensor's bundled digits.npz.

One-time conversion. The source is the copy of the dataset that scikit-learn ships
(sklearn/datasets/data/digits.csv.gz: one row per image, 64 pixel values 0..16 then the
label). scikit-learn is needed only to locate that file; it is not a ktensor dependency.

Usage: python tools/make_digits.py [path/to/digits.csv.gz]
"""
import gzip
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "python", "ktensor", "keras",
                   "datasets", "digits.npz")


def source_path():
    if len(sys.argv) > 1:
        return sys.argv[1]
    import sklearn
    return os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data", "digits.csv.gz")


def main():
    with gzip.open(source_path(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65):
        raise SystemExit(f"unexpected table shape {table.shape}, want (1797, 65)")
    x, y = table[:, :64], table[:, 64]
    if x.min() < 0 or x.max() > 16 or y.min() < 0 or y.max() > 9:
        raise SystemExit("pixel or label values out of range")
    x = x.astype(np.uint8).reshape(-1, 8, 8)
    y = y.astype(np.uint8)
    np.savez_compressed(OUT, x=x, y=y)
    print(f"wrote {os.path.normpath(OUT)}: x {x.shape} {x.dtype}, y {y.shape} {y.dtype}, "
          f"{os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
