"""The Keras 3 `.keras` file: a zip of config.json (the model's config with its compile_config),
metadata.json and model.weights.h5 (layout in weights_h5.py)."""
import datetime
import io
import json
import zipfile

import h5py

from . import _state, weights_h5
from ._state import LoadError


def save(model, filepath, include_optimizer=True):
    from ..layers import serialize
    config = serialize(model)
    config["module"] = "keras" if type(model).__name__ == "Sequential" else config.get("module", "keras")
    compiled = _state.compile_config(model)
    if compiled is not None:
        config["compile_config"] = compiled
    metadata = {"keras_version": _state.KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        weights_h5.write_to_group(f, model, include_optimizer=include_optimizer)

    def write(tmp):
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("metadata.json", json.dumps(metadata))
            z.writestr("config.json", json.dumps(config))
            z.writestr("model.weights.h5", buf.getvalue())

    _state.atomic_write(filepath, write)


def load(filepath, custom_objects=None, compile=True):
    from . import saving_api
    try:
        with zipfile.ZipFile(filepath, "r") as z:
            names = set(z.namelist())
            for needed in ("config.json", "model.weights.h5"):
                if needed not in names:
                    raise LoadError(f"Cannot load '{filepath}': not a Keras model file ({needed} is missing)")
            config = json.loads(z.read("config.json").decode("utf-8"))
            weights = z.read("model.weights.h5")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, (LoadError, FileNotFoundError)):
            raise
        raise LoadError(f"Cannot load '{filepath}': the file is corrupted or truncated ({type(e).__name__}: {e})") \
            from None
    model = saving_api.model_from_saved_config(config, filepath, custom_objects)
    if compile and config.get("compile_config"):
        _state.compile_from_config(model, config["compile_config"], custom_objects)
    with weights_h5.open_h5(filepath, io.BytesIO(weights)) as f:
        pairs = weights_h5._read(f, model, filepath)
    _state.check_and_assign(filepath, pairs)
    if model.optimizer is not None:
        _state.after_optimizer_load(model.optimizer)
    return model


def load_weights_into(model, filepath):
    """model.load_weights('x.keras'): the weights (and optimizer state) of a `.keras` file."""
    try:
        with zipfile.ZipFile(filepath, "r") as z:
            weights = z.read("model.weights.h5")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, KeyError, EOFError, OSError) as e:
        raise LoadError(f"Cannot load '{filepath}': the file is corrupted or truncated ({e})") from None
    with weights_h5.open_h5(filepath, io.BytesIO(weights)) as f:
        pairs = weights_h5._read(f, model, filepath)
    _state.check_and_assign(filepath, pairs)
    if getattr(model, "optimizer", None) is not None:
        _state.after_optimizer_load(model.optimizer)
