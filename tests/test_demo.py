"""The main job: `python -m ktensor.demo` trains on the bundled digits and reaches >= 0.95 test accuracy."""
import re
import subprocess
import sys


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
