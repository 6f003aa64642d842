"""Preprocessing layers (Rescaling, Normalization, the Random* image augmentations), the shared
affine_transform, and the legacy ImageDataGenerator, each against a numpy reference."""
import math
from pathlib import Path

import numpy as np
import pytest

import ktensor as kt
from ktensor import keras
from ktensor.keras import layers
from ktensor.keras.layers.preprocessing._affine import affine_transform, resize_bilinear
from ktensor.keras.preprocessing.image import ImageDataGenerator

from helpers import cuda_only, gradcheck
from layer_helper import run_layer_test

FILL_MODES = ["reflect", "wrap", "constant", "nearest"]
# Keras 3's own outputs, written by tools/make_preprocessing_fixtures.py
KERAS = np.load(Path(__file__).resolve().parent / "fixtures" / "keras_preprocessing.npz")
PAD_MODE = {"reflect": "symmetric", "wrap": "wrap", "constant": "constant", "nearest": "edge"}


def images(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# ---------------------------------------------------------------------------------------------
# The numpy reference: extend the image on its integer grid by np.pad in the fill mode, then read
# it at every output pixel's transformed location, one pixel at a time.
# ---------------------------------------------------------------------------------------------
def reference_affine(imgs, transforms, interpolation, fill_mode, fill_value=0.0, output_shape=None):
    b, h, w, c = imgs.shape
    oh, ow = output_shape or (h, w)
    transforms = np.broadcast_to(np.asarray(transforms, np.float64).reshape(-1, 8), (b, 8))
    out = np.zeros((b, oh, ow, c))
    ambiguous = np.zeros((b, oh, ow), bool)  # nearest: a coordinate too close to .5 to round reliably
    for i in range(b):
        a0, a1, a2, b0, b1, b2, c0, c1 = transforms[i]
        coords = []
        for y in range(oh):
            for x in range(ow):
                k = c0 * x + c1 * y + 1
                coords.append(((b0 * x + b1 * y + b2) / k, (a0 * x + a1 * y + a2) / k))
        ys, xs = np.array([p[0] for p in coords]), np.array([p[1] for p in coords])
        py = int(max(0, -np.floor(ys.min()) + 2, np.ceil(ys.max()) - h + 3))
        px = int(max(0, -np.floor(xs.min()) + 2, np.ceil(xs.max()) - w + 3))
        kw = {"constant_values": fill_value} if fill_mode == "constant" else {}
        ext = np.pad(imgs[i].astype(np.float64), ((py, py), (px, px), (0, 0)), mode=PAD_MODE[fill_mode], **kw)
        for n, (yy, xx) in enumerate(coords):
            y, x = divmod(n, ow)
            if interpolation == "nearest":
                out[i, y, x] = ext[int(math.floor(yy + 0.5)) + py, int(math.floor(xx + 0.5)) + px]
                ambiguous[i, y, x] = min(abs(yy % 1 - 0.5), abs(xx % 1 - 0.5)) < 1e-3
            else:
                y0, x0 = math.floor(yy), math.floor(xx)
                fy, fx = yy - y0, xx - x0
                for dy, wy in ((0, 1 - fy), (1, fy)):
                    for dx, wx in ((0, 1 - fx), (1, fx)):
                        out[i, y, x] += wy * wx * ext[y0 + dy + py, x0 + dx + px]
    return out, ambiguous


def random_transforms(b, h, w, seed, projective=False):
    """Rotations, scales and shifts (far enough to leave the image, so every fill mode is exercised)."""
    r = np.random.default_rng(seed)
    t = []
    for _ in range(b):
        ang, s = r.uniform(-math.pi, math.pi), r.uniform(0.5, 1.6)
        tx, ty = r.uniform(-1.5, 1.5) * w, r.uniform(-1.5, 1.5) * h
        c0, c1 = (r.uniform(-0.02, 0.02, 2) if projective else (0.0, 0.0))
        t.append([s * math.cos(ang), -s * math.sin(ang), tx, s * math.sin(ang), s * math.cos(ang), ty, c0, c1])
    return np.array(t, np.float32)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("shape", [(2, 7, 13, 3), (1, 1, 7, 1), (3, 5, 1, 2)])
def test_affine_transform_matches_numpy(fill_mode, interpolation, shape):
    x = images(shape, seed=1)
    t = random_transforms(shape[0], shape[1], shape[2], seed=sum(shape), projective=shape[0] == 2)
    got = affine_transform(x, t, interpolation, fill_mode, fill_value=0.7).numpy()
    want, ambiguous = reference_affine(x, t, interpolation, fill_mode, fill_value=0.7)
    assert got.shape == shape and got.dtype == np.float32
    keep = ~ambiguous
    np.testing.assert_allclose(got[keep], want[keep], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_matches_keras(fill_mode, interpolation):
    # Keras 3 / TensorFlow's own output. (wrap differs on purpose: TF blends the seam with fill_value.)
    got = affine_transform(KERAS["x"], KERAS["t"], interpolation, fill_mode, fill_value=0.5).numpy()
    np.testing.assert_allclose(got, KERAS[f"affine_{fill_mode}_{interpolation}"], rtol=1e-5, atol=1e-5)


def test_random_layers_match_keras_with_fixed_factors():
    x = KERAS["x"]
    cases = {"rotation": layers.RandomRotation((0.1, 0.1), fill_mode="constant"),
             "zoom": layers.RandomZoom((0.2, 0.2), (-0.1, -0.1), fill_mode="nearest"),
             "translation": layers.RandomTranslation((0.1, 0.1), (-0.2, -0.2)),
             "crop_resize": layers.RandomCrop(6, 8)}
    for key, layer in cases.items():
        np.testing.assert_allclose(layer(x).numpy(), KERAS[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_affine_transform_single_image_output_shape_and_int_input():
    x = (np.arange(5 * 7 * 2) % 11).reshape(5, 7, 2).astype("int32")
    t = [0.8, 0.1, 0.3, -0.2, 1.3, -0.4, 0.0, 0.0]
    got = affine_transform(x, t, "bilinear", "reflect", output_shape=(3, 9)).numpy()
    want, _ = reference_affine(x[None].astype("float32"), t, "bilinear", "reflect", output_shape=(3, 9))
    assert got.shape == (3, 9, 2) and got.dtype == np.float32
    np.testing.assert_allclose(got, want[0], rtol=1e-5, atol=1e-5)


def test_affine_transform_points_at_infinity_read_as_outside():
    x = images((1, 3, 4, 1), seed=21)
    t = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, -0.5, 0.0]  # k = 1 - x / 2 is 0 at x = 2
    got = affine_transform(x, t, "bilinear", "constant", fill_value=9.0).numpy()
    assert np.all(np.isfinite(got)) and np.all(got[0, :, 2] == 9.0)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect"])
def test_affine_transform_gradient(fill_mode):
    t = [0.9, -0.3, 0.6, 0.25, 1.1, -0.7, 0.0, 0.0]
    x = np.random.default_rng(3).normal(size=(1, 3, 4, 2))
    gradcheck(lambda im: affine_transform(im, t, "bilinear", fill_mode, fill_value=0.5), [x], "cpu")


def test_affine_transform_bad_arguments():
    x = images((2, 4, 4, 1))
    with pytest.raises(NotImplementedError, match="fill_mode"):
        affine_transform(x, np.eye(3).reshape(-1)[:8], fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        affine_transform(x, np.eye(3).reshape(-1)[:8], interpolation="bicubic")
    with pytest.raises(ValueError, match="transform must have shape"):
        affine_transform(x, np.zeros((3, 8)))
    with pytest.raises(ValueError, match="rank 3"):
        affine_transform(x[0, 0], np.zeros(8))


def test_resize_bilinear_matches_half_pixel_reference():
    x = images((2, 5, 7, 3), seed=4)
    got = resize_bilinear(kt.constant(x), (8, 3)).numpy()
    sy, sx = 5 / 8, 7 / 3
    want = np.zeros((2, 8, 3, 3))
    for y in range(8):
        for xx in range(3):
            fy = min(max((y + 0.5) * sy - 0.5, 0), 4)
            fx = min(max((xx + 0.5) * sx - 0.5, 0), 6)
            y0, x0 = int(fy), int(fx)
            y1, x1 = min(y0 + 1, 4), min(x0 + 1, 6)
            ay, ax = fy - y0, fx - x0
            want[:, y, xx] = ((1 - ay) * ((1 - ax) * x[:, y0, x0] + ax * x[:, y0, x1]) +
                              ay * ((1 - ax) * x[:, y1, x0] + ax * x[:, y1, x1]))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@cuda_only
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_affine_transform_cuda_parity(fill_mode):
    x = images((2, 7, 13, 3), seed=5)
    t = random_transforms(2, 7, 13, seed=6)
    with kt.device("cpu"):
        cpu = affine_transform(kt.constant(x), t, "bilinear", fill_mode, 0.3).numpy()
    with kt.device("cuda"):
        out = affine_transform(kt.constant(x), t, "bilinear", fill_mode, 0.3)
        assert "cuda" in str(out.device)
    np.testing.assert_allclose(out.numpy(), cpu, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Rescaling
# ---------------------------------------------------------------------------------------------
def test_rescaling_matches_numpy_and_config():
    x = (np.arange(2 * 3 * 5) % 256).reshape(2, 3, 5).astype("uint8").astype("int32")
    out = layers.Rescaling(1 / 255.0, offset=-0.5)(x)
    assert out.dtype == kt.float32
    np.testing.assert_allclose(out.numpy(), x / 255.0 - 0.5, rtol=1e-6, atol=1e-7)
    scale = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32")
    layer = layers.Rescaling(scale)
    np.testing.assert_allclose(layer(x.astype("float32")).numpy(), x * scale, rtol=1e-6)
    config = layer.get_config()
    assert config["scale"] == {"class_name": "__numpy__", "config": {"value": scale.tolist(), "dtype": "float32"}}
    clone = layers.Rescaling.from_config(config)
    np.testing.assert_array_equal(clone.scale, scale)
    assert set(layers.Rescaling(2.0).get_config()) == {"name", "trainable", "dtype", "scale", "offset"}
    run_layer_test(layers.Rescaling, {"scale": 0.5, "offset": 1.0}, (3, 7), run_training_check=False)
    with pytest.raises(TypeError, match="scale"):
        layers.Rescaling("big")


# ---------------------------------------------------------------------------------------------
# Normalization
# ---------------------------------------------------------------------------------------------
def test_normalization_adapt_array_axis_last():
    data = images((37, 5), seed=2) * 3 + 1
    layer = layers.Normalization()
    layer.adapt(data)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3
    np.testing.assert_allclose(layer.adapt_mean.numpy(), data.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), data.var(0), rtol=1e-5)
    out = layer(data).numpy()
    np.testing.assert_allclose(out, (data - data.mean(0)) / data.std(0), rtol=1e-4, atol=1e-5)
    back = layers.Normalization(mean=data.mean(0), variance=data.var(0), invert=True)(out).numpy()
    np.testing.assert_allclose(back, data, rtol=1e-4, atol=1e-4)


def test_normalization_adapt_dataset_of_batches_tuple_axis():
    data = images((23, 4, 3, 2), seed=3) * 2 - 1
    ds = kt.data.Dataset.from_tensor_slices((data, np.zeros(23))).batch(5)  # (x, y) batches: x is used
    layer = layers.Normalization(axis=(1, -1))
    layer.adapt(ds)
    mean, var = data.mean(axis=(0, 2)), data.var(axis=(0, 2))
    assert layer.adapt_mean.shape == (4, 2)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    assert int(layer.count.numpy()) == 23 * 3
    want = (data - mean[None, :, None, :]) / np.sqrt(var)[None, :, None, :]
    np.testing.assert_allclose(layer(data).numpy(), want, rtol=1e-4, atol=1e-4)
    # a tensor, and an iterable of batches, give the same statistics
    other = layers.Normalization(axis=(1, 3))
    other.adapt(kt.constant(data))
    np.testing.assert_allclose(other.adapt_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    listed = layers.Normalization(axis=(1, 3))
    listed.adapt([data[:10], data[10:]])
    np.testing.assert_allclose(listed.adapt_mean.numpy(), mean, rtol=1e-5, atol=1e-6)


def test_normalization_given_mean_variance_and_config():
    x = images((4, 3), seed=7)
    out = layers.Normalization(mean=2.0, variance=4.0)(x).numpy()
    np.testing.assert_allclose(out, (x - 2.0) / 2.0, rtol=1e-6)
    layer = layers.Normalization(axis=-1, mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])
    np.testing.assert_allclose(layer(x).numpy(), (x - [1, 2, 3]) / [1, 2, 3], rtol=1e-6)
    assert layer.weights == []
    config = layer.get_config()
    assert config["axis"] == (-1,) and config["mean"] == [1.0, 2.0, 3.0] and config["invert"] is False
    assert layers.Normalization().get_config()["mean"] is None
    run_layer_test(layers.Normalization, {"mean": [0.5, 1.0, -1.0], "variance": [2.0, 1.0, 0.5]}, (5, 3),
                   run_training_check=False)


def test_normalization_errors():
    with pytest.raises(ValueError, match="has no statistics yet"):
        layers.Normalization()(images((3, 2)))
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="axis"):
        layers.Normalization(axis=3).adapt(images((4, 2)))
    layer = layers.Normalization()
    layer.adapt(images((4, 2)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(images((4, 3)))


def test_normalization_saved_and_loaded(tmp_path):
    data = images((20, 3), seed=8) * 5
    norm = layers.Normalization()
    norm.adapt(data)
    model = keras.Sequential([keras.Input((3,)), norm, layers.Dense(2)])
    path = str(tmp_path / "norm.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# The random image layers
# ---------------------------------------------------------------------------------------------
RANDOM_LAYERS = [
    (layers.RandomFlip, {}),
    (layers.RandomTranslation, {"height_factor": 0.3, "width_factor": (-0.2, 0.4)}),
    (layers.RandomRotation, {"factor": 0.2}),
    (layers.RandomZoom, {"height_factor": (-0.3, 0.2), "width_factor": 0.1}),
    (layers.RandomCrop, {"height": 3, "width": 5}),
]


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS, ids=[c.__name__ for c, _ in RANDOM_LAYERS])
def test_random_layer_contract(cls, kwargs):
    x = images((3, 7, 9, 2), seed=9)
    layer = run_layer_test(cls, {**kwargs, "seed": 4}, (3, 7, 9, 2), run_training_check=False)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)  # identity in inference
    out = layer(x, training=True)
    expected = (3, 3, 5, 2) if cls is layers.RandomCrop else x.shape
    assert tuple(out.shape) == expected
    assert tuple(layer(x[0], training=True).shape) == expected[1:]  # a single image
    # the same seed reproduces the same sequence of draws; later calls draw anew
    a, b = cls(**kwargs, seed=11), cls(**kwargs, seed=11)
    first = a(x).numpy()
    np.testing.assert_array_equal(first, b(x).numpy())
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # without a seed, keras.utils.set_random_seed fixes the draws
    keras.utils.set_random_seed(5)
    u = cls(**kwargs)(x).numpy()
    keras.utils.set_random_seed(5)
    np.testing.assert_array_equal(cls(**kwargs)(x).numpy(), u)
    with pytest.raises(ValueError, match="rank 3"):
        layer(x[0, 0])


def test_random_layers_inside_a_model_only_augment_in_training():
    x = images((4, 6, 6, 1), seed=10)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.RandomFlip(seed=1), layers.RandomRotation(0.3, seed=2),
                              layers.RandomZoom(0.2, seed=3), layers.RandomTranslation(0.2, 0.2, seed=4)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert not np.allclose(model(x, training=True).numpy(), x)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_flips_exactly(mode):
    x = images((16, 5, 7, 3), seed=11)
    out = layers.RandomFlip(mode, seed=3)(x).numpy()
    axes = {"horizontal": (1,), "vertical": (0,), "horizontal_and_vertical": (0, 1)}[mode]
    flipped = 0
    for i in range(len(x)):
        if np.array_equal(out[i], x[i]):
            continue
        np.testing.assert_array_equal(out[i], np.flip(x[i], axis=axes))
        flipped += 1
    assert 0 < flipped < len(x)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("dy,dx", [(2, -3), (-1, 4)])
def test_random_translation_by_whole_pixels(fill_mode, dy, dx):
    h, w = 7, 9
    x = images((2, h, w, 3), seed=12)
    layer = layers.RandomTranslation((dy / h, dy / h), (dx / w, dx / w), fill_mode=fill_mode, interpolation="nearest",
                                     fill_value=-2.0)
    out = layer(x).numpy()
    kw = {"constant_values": -2.0} if fill_mode == "constant" else {}
    p = max(abs(dy), abs(dx))
    ext = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode=PAD_MODE[fill_mode], **kw)
    want = ext[:, p - dy:p - dy + h, p - dx:p - dx + w]
    np.testing.assert_array_equal(out, want)
    if fill_mode == "wrap":
        np.testing.assert_array_equal(out, np.roll(x, (dy, dx), axis=(1, 2)))
    bilinear = layers.RandomTranslation((dy / h, dy / h), (dx / w, dx / w), fill_mode=fill_mode,
                                        fill_value=-2.0)(x).numpy()
    np.testing.assert_allclose(bilinear, want, atol=1e-4)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_random_rotation_by_quarter_turns(fill_mode):
    x = images((2, 7, 7, 2), seed=13)
    ccw = layers.RandomRotation((0.25, 0.25), fill_mode=fill_mode, interpolation="nearest")(x).numpy()
    np.testing.assert_array_equal(ccw, np.rot90(x, 1, axes=(1, 2)))
    cw = layers.RandomRotation((-0.25, -0.25), fill_mode=fill_mode, interpolation="nearest")(x).numpy()
    np.testing.assert_array_equal(cw, np.rot90(x, -1, axes=(1, 2)))
    half = layers.RandomRotation((0.5, 0.5), fill_mode=fill_mode)(x).numpy()
    np.testing.assert_allclose(half, np.rot90(x, 2, axes=(1, 2)), atol=1e-4)


def test_random_zoom_factor_zero_is_identity_and_zoom_matches_reference():
    x = images((2, 7, 9, 3), seed=14)
    np.testing.assert_array_equal(layers.RandomZoom(0.0, 0.0)(x).numpy(), x)
    np.testing.assert_array_equal(layers.RandomZoom(0.0)(x, training=True).numpy(), x)
    out = layers.RandomZoom((0.5, 0.5), (-0.25, -0.25), fill_mode="constant")(x).numpy()
    zx, zy = 0.75, 1.5
    t = [zx, 0, (1 - zx) * 4.0, 0, zy, (1 - zy) * 3.0, 0, 0]
    want, _ = reference_affine(x, t, "bilinear", "constant")
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_random_crop_windows_and_resize():
    x = images((2, 7, 9, 1), seed=15)
    layer = layers.RandomCrop(3, 4, seed=1)
    seen = set()
    for _ in range(12):
        out = layer(x).numpy()
        hits = [(t, l) for t in range(5) for l in range(6) if np.array_equal(out, x[:, t:t + 3, l:l + 4])]
        assert hits
        seen.add(hits[0])
    assert len(seen) > 1
    # not larger than the target on both axes: centre crop to the target's aspect ratio, then resize
    out = layers.RandomCrop(8, 8)(x).numpy()
    np.testing.assert_allclose(out, resize_bilinear(kt.constant(x[:, :, 1:9]), (8, 8)).numpy())
    np.testing.assert_array_equal(layers.RandomCrop(7, 9)(x).numpy(), x)
    assert layers.RandomCrop(3, 4).compute_output_shape((None, 7, 9, 1)) == (None, 3, 4, 1)
    assert isinstance(layers.RandomCrop(3, 4).get_config()["seed"], int)


def test_random_layers_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match="width_factor"):
        layers.RandomTranslation(0.1, (0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="height_factor"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="factor"):
        layers.RandomRotation("big")
    with pytest.raises(NotImplementedError, match="fill_mode"):
        layers.RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="interpolation"):
        layers.RandomZoom(0.1, interpolation="bicubic")
    with pytest.raises(ValueError, match="height"):
        layers.RandomCrop(0, 3)
    with pytest.raises(NotImplementedError, match="channels_first"):
        layers.RandomFlip(data_format="channels_first")
    with pytest.raises(TypeError, match="seed"):
        layers.RandomFlip(seed="x")


def test_model_with_preprocessing_layers_saves_and_loads(tmp_path):
    x = images((3, 8, 8, 2), seed=20)
    model = keras.Sequential([keras.Input((8, 8, 2)), layers.Rescaling(0.5, offset=1.0), layers.RandomFlip(seed=1),
                              layers.RandomRotation(0.1, fill_mode="constant", seed=2), layers.RandomZoom(0.1),
                              layers.RandomTranslation(0.1, 0.2, seed=3), layers.RandomCrop(6, 5, seed=4),
                              layers.Flatten(), layers.Dense(2)])
    path = str(tmp_path / "aug.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [type(l).__name__ for l in loaded.layers] == [type(l).__name__ for l in model.layers]
    assert loaded.layers[2].get_config() == model.layers[2].get_config()
    assert tuple(loaded(x, training=True).shape) == (3, 2)


def test_layers_deserialize_by_name():
    layer = layers.deserialize({"class_name": "RandomZoom", "config": layers.RandomZoom(0.2, seed=3).get_config()})
    assert isinstance(layer, layers.RandomZoom) and layer.seed == 3
    assert layers.deserialize(layers.serialize(layers.Rescaling(0.5))).scale == 0.5


# ---------------------------------------------------------------------------------------------
# The legacy ImageDataGenerator
# ---------------------------------------------------------------------------------------------
def test_flow_batches_rescale_and_order():
    x = (np.arange(10 * 4 * 5 * 3) % 255).reshape(10, 4, 5, 3).astype("float64")
    y = np.arange(10)
    it = ImageDataGenerator(rescale=1 / 255.0).flow(x, y, batch_size=4, shuffle=False)
    assert len(it) == 3
    sizes = []
    for i in range(len(it)):
        bx, by = it[i]
        assert bx.dtype == np.float32
        np.testing.assert_array_equal(by, y[4 * i:4 * i + 4])
        np.testing.assert_allclose(bx, x[4 * i:4 * i + 4] / 255.0, rtol=1e-6)
        sizes.append(len(bx))
    assert sizes == [4, 4, 2]
    bx = next(ImageDataGenerator().flow(x, batch_size=3, shuffle=False))  # no y: the images alone
    np.testing.assert_array_equal(bx, x[:3])


def test_flow_shuffle_seed_and_flips():
    x = images((12, 5, 6, 2), seed=16)
    gen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    it = gen.flow(x, np.arange(12), batch_size=5, seed=3)
    batches = [it[i] for i in range(len(it))]
    order = np.concatenate([b[1] for b in batches])
    assert sorted(order) == list(range(12)) and list(order) != list(range(12))
    kinds = set()
    for bx, by in batches:
        for img, j in zip(bx, by):
            for kind, axes in (("none", ()), ("h", (1,)), ("v", (0,)), ("hv", (0, 1))):
                if np.array_equal(img, np.flip(x[j], axis=axes) if axes else x[j]):
                    kinds.add(kind)
                    break
            else:
                raise AssertionError(f"image {j} is not a flip of its source")
    assert len(kinds) >= 3
    again = gen.flow(x, np.arange(12), batch_size=5, seed=3)
    np.testing.assert_array_equal(again[0][0], batches[0][0])


def test_generator_transforms_match_the_affine_reference():
    x = images((5, 5, 1), seed=17)
    gen = ImageDataGenerator(interpolation_order=0)
    np.testing.assert_array_equal(gen.apply_transform(x, {"theta": 90}), np.rot90(x))
    shifted = gen.apply_transform(x, {"tx": 2, "ty": -1})  # columns read 2 to the right, rows 1 above
    ext = np.pad(x, ((3, 3), (3, 3), (0, 0)), mode="edge")
    np.testing.assert_array_equal(shifted, ext[2:7, 5:10])
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, height_shift_range=2, zoom_range=0.3,
                             fill_mode="reflect")
    img = images((7, 9, 3), seed=18)
    params = gen.get_random_transform(img.shape, seed=4)
    assert params["ty"] in (-1, 0, 1) and abs(params["tx"]) <= 0.2 * 9  # height shifts rows, width columns
    got = gen.apply_transform(img, params)
    th = math.radians(params["theta"])
    cos, sin, zx, zy = math.cos(th), math.sin(th), params["zx"], params["zy"]
    cx, cy = 4.0, 3.0
    a0, a1, b0, b1 = cos * zx, -sin * zy, sin * zx, cos * zy
    a2 = cx - a0 * cx - a1 * cy + cos * params["tx"] - sin * params["ty"]
    b2 = cy - b0 * cx - b1 * cy + sin * params["tx"] + cos * params["ty"]
    want, _ = reference_affine(img[None], [a0, a1, a2, b0, b1, b2, 0, 0], "bilinear", "reflect")
    np.testing.assert_allclose(got, want[0], rtol=1e-4, atol=1e-4)


def test_seeded_flow_matches_keras_on_square_images():
    gen = ImageDataGenerator(rotation_range=40, zoom_range=0.2, horizontal_flip=True, vertical_flip=True, rescale=0.5)
    it = gen.flow(KERAS["idg_x"], np.arange(6), batch_size=4, seed=3)
    for i in range(2):
        bx, by = it[i]
        np.testing.assert_array_equal(by, KERAS[f"idg_b{i}_y"])
        np.testing.assert_allclose(bx, KERAS[f"idg_b{i}_x"], rtol=1e-5, atol=1e-5)


def test_fit_on_flow():
    keras.utils.set_random_seed(0)
    x = images((20, 6, 6, 1), seed=19)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("float32")
    it = ImageDataGenerator(rotation_range=10, horizontal_flip=True, zoom_range=0.1).flow(x, y, batch_size=8,
                                                                                           seed=1)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(it, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert it.total_batches_seen == 2 * len(it)


def test_generator_bad_arguments():
    with pytest.raises(NotImplementedError, match="featurewise_center"):
        ImageDataGenerator(featurewise_center=True)
    with pytest.raises(NotImplementedError, match="brightness_range"):
        ImageDataGenerator(brightness_range=(0.5, 1.5))
    with pytest.raises(ValueError, match="fill_mode"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=(0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match="rank 4"):
        ImageDataGenerator().flow(images((4, 4, 3)))
    with pytest.raises(ValueError, match="same length"):
        ImageDataGenerator().flow(images((4, 4, 4, 1)), np.arange(3))
    with pytest.raises(ValueError, match="batch_size"):
        ImageDataGenerator().flow(images((4, 4, 4, 1)), batch_size=0)
    with pytest.raises(IndexError, match="batch 5"):
        ImageDataGenerator().flow(images((4, 4, 4, 1)), batch_size=2)[5]


def test_preprocessing_module_is_reachable():
    assert keras.preprocessing.image.ImageDataGenerator is ImageDataGenerator
