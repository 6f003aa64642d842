"""Dataset loaders, fully offline: small files in the real formats in a temporary KERAS_HOME."""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

from ktensor.keras import datasets
from ktensor.keras.datasets import _cache, cifar10, cifar100, fashion_mnist, mnist

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty KERAS_HOME, and a network that always fails (no test may reach the internet)."""
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return home


# ---- writers of the real file formats ------------------------------------------------------

def _mnist_arrays(n_train=5, n_test=3, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.randint(0, 256, (n_train, 28, 28)).astype(np.uint8),
            rng.randint(0, 10, n_train).astype(np.uint8),
            rng.randint(0, 256, (n_test, 28, 28)).astype(np.uint8),
            rng.randint(0, 10, n_test).astype(np.uint8))


def _write_mnist(path, arrays):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    with open(path, "wb") as f:
        np.savez(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def _idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _cifar_batch(data, labels, label_keys):
    batch = {b"batch_label": b"testing batch", b"data": data, b"filenames": [b"a.png"] * len(data)}
    for key, values in zip(label_keys, labels):
        batch[key] = list(int(v) for v in values)
    return pickle.dumps(batch, protocol=2)


def _write_tar(path, inner, members):
    """A .tar.gz holding `inner/<name>` for each (name, bytes) of `members`."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"{inner}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _cifar10_members(n=3, seed=0):
    rng = np.random.RandomState(seed)
    raw = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.randint(0, 256, (n, 3072)).astype(np.uint8)
        labels = rng.randint(0, 10, n)
        raw[name] = (data, labels)
    members = {name: _cifar_batch(d, [l], [b"labels"]) for name, (d, l) in raw.items()}
    members["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"] * 10}, protocol=2)
    return raw, members


# ---- MNIST --------------------------------------------------------------------------------

def test_mnist_loads_cached_npz_and_verifies_its_checksum(keras_home, monkeypatch):
    arrays = _mnist_arrays()
    path = keras_home / "datasets" / "mnist.npz"
    _write_mnist(str(path), arrays)
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", _sha(path))
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    for got, want in zip((x_train, y_train, x_test, y_test), arrays):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)


def test_published_checksums_are_sha256_of_every_file():
    assert set(_cache.KNOWN_SHA256) == {"mnist.npz", *fashion_mnist.FILES,
                                        "cifar-10-python.tar.gz", "cifar-100-python.tar.gz"}
    for digest in _cache.KNOWN_SHA256.values():
        assert len(digest) == 64 and int(digest, 16) >= 0


def test_cache_root_is_keras_home_or_dot_keras(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert _cache.cache_root() == str(tmp_path / "kh")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _cache.cache_root() == str(tmp_path / ".keras")


def test_mnist_offline_without_cache_names_file_url_and_path(keras_home):
    with pytest.raises(OSError) as info:
        mnist.load_data()
    msg = str(info.value)
    assert "mnist.npz" in msg and MNIST_URL in msg
    assert str(keras_home / "datasets" / "mnist.npz") in msg
    assert "network disabled in tests" in msg
    assert not any(p.name.endswith(".part") for p in (keras_home / "datasets").iterdir())


def test_mnist_corrupt_cache_with_known_checksum_is_downloaded_again(keras_home, monkeypatch):
    arrays = _mnist_arrays(seed=1)
    good = keras_home / "good.npz"
    _write_mnist(str(good), arrays)
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", _sha(good))
    cached = keras_home / "datasets" / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"truncated transfer")
    calls = []

    def fake_download(url, dest):
        calls.append((url, dest))
        os.replace(str(good), dest)

    monkeypatch.setattr(_cache, "_download", fake_download)
    (x_train, _), (_, y_test) = mnist.load_data()
    assert calls == [(MNIST_URL, str(cached))]
    np.testing.assert_array_equal(x_train, arrays[0])
    np.testing.assert_array_equal(y_test, arrays[3])
    mnist.load_data()  # now valid: no second download
    assert len(calls) == 1


def test_mnist_corrupt_cache_offline_gives_the_clear_error(keras_home, monkeypatch):
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", "0" * 64)
    cached = keras_home / "datasets" / "mnist.npz"
    _write_mnist(str(cached), _mnist_arrays())
    with pytest.raises(OSError, match="SHA-256") as info:
        mnist.load_data()
    assert MNIST_URL in str(info.value) and str(cached) in str(info.value)


def test_download_is_atomic_and_checked(keras_home, monkeypatch):
    payload = io.BytesIO()
    np.savez(payload, x_train=np.zeros((1, 28, 28), np.uint8), y_train=np.zeros(1, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    blob = payload.getvalue()
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: io.BytesIO(blob))
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", hashlib.sha256(blob).hexdigest())
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (1, 28, 28)
    assert sorted(p.name for p in (keras_home / "datasets").iterdir()) == ["mnist.npz"]

    # A transfer whose bytes do not match the published checksum is rejected and removed.
    (keras_home / "datasets" / "mnist.npz").unlink()
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", "1" * 64)
    with pytest.raises(ValueError, match="SHA-256"):
        mnist.load_data()
    assert list((keras_home / "datasets").iterdir()) == []


def test_interrupted_download_leaves_no_file(keras_home, monkeypatch):
    class Broken(io.BytesIO):
        def read(self, *args):
            raise ConnectionResetError("connection reset")

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Broken(b""))
    with pytest.raises(OSError, match="connection reset"):
        mnist.load_data()
    assert list((keras_home / "datasets").iterdir()) == []


# ---- Fashion-MNIST ------------------------------------------------------------------------

def _write_fashion(folder, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = arrays
    for name, array in zip(fashion_mnist.FILES, (y_train, x_train, y_test, x_test)):
        (folder / name).write_bytes(_idx_bytes(array))


def test_fashion_mnist_reads_gzipped_idx_from_its_subfolder(keras_home, monkeypatch):
    arrays = _mnist_arrays(n_train=4, n_test=2, seed=2)
    folder = keras_home / "datasets" / "fashion-mnist"
    _write_fashion(folder, arrays)
    for name in fashion_mnist.FILES:
        monkeypatch.setitem(_cache.KNOWN_SHA256, name, _sha(folder / name))
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    for got, want in zip((x_train, y_train, x_test, y_test), arrays):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.uint8
    assert x_train.shape == (4, 28, 28) and y_train.shape == (4,)


def test_fashion_mnist_rejects_a_wrong_magic_number(keras_home, monkeypatch):
    folder = keras_home / "datasets" / "fashion-mnist"
    _write_fashion(folder, _mnist_arrays())
    bad = bytearray(gzip.decompress((folder / fashion_mnist.FILES[1]).read_bytes()))
    bad[3] = 2  # says 2-d
    (folder / fashion_mnist.FILES[1]).write_bytes(gzip.compress(bytes(bad)))
    for name in fashion_mnist.FILES:
        monkeypatch.setitem(_cache.KNOWN_SHA256, name, None)
    with pytest.raises(ValueError, match="IDX"):
        fashion_mnist.load_data()


def test_fashion_mnist_offline_error_names_the_subfolder(keras_home):
    with pytest.raises(OSError) as info:
        fashion_mnist.load_data()
    msg = str(info.value)
    assert "train-labels-idx1-ubyte.gz" in msg
    assert fashion_mnist.BASE_URL + "train-labels-idx1-ubyte.gz" in msg
    assert str(keras_home / "datasets" / "fashion-mnist" / "train-labels-idx1-ubyte.gz") in msg


# ---- CIFAR-10 / CIFAR-100 -----------------------------------------------------------------

def _expected_images(data):
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def test_cifar10_unpacks_the_archive_as_keras_does(keras_home, monkeypatch):
    raw, members = _cifar10_members()
    archive = keras_home / "datasets" / "cifar-10-batches-py-target_archive"
    _write_tar(str(archive), "cifar-10-batches-py", members)
    monkeypatch.setitem(_cache.KNOWN_SHA256, "cifar-10-python.tar.gz", _sha(archive))
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    assert x_train.shape == (15, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (15, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and y_test.shape == (3, 1)
    train = [raw[f"data_batch_{i}"] for i in range(1, 6)]
    np.testing.assert_array_equal(x_train, _expected_images(np.concatenate([d for d, _ in train])))
    np.testing.assert_array_equal(y_train[:, 0], np.concatenate([l for _, l in train]))
    np.testing.assert_array_equal(x_test, _expected_images(raw["test_batch"][0]))
    # pixel (0, 0) of image 0: red, green, blue are bytes 0, 1024, 2048 of its row
    row = raw["data_batch_1"][0][0]
    assert list(x_train[0, 0, 0]) == [row[0], row[1024], row[2048]]
    assert (keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
            / "test_batch").is_file()


def test_cifar10_uses_the_folder_of_older_keras(keras_home):
    raw, members = _cifar10_members(n=2, seed=3)
    folder = keras_home / "datasets" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, payload in members.items():
        (folder / name).write_bytes(payload)
    _, (x_test, y_test) = cifar10.load_data()
    np.testing.assert_array_equal(x_test, _expected_images(raw["test_batch"][0]))
    np.testing.assert_array_equal(y_test[:, 0], raw["test_batch"][1])


def test_cifar10_corrupt_archive_is_downloaded_again_then_clear_error(keras_home, monkeypatch):
    archive = keras_home / "datasets" / "cifar-10-batches-py-target_archive"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"not a tar file")
    calls = []
    real = _cache._download

    def recording(url, dest):
        calls.append(url)
        return real(url, dest)

    monkeypatch.setattr(_cache, "_download", recording)
    with pytest.raises(OSError) as info:
        cifar10.load_data()
    assert calls == [cifar10.ORIGIN]
    msg = str(info.value)
    assert "cifar-10-python.tar.gz" in msg and cifar10.ORIGIN in msg
    assert str(archive) in msg and "SHA-256" in msg


def test_cifar_batch_files_cannot_run_code(keras_home, tmp_path):
    path = tmp_path / "evil"
    path.write_bytes(pickle.dumps({b"data": os.getcwd, b"labels": []}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="posix.getcwd|os.getcwd|nt.getcwd"):
        cifar10.load_batch(str(path))


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_label_modes(keras_home, monkeypatch, label_mode):
    rng = np.random.RandomState(4)
    raw = {}
    for name, n in (("train", 4), ("test", 2)):
        raw[name] = (rng.randint(0, 256, (n, 3072)).astype(np.uint8),
                     rng.randint(0, 100, n), rng.randint(0, 20, n))
    members = {name: _cifar_batch(d, [f, c], [b"fine_labels", b"coarse_labels"])
               for name, (d, f, c) in raw.items()}
    archive = keras_home / "datasets" / "cifar-100-python-target_archive"
    _write_tar(str(archive), "cifar-100-python", members)
    monkeypatch.setitem(_cache.KNOWN_SHA256, "cifar-100-python.tar.gz", _sha(archive))
    (x_train, y_train), (x_test, y_test) = datasets.cifar100.load_data(label_mode=label_mode)
    column = 1 if label_mode == "fine" else 2
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (4, 1) and y_train.dtype == np.int64
    np.testing.assert_array_equal(x_train, _expected_images(raw["train"][0]))
    np.testing.assert_array_equal(y_train[:, 0], raw["train"][column])
    np.testing.assert_array_equal(y_test[:, 0], raw["test"][column])


def test_cifar100_rejects_an_unknown_label_mode(keras_home):
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


def test_cifar100_offline_error(keras_home):
    with pytest.raises(OSError) as info:
        cifar100.load_data()
    msg = str(info.value)
    assert "cifar-100-python.tar.gz" in msg and cifar100.ORIGIN in msg
    assert str(keras_home / "datasets" / "cifar-100-python-target_archive") in msg
