"""Writes tests/fixtures/keras_preprocessing.npz: Keras 3's own outputs (TensorFlow backend) for the
preprocessing tests to compare against: ops.image.affine_transform per fill mode and interpolation,
the Random* layers with fixed factors, and a seeded legacy ImageDataGenerator batch (square images).

Usage (with Keras 3 + TensorFlow installed): python tools/make_preprocessing_fixtures.py
"""
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.legacy.preprocessing.image import ImageDataGenerator  # noqa: E402

L = keras.layers


def main():
    r = np.random.default_rng(0)
    x = r.normal(size=(2, 5, 7, 2)).astype("float32")
    # chosen so that no sampled coordinate is near a rounding tie (x.5) of nearest interpolation
    t = np.array([[0.9, -0.4, 1.37, 0.35, 1.1, -2.23, 0, 0],
                  [1.17, 0.31, -4.096, -0.23, 0.71, 3.206, 0.013, -0.021]], "float32")
    out = {"x": x, "t": t}
    for fill in ("reflect", "constant", "nearest"):  # wrap: TF's seam differs on purpose (see _affine.py)
        for interp in ("nearest", "bilinear"):
            out[f"affine_{fill}_{interp}"] = np.asarray(keras.ops.image.affine_transform(
                x, t, interpolation=interp, fill_mode=fill, fill_value=0.5))
    out["rotation"] = np.asarray(L.RandomRotation((0.1, 0.1), fill_mode="constant")(x, training=True))
    out["zoom"] = np.asarray(L.RandomZoom((0.2, 0.2), (-0.1, -0.1), fill_mode="nearest")(x, training=True))
    out["translation"] = np.asarray(L.RandomTranslation((0.1, 0.1), (-0.2, -0.2))(x, training=True))
    out["crop_resize"] = np.asarray(L.RandomCrop(6, 8)(x, training=True))
    sq = r.normal(size=(6, 6, 6, 3)).astype("float32")
    gen = ImageDataGenerator(rotation_range=40, zoom_range=0.2, horizontal_flip=True, vertical_flip=True,
                             rescale=0.5)
    it = gen.flow(sq, np.arange(6), batch_size=4, seed=3)
    out["idg_x"] = sq
    out["idg_b0_x"], out["idg_b0_y"] = it[0]
    out["idg_b1_x"], out["idg_b1_y"] = it[1]
    path = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras_preprocessing.npz"
    np.savez_compressed(path, **out)
    print("wrote", path)


if __name__ == "__main__":
    main()
