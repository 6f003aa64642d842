"""augment: one training-mode call of the random image layers on a batch of 64 RGB 32x32 images,
in ms: RandomRotation and RandomZoom (bilinear, reflect: the affine_transform path) and RandomFlip.
ktensor and Keras run the same Keras layers; torch runs the same warp with affine_grid +
grid_sample (bilinear, reflection padding) and a flip by torch.where.
"""
import math

import numpy as np

from _harness import Row, cell, import_keras, import_ktensor, import_torch, ktensor_sync, median_time

SHAPE = (64, 32, 32, 3)


def _images():
    return np.random.default_rng(0).random(SHAPE, dtype=np.float32)


def _layer(layers, kind):
    return {"rotation": lambda: layers.RandomRotation(0.2, seed=1),
            "zoom": lambda: layers.RandomZoom(0.2, seed=1),
            "flip": lambda: layers.RandomFlip(seed=1)}[kind]()


def ktensor_call(kind, quick):
    kt = import_ktensor()
    from ktensor import keras
    x = kt.constant(_images())
    layer = _layer(keras.layers, kind)
    return 1e3 * median_time(lambda: layer(x, training=True), repeat=5 if quick else None,
                             sync=ktensor_sync(kt, "cpu"))


def keras_call(kind, quick):
    keras = import_keras()
    import tensorflow as tf
    x = tf.constant(_images())
    layer = _layer(keras.layers, kind)
    return 1e3 * median_time(lambda: layer(x, training=True), repeat=5 if quick else None)


def torch_call(kind, quick):
    torch = import_torch()
    import torch.nn.functional as F
    x = torch.from_numpy(_images()).permute(0, 3, 1, 2).contiguous()
    n = x.shape[0]

    def warp():
        if kind == "flip":
            flips = torch.rand(n, 1, 1, 1) <= 0.5
            return torch.where(flips, x.flip(3).flip(2), x)
        if kind == "rotation":
            a = (torch.rand(n) * 0.4 - 0.2) * 2 * math.pi
            theta = torch.stack([torch.stack([a.cos(), -a.sin(), torch.zeros(n)], 1),
                                 torch.stack([a.sin(), a.cos(), torch.zeros(n)], 1)], 1)
        else:
            z = torch.rand(n) * 0.4 + 0.8
            theta = torch.stack([torch.stack([z, torch.zeros(n), torch.zeros(n)], 1),
                                 torch.stack([torch.zeros(n), z, torch.zeros(n)], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    with torch.no_grad():
        return 1e3 * median_time(warp, repeat=5 if quick else None)


def rows(ctx, device="cpu"):
    for kind in ("rotation", "zoom", "flip"):
        values = {"ktensor": cell(ktensor_call, kind, ctx.quick), "torch": cell(torch_call, kind, ctx.quick),
                  "keras/tf": cell(keras_call, kind, ctx.quick)}
        yield Row(f"augment Random{kind.capitalize()} 64x32x32x3", "ms", False, values)
