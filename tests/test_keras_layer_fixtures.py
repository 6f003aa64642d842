"""Models of the convolutional, pooling, normalization, embedding and recurrent layers saved by real
Keras 3 (tools/make_keras_layer_fixtures.py) load in ktensor and predict what Keras predicted, and
ktensor's own files of them load back in Keras (when keras is installed): the weight layouts and
configs map one to one."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ktensor import keras

FIXTURES = Path(__file__).parent / "fixtures"
NAMES = ("image", "sequence", "conv1d")
HAVE_KERAS = importlib.util.find_spec("keras") is not None


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("name", NAMES)
def test_keras_written_layer_models_predict_the_same(name, ext):
    e = np.load(FIXTURES / "keras_layers_expected.npz")
    m = keras.models.load_model(FIXTURES / f"keras_layers_{name}{ext}")
    np.testing.assert_allclose(m.predict(e[f"{name}_x"], verbose=0), e[f"{name}_y"], rtol=1e-4, atol=2e-5)


_KERAS_CHECK = """
import sys, numpy as np, keras
for path, x, pred in zip(sys.argv[1::3], sys.argv[2::3], sys.argv[3::3]):
    m = keras.models.load_model(path)
    d = float(np.abs(m.predict(np.load(x), verbose=0) - np.load(pred)).max())
    assert d < 2e-5, (path, d)
print('ok')
"""


@pytest.mark.skipif(not HAVE_KERAS, reason="keras is not installed")
def test_ktensor_written_layer_models_load_in_real_keras(tmp_path):
    e = np.load(FIXTURES / "keras_layers_expected.npz")
    args = []
    for name in NAMES:
        m = keras.models.load_model(FIXTURES / f"keras_layers_{name}.keras")
        x = e[f"{name}_x"]
        m.compile(optimizer="sgd", loss="mse")
        m.fit(x, m.predict(x, verbose=0) * 0.5, epochs=1, batch_size=4, verbose=0)  # change the weights
        np.save(tmp_path / f"{name}_x.npy", x)
        np.save(tmp_path / f"{name}_p.npy", m.predict(x, verbose=0))
        for ext in (".keras", ".h5"):
            m.save(tmp_path / f"{name}{ext}")
            args += [str(tmp_path / f"{name}{ext}"), str(tmp_path / f"{name}_x.npy"), str(tmp_path / f"{name}_p.npy")]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", _KERAS_CHECK, *args], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
