"""keras.saving.save_model / load_model: `.keras` (Keras 3 zip) and `.h5` (legacy Keras HDF5)."""
import os

from . import keras_zip, legacy_h5
from ._state import LoadError


def save_model(model, filepath, overwrite=True, zipped=None, include_optimizer=True, **kwargs):
    """Saves architecture, weights, compile config and optimizer state; `.keras` or `.h5`/`.hdf5`."""
    if kwargs.pop("save_format", None) not in (None, "keras", "h5", "tf"):
        raise ValueError("save_format is not supported: the format follows the file extension")
    if kwargs:
        raise TypeError(f"save_model() got unexpected arguments: {sorted(kwargs)}")
    path = os.fspath(filepath)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' exists and overwrite=False")
    if path.endswith(".keras"):
        keras_zip.save(model, path, include_optimizer=include_optimizer)
    elif path.endswith((".h5", ".hdf5")):
        if path.endswith(".weights.h5"):
            raise ValueError(f"'{path}' is a weights file name: use model.save_weights(), or a '.keras' / '.h5' name "
                             "for the whole model")
        legacy_h5.save(model, path, include_optimizer=include_optimizer)
    else:
        raise ValueError(f"Invalid filepath extension for saving: '{path}'. Use a `.keras` extension (Keras 3 "
                         "format) or `.h5` (legacy HDF5).")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """The model saved in a `.keras` or `.h5` file, compiled (with its optimizer state) if it was."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"File not found: filepath={path}. Please ensure the file is an accessible `.keras` "
                                "zip file or `.h5` file.")
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic.startswith(b"PK"):
        return keras_zip.load(path, custom_objects, compile)
    if magic.startswith(b"\x89HDF"):
        return legacy_h5.load(path, custom_objects, compile)
    if path.endswith((".keras", ".h5", ".hdf5")):
        raise LoadError(f"Cannot load '{path}': the file is empty, corrupted or truncated (neither a zip nor an HDF5 "
                        "file)")
    raise ValueError(f"File format not supported: filepath={path}. Keras 3 supports `.keras` files and legacy `.h5` "
                     "files.")


def _check_classes(config, path, custom_objects):
    """Raises a LoadError naming the layer and its class when the config holds an unknown layer class."""
    from .. import layers
    known = set(layers._CLASSES) | {"Sequential", "Functional", "Model"} | set(custom_objects or {})

    def walk(c):
        if not isinstance(c, dict) or "class_name" not in c:
            return
        name = c["class_name"]
        if name not in known:
            layer = (c.get("config") or {}).get("name", "?")
            raise LoadError(f"Cannot load '{path}': layer '{layer}' has unknown class '{name}' (ktensor supports "
                            f"{', '.join(sorted(known))}; pass custom_objects for your own classes)")
        for sub in (c.get("config") or {}).get("layers", []) or []:
            walk(sub)

    walk(config)


def _drop_new_initializer_keys(c):
    """Keras 3.15 writes input_axes/output_axes (null) into VarianceScaling-family initializer configs."""
    if isinstance(c, dict):
        if c.get("module") == "keras.initializers" and isinstance(c.get("config"), dict):
            for k in ("input_axes", "output_axes"):
                if c["config"].get(k, 0) is None:
                    del c["config"][k]
        for v in c.values():
            _drop_new_initializer_keys(v)
    elif isinstance(c, list):
        for v in c:
            _drop_new_initializer_keys(v)


def model_from_saved_config(config, path, custom_objects=None):
    from ..layers import deserialize
    from ..models.functional import strip_keras_mask_nodes
    _drop_new_initializer_keys(config)
    config = strip_keras_mask_nodes(config)
    _check_classes(config, path, custom_objects)
    try:
        model = deserialize(config, custom_objects)
    except (ValueError, TypeError, KeyError) as e:
        raise LoadError(f"Cannot load '{path}': the model config cannot be rebuilt: {e}") from None
    return model
