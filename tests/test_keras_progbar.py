import io
import re

import numpy as np
import pytest

from ktensor import keras
from ktensor.keras.utils.progbar import Progbar

BAR = "\u2501" * 20
STEP_TIME = r"\d+(?:s|ms|us)/step"


def model_and_data():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 4)).astype("float32")
    y = rng.integers(0, 2, 100)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_fit_verbose_1_not_a_terminal(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=32, epochs=2, validation_split=0.2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    pattern = (rf"^3/3 {BAR} \d+s {STEP_TIME} - accuracy: \d\.\d{{4}} - loss: \d\.\d{{4}} - "
               rf"val_accuracy: \d\.\d{{4}} - val_loss: \d\.\d{{4}}$")
    for line in (lines[1], lines[3]):
        assert re.match(pattern, line), line
        assert "\r" not in line and "\x1b" not in line


def test_single_epoch_has_no_epoch_line_like_keras(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=10, epochs=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out
    assert re.match(rf"^10/10 {BAR} \d+s {STEP_TIME} - accuracy: [\d.]+ - loss: [\d.]+\n$", out), out


def test_fit_verbose_2_and_0(capsys):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=32, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert re.match(rf"^4/4 - \d+s - {STEP_TIME} - accuracy: \d\.\d{{4}} - loss: \d\.\d{{4}}$", lines[1]), lines[1]
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_bars(capsys):
    model, x, y = model_and_data()
    model.evaluate(x, y, batch_size=25)
    model.predict(x, batch_size=50)
    lines = capsys.readouterr().out.splitlines()
    assert re.match(rf"^4/4 {BAR} \d+s {STEP_TIME} - accuracy: [\d.]+ - loss: [\d.]+$", lines[0]), lines[0]
    assert re.match(rf"^2/2 {BAR} \d+s {STEP_TIME}$", lines[1]), lines[1]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_terminal_redraws_in_place_with_keras_colours():
    stream = FakeTerminal()
    bar = Progbar(target=10, stream=stream, interval=0.0)
    for i in range(1, 10):
        bar.update(i, [("loss", 1.0 / i)], finalize=False)
    bar.update(10, [("accuracy", 0.5), ("loss", 0.1)], finalize=True)
    out = stream.getvalue()
    assert out.count("\r") == 10 and out.endswith("\n") and out.count("\n") == 1
    first = out.split("\r")[1]
    assert first.startswith("\x1b[1m 1/10\x1b[0m \x1b[32m\u2501\u2501\x1b[0m\x1b[37m" + "\u2501" * 18 + "\x1b[0m")
    last = re.sub(r"\x1b\[\d+m", "", out.split("\r")[-1])
    assert re.match(rf"^10/10 {BAR} \d+s {STEP_TIME} - loss: 0\.1000 - accuracy: 0\.5000\s*\n$", last), last


def test_number_formats():
    from ktensor.keras.utils.progbar import format_eta, format_step_time, format_value
    assert format_value(0.12345) == "0.1235" and format_value(0.0) == "0.0000e+00"
    assert format_value(2e-4) == "2.0000e-04"
    assert format_step_time(0.006) == "6ms/step" and format_step_time(2.2) == "2s/step"
    assert format_step_time(0.0000451) == "45us/step"
    assert format_eta(5.7) == "5s" and format_eta(125) == "2:05" and format_eta(3725) == "1:02:05"


def test_metrics_are_alphabetical_in_fit_logs(capsys):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mse", "mae"])
    model.fit(x, x[:, :1], verbose=1)
    line = capsys.readouterr().out.strip()
    assert [m for m in re.findall(r" - (\w+):", line)] == ["loss", "mae", "mse"]


@pytest.mark.parametrize("verbose", ["auto", 1])
def test_verbose_auto_is_1(capsys, verbose):
    model, x, y = model_and_data()
    model.evaluate(x, y, verbose=verbose)
    assert BAR in capsys.readouterr().out
