"""The legacy keras.preprocessing.image.ImageDataGenerator and its NumpyArrayIterator (deprecated in
Keras, kept for the scripts that still use it). It runs on the host, like Keras' original: random
parameters are drawn with numpy (np.random.RandomState(seed + batches seen) when a seed is given, as
the original seeds its draws), and each batch is warped in one call of the same affine_transform the
Random* layers use, on the CPU.

With a seed, batches of square images equal Keras' own. One deliberate difference: in Keras' code
height_shift_range ends up moving columns (by a fraction of the height), width_shift_range rows, and
non-square images rotate and zoom about a wrong centre. Here height_shift_range shifts rows by a
fraction of the height, width_shift_range columns by a fraction of the width, and every warp is about
the image centre, as the documentation says. In apply_transform's parameters, as in Keras, tx is the
horizontal shift and ty the vertical one (the input is read at output + shift).
"""
import math
import threading

import numpy as np

import ktensor as kt

from ..layers.preprocessing._affine import affine_transform
from ..utils.py_dataset import PyDataset

_FILL_MODES = ("constant", "nearest", "reflect", "wrap")
_UNSUPPORTED = {"featurewise_center": False, "featurewise_std_normalization": False, "zca_whitening": False,
                "brightness_range": None, "channel_shift_range": 0.0, "validation_split": 0.0}


def _number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"ImageDataGenerator: `{name}` must be a number, got {value!r}")
    return value


class ImageDataGenerator:
    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        given = dict(featurewise_center=featurewise_center, featurewise_std_normalization=featurewise_std_normalization,
                     zca_whitening=zca_whitening, brightness_range=brightness_range,
                     channel_shift_range=channel_shift_range, validation_split=validation_split)
        for name, default in _UNSUPPORTED.items():
            if given[name] != default:
                raise NotImplementedError(f"ImageDataGenerator: `{name}` is not supported by ktensor (got "
                                          f"{given[name]!r}); use the Keras preprocessing layers instead")
        if data_format not in (None, "channels_last"):
            raise NotImplementedError(f"ImageDataGenerator: only data_format='channels_last' is supported, got "
                                      f"{data_format!r}")
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"ImageDataGenerator: unknown fill_mode {fill_mode!r}; expected one of {_FILL_MODES}")
        if interpolation_order not in (0, 1):
            raise NotImplementedError(f"ImageDataGenerator: interpolation_order must be 0 (nearest) or 1 "
                                      f"(bilinear), got {interpolation_order!r}")
        if dtype not in (None, "float32", np.float32):
            raise NotImplementedError(f"ImageDataGenerator: only dtype float32 is supported, got {dtype!r}")
        if isinstance(zoom_range, (int, float)) and not isinstance(zoom_range, bool):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif isinstance(zoom_range, (list, tuple)) and len(zoom_range) == 2 and all(
                isinstance(v, (int, float)) for v in zoom_range):
            zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator: `zoom_range` should be a float or a tuple or list of two floats. "
                             f"Received: {zoom_range!r}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(f"ImageDataGenerator: preprocessing_function must be callable, got "
                            f"{preprocessing_function!r}")
        self.samplewise_center = bool(samplewise_center or samplewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.featurewise_center = self.featurewise_std_normalization = self.zca_whitening = False
        self.zca_epsilon = zca_epsilon
        self.rotation_range = _number("rotation_range", rotation_range)
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = _number("shear_range", shear_range)
        self.zoom_range = zoom_range
        self.channel_shift_range = 0.0
        self.brightness_range = None
        self.fill_mode = fill_mode
        self.cval = float(_number("cval", cval))
        self.horizontal_flip = bool(horizontal_flip)
        self.vertical_flip = bool(vertical_flip)
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.data_format = "channels_last"
        self.interpolation_order = interpolation_order
        self.dtype = "float32"
        self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self._validation_split = 0.0
        self.mean = self.std = self.zca_whitening_matrix = None

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        if save_to_dir is not None:
            raise NotImplementedError("ImageDataGenerator.flow: `save_to_dir` is not supported by ktensor")
        if subset is not None:
            raise NotImplementedError("ImageDataGenerator.flow: `subset` (validation_split) is not supported")
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed)

    def flow_from_directory(self, *args, **kwargs):
        raise NotImplementedError("ImageDataGenerator.flow_from_directory is not supported by ktensor")

    def flow_from_dataframe(self, *args, **kwargs):
        raise NotImplementedError("ImageDataGenerator.flow_from_dataframe is not supported by ktensor")

    def fit(self, x, augment=False, rounds=1, seed=None):
        raise NotImplementedError("ImageDataGenerator.fit (featurewise statistics) is not supported by ktensor")

    # -- one image / one batch --
    def standardize(self, x):
        """preprocessing_function, rescale and the samplewise normalizations, in place (as Keras)."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        return x

    def _shift(self, rng, shift_range, size):
        if not np.any(np.asarray(shift_range)):
            return 0.0
        try:  # an int or a list of values: one of them, with a random sign (Keras)
            t = rng.choice(shift_range) * rng.choice([-1, 1])
        except ValueError:  # a float: uniform in [-range, range]
            t = rng.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            t *= size
        return float(t)

    def get_random_transform(self, img_shape, seed=None, rng=None):
        """The random parameters of one image, drawn in Keras' order (theta, height shift, width shift,
        shear, zx, zy, flips); shifts in pixels, tx horizontal and ty vertical."""
        rng = rng if rng is not None else np.random.RandomState(seed) if seed is not None else np.random
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        ty = self._shift(rng, self.height_shift_range, img_shape[0])
        tx = self._shift(rng, self.width_shift_range, img_shape[1])
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(rng.random_sample() < 0.5) and self.horizontal_flip
        flip_vertical = bool(rng.random_sample() < 0.5) and self.vertical_flip
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": None, "brightness": None}

    def apply_transform(self, x, transform_parameters):
        """One image (h, w, c) transformed by the given parameters (same shape)."""
        return self._apply_batch(np.asarray(x, dtype=np.float32)[None], [transform_parameters])[0]

    def random_transform(self, x, seed=None):
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def _apply_batch(self, batch, params):
        """Warps then flips a (n, h, w, c) float32 batch, image i by params[i]."""
        h, w = batch.shape[1], batch.shape[2]
        transforms = np.stack([_legacy_transform(p, h, w) for p in params])
        if not np.array_equal(transforms, np.tile(_IDENTITY, (len(params), 1))):
            with kt.device("cpu"):
                batch = affine_transform(batch, transforms, "bilinear" if self.interpolation_order else "nearest",
                                         self.fill_mode, self.cval).numpy()
        for i, p in enumerate(params):
            if p.get("flip_horizontal"):
                batch[i] = batch[i, :, ::-1]
            if p.get("flip_vertical"):
                batch[i] = batch[i, ::-1]
        return batch


_IDENTITY = np.array([1, 0, 0, 0, 1, 0, 0, 0], dtype=np.float32)


def _legacy_transform(p, h, w):
    """Keras' R . T . S . Z about the image centre, as an output->input transform in (x, y) order:
    input = c + R (t + S Z (output - c)), t = (tx, ty) = (horizontal shift, vertical shift)."""
    theta, shear = math.radians(p.get("theta", 0)), math.radians(p.get("shear", 0))
    cos, sin = math.cos(theta), math.sin(theta)
    r = np.array([[cos, -sin], [sin, cos]])
    s = np.array([[math.cos(shear), 0.0], [-math.sin(shear), 1.0]])
    z = np.diag([float(p.get("zx", 1)), float(p.get("zy", 1))])
    a = r @ s @ z
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    off = c - a @ c + r @ np.array([float(p.get("tx", 0)), float(p.get("ty", 0))])
    return np.array([a[0, 0], a[0, 1], off[0], a[1, 0], a[1, 1], off[1], 0, 0], dtype=np.float32)


class Iterator(PyDataset):
    """Batches of a fixed-size source: indexable (len() = ceil(n / batch_size), fit's PyDataset path) and
    an endless iterator (next()), reshuffled at each epoch's end."""

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        super().__init__(**kwargs)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"{type(self).__name__}: batch_size must be a positive integer, got {batch_size!r}")
        self.n, self.batch_size, self.seed, self.shuffle = int(n), int(batch_size), seed, bool(shuffle)
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self._epoch_rng = np.random.RandomState(seed if seed is not None else kt.random.shuffle_seed() % 2**32)
        self.index_generator = self._flow_index()

    def _batch_rng(self):
        """The draws of one batch: seeded by seed + batches seen (Keras), else by ktensor's generator."""
        seed = self.seed + self.total_batches_seen if self.seed is not None else kt.random.shuffle_seed() % 2**32
        return np.random.RandomState(seed)

    def _set_index_array(self, rng=None):
        self.index_array = (rng or self._epoch_rng).permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx):
        if not 0 <= idx < len(self):
            raise IndexError(f"{type(self).__name__}: asked for batch {idx}, but there are {len(self)}")
        rng = self._batch_rng()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array(rng)
        index_array = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array, rng)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            rng = self._batch_rng()
            if self.batch_index == 0:
                self._set_index_array(rng)
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > current + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size], rng

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array, rng = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array, rng)

    def _get_batches_of_transformed_samples(self, index_array, rng):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """(x_batch, y_batch[, sample_weight_batch]) from numpy arrays (x_batch alone when y is None)."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 **kwargs):
        x = np.asarray(x.numpy() if isinstance(x, kt.Tensor) else x, dtype=np.float32)
        if x.ndim != 4:
            raise ValueError(f"NumpyArrayIterator: input data should have rank 4 (samples, height, width, "
                             f"channels), got an array with shape {x.shape}")
        if y is not None and len(x) != len(y):
            raise ValueError(f"NumpyArrayIterator: `x` (images tensor) and `y` (labels) should have the same length. "
                             f"Found: x.shape = {x.shape}, y.shape = {np.shape(y)}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"NumpyArrayIterator: `x` and `sample_weight` should have the same length. Found: "
                             f"x.shape = {x.shape}, sample_weight.shape = {np.shape(sample_weight)}")
        self.x = x
        self.y = None if y is None else np.asarray(y.numpy() if isinstance(y, kt.Tensor) else y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.dtype = "float32"
        super().__init__(x.shape[0], batch_size, shuffle, seed, **kwargs)

    def _get_batches_of_transformed_samples(self, index_array, rng):
        gen = self.image_data_generator
        batch = self.x[index_array].copy()
        params = [gen.get_random_transform(batch.shape[1:], rng=rng) for _ in range(len(index_array))]
        batch = gen._apply_batch(batch, params)
        for i in range(len(batch)):
            batch[i] = gen.standardize(batch[i])
        if self.y is None:
            return batch
        out = (batch, self.y[index_array])
        return out + (self.sample_weight[index_array],) if self.sample_weight is not None else out
