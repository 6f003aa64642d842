"""affine_transform: Keras' `ops.image.affine_transform` (channels_last) written with ktensor ops.

A transform is 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1] (TensorFlow's convention): the output pixel
(y, x) samples the input at
    x_in = (a0 x + a1 y + a2) / k,   y_in = (b0 x + b1 y + b2) / k,   k = c0 x + c1 y + 1,
pixel centres at integer coordinates. Points outside the input take the value of the image extended
on its integer grid by `fill_mode`, then are interpolated:
    reflect  (d c b a | a b c d | d c b a)   wrap     (a b c d | a b c d | a b c d)
    nearest  (a a a a | a b c d | d d d d)   constant (k k k k | a b c d | k k k k), k = fill_value
It is index arithmetic plus one gather per sampled neighbour, so it runs on the images' device and
its gradient reaches the images.
"""
import ktensor as kt
from ktensor.ops.core import convert

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_modes(owner, fill_mode, interpolation):
    """The error Keras gives for an unknown mode, naming the layer (or op)."""
    if fill_mode not in FILL_MODES:
        raise NotImplementedError(f"{owner}: unknown `fill_mode` {fill_mode!r}. Expected one of {FILL_MODES}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(f"{owner}: unknown `interpolation` {interpolation!r}. Expected one of "
                                  f"{INTERPOLATIONS}.")


def _fix_index(i, n, fill_mode):
    """Integer-valued float coordinates -> (index inside [0, n), float mask of in-bounds points or None)."""
    if fill_mode == "nearest":
        return kt.clip_by_value(i, 0.0, float(n - 1)), None
    if fill_mode == "wrap":
        return kt.mod(i, float(n)), None
    if fill_mode == "reflect":  # period 2n: a b c d d c b a
        m = kt.mod(i, float(2 * n))
        return kt.where(m >= float(n), float(2 * n - 1) - m, m), None
    inside = kt.cast(kt.logical_and(i >= 0.0, i <= float(n - 1)), "float32")
    return kt.clip_by_value(i, 0.0, float(n - 1)), inside


def _taps(coord, interpolation):
    """[(integer-valued float index, weight or None)] an interpolation reads along one axis."""
    if interpolation == "nearest":
        return [(kt.floor(coord + 0.5), None)]
    i0 = kt.floor(coord)
    frac = coord - i0
    return [(i0, 1.0 - frac), (i0 + 1.0, frac)]


def _times(a, b):
    return b if a is None else a if b is None else a * b


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0.0,
                     output_shape=None):
    """images (batch, h, w, c) or (h, w, c); transform (8,) or (batch, 8); output_shape (oh, ow) or None
    (the input's). Returns floats of the images' dtype (float32 for integer images)."""
    check_modes("affine_transform", fill_mode, interpolation)
    images = kt.convert_to_tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(f"affine_transform: images must have rank 3 (one image) or 4 (a batch), got shape "
                         f"{tuple(images.shape)}")
    single = images.ndim == 3
    if single:
        images = kt.expand_dims(images, 0)
    if not images.dtype.is_floating:
        images = kt.cast(images, "float32")
    dev = images.device
    t = transform if isinstance(transform, kt.Tensor) else convert(transform, "float32", device=dev)
    t = kt.cast(t.to(dev), "float32")
    if t.ndim == 1:
        t = kt.expand_dims(t, 0)
    b, h, w, c = (int(s) for s in images.shape)
    if t.ndim != 2 or t.shape[1] != 8 or t.shape[0] not in (1, b):
        raise ValueError(f"affine_transform: transform must have shape (8,) or ({b}, 8) for images of shape "
                         f"{tuple(images.shape)}, got {tuple(t.shape)}")
    oh, ow = (h, w) if output_shape is None else (int(output_shape[0]), int(output_shape[1]))
    if t.shape[0] != b:
        t = kt.broadcast_to(t, (b, 8))

    coef = [kt.reshape(t[:, i], (b, 1, 1)) for i in range(8)]
    xs = kt.reshape(kt.range(ow, dtype="float32", device=dev), (1, 1, ow))
    ys = kt.reshape(kt.range(oh, dtype="float32", device=dev), (1, oh, 1))
    k = coef[6] * xs + coef[7] * ys + 1.0
    x_in = (coef[0] * xs + coef[1] * ys + coef[2]) / k
    y_in = (coef[3] * xs + coef[4] * ys + coef[5]) / k
    # A projective transform can send points to infinity (k = 0): they read as far outside.
    x_in = kt.where(kt.is_finite(x_in), x_in, -1e6)
    y_in = kt.where(kt.is_finite(y_in), y_in, -1e6)

    # Each axis's taps are mapped into the image once; a grid point is a row tap plus a column tap.
    # Outside points of "constant" get weight 0 and their share of the weight goes to fill_value.
    rows = []
    for iy, wy in _taps(y_in, interpolation):
        iy, my = _fix_index(iy, h, fill_mode)
        rows.append((kt.reshape(kt.range(b, dtype="int64", device=dev), (b, 1, 1)) * (h * w)
                     + kt.cast(iy, "int64") * w, wy, my))
    cols = []
    for ix, wx in _taps(x_in, interpolation):
        ix, mx = _fix_index(ix, w, fill_mode)
        cols.append((kt.cast(ix, "int64"), wx, mx))
    flat = kt.reshape(images, (b * h * w, c))
    out, kept = None, None
    for row, wy, my in rows:
        for col, wx, mx in cols:
            weight = _times(_times(wy, wx), _times(my, mx))
            value = kt.gather(flat, row + col)  # (b, oh, ow, c)
            if weight is not None:
                value = value * kt.expand_dims(kt.cast(weight, images.dtype), -1)
                kept = weight if kept is None else kept + weight
            out = value if out is None else out + value
    if fill_mode == "constant" and float(fill_value) != 0.0:
        out = out + kt.expand_dims(kt.cast(1.0 - kept, images.dtype), -1) * float(fill_value)
    return kt.squeeze(out, 0) if single else out


def resize_bilinear(images, size):
    """Bilinear resize with half-pixel centres (Keras ops.image.resize, antialias=False): the output
    pixel x reads the input at (x + 0.5) * in / out - 0.5, edges clamped."""
    h, w = int(images.shape[-3]), int(images.shape[-2])
    sy, sx = h / size[0], w / size[1]
    transform = [sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5, 0.0, 0.0]
    return affine_transform(images, transform, "bilinear", "nearest", output_shape=size)
