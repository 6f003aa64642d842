"""The main job: `python -m ktensor.demo` trains on the bundled digits and reaches >= 0.95 test accuracy."""
import re
import subprocess
import sys

import pytest


def test_demo_reaches_accuracy():
    proc = subprocess.run([sys.executable, "-m", "ktensor.demo", "--device", "cpu"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    m = re.search(r"test accuracy: ([0-9.]+)", proc.stdout)
    assert m, proc.stdout[-2000:]
    assert float(m.group(1)) >= 0.95
    # not a terminal: one progress line per epoch, in the Keras 3 format
    assert re.search(r"^41/41 ━{20} \d+s \d+(ms|us)/step - accuracy: 0\.\d{4} - loss: \d\.\d{4}", proc.stdout, re.M)


def test_digits_loader_shapes():
    from ktensor import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and set(y_train.tolist()) == set(range(10))
    assert x_train.max() == 16 and x_train.min() == 0


# -- --dataset: a keras.datasets loader, offline against a small file in the Keras cache --
def _fake_mnist(path, n_train=96, n_test=32):
    import numpy as np

    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 10, n_train).astype(np.uint8), rng.integers(0, 10, n_test).astype(np.uint8)
    # each class a brighter band of rows, so the MLP has something to learn
    def images(y):
        x = rng.integers(0, 60, (len(y), 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 2 * c:2 * c + 3] = 250
        return x
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez(f, x_train=images(y_train), y_train=y_train, x_test=images(y_test), y_test=y_test)


@pytest.fixture
def offline_keras_home(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return tmp_path / "keras_home"


def test_demo_trains_on_mnist_from_the_keras_cache(offline_keras_home, monkeypatch, capsys):
    import hashlib

    from ktensor import demo
    from ktensor.keras.datasets import _cache

    path = offline_keras_home / "datasets" / "mnist.npz"
    _fake_mnist(path)
    # the real file's published SHA-256 cannot match this small one: the test, not the library, says it is valid
    monkeypatch.setitem(_cache.KNOWN_SHA256, "mnist.npz", hashlib.sha256(path.read_bytes()).hexdigest())
    status = demo.main(["--dataset", "mnist", "--epochs", "2", "--batch-size", "16"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "mnist: 96 training and 32 test images of 784 features" in out
    assert out.count("Epoch ") == 2 and re.search(r"^6/6 ━{20} .* val_loss: \d\.\d{4}", out, re.M)
    m = re.search(r"test accuracy: ([0-9.]+)", out)
    assert m and 0.0 <= float(m.group(1)) <= 1.0
    # --min-accuracy turns the exit status into a check
    assert demo.main(["--dataset", "mnist", "--epochs", "1", "--min-accuracy", "1.01"]) == 1


def test_demo_without_network_or_cache_says_where_to_put_the_file(offline_keras_home, capsys):
    from ktensor import demo

    assert demo.main(["--dataset", "fashion_mnist", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "cannot load the fashion_mnist dataset" in err
    assert "train-labels-idx1-ubyte.gz" in err and "https://" in err and str(offline_keras_home) in err


def test_demo_rejects_an_unknown_dataset(capsys):
    from ktensor import demo

    with pytest.raises(SystemExit):
        demo.main(["--dataset", "imagenet"])
    assert "invalid choice" in capsys.readouterr().err
