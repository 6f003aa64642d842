"""The legacy Keras HDF5 full-model file (`.h5`): attrs model_config, training_config,
keras_version, backend; model_weights/<layer>/<weight name> with `weight_names` attributes
(one group per entry of model.layers, weights in trainable + non-trainable order); and
optimizer_weights/<name> in the Keras 3 optimizer order."""
import json

import h5py
import numpy as np

from . import _state, weights_h5
from ._state import LoadError


_LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
                 "msle": "mean_squared_logarithmic_error"}


def _names_attr(names):
    return np.array([n.encode("utf-8") for n in names]) if names else np.array([], dtype=np.float64)


def _read_names(group, attr):
    return [n.decode("utf-8") if hasattr(n, "decode") else str(n) for n in group.attrs.get(attr, [])]


def _legacy_weights(layer):
    return list(layer.trainable_weights) + list(layer.non_trainable_weights) if layer.trainable else list(
        layer.weights)


def _unique(names):
    out, seen = [], set()
    for n in names:
        m, k = n, 1
        while m in seen:
            m, k = f"{n}_{k}", k + 1
        seen.add(m)
        out.append(m)
    return out


def save(model, filepath, include_optimizer=True):
    from ..layers import serialize
    model_config = serialize(model)
    compiled = _state.compile_config(model)

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = _state.KERAS_VERSION
            f.attrs["model_config"] = json.dumps(model_config)
            if compiled is not None:
                training = {k: v for k, v in compiled.items() if k != "optimizer"}
                training["loss"] = _LOSS_ALIASES.get(training["loss"], training["loss"])  # Keras 3 can't read 'mse' here
                training["optimizer_config"] = {"class_name": compiled["optimizer"]["class_name"],
                                                "config": compiled["optimizer"]["config"]}
                f.attrs["training_config"] = json.dumps(training)
            g = f.create_group("model_weights")
            write_model_weights(g, model)
            if include_optimizer and compiled is not None:
                og = f.create_group("optimizer_weights")
                named = _state.optimizer_variables(model.optimizer)
                names = _unique([n for n, _ in named])
                og.attrs["weight_names"] = _names_attr(names)
                for n, (_, v) in zip(names, named):
                    og.create_dataset(n, data=v.numpy())

    _state.atomic_write(filepath, write)


def write_model_weights(g, model):
    layers = list(model.layers)
    g.attrs["backend"] = "tensorflow"
    g.attrs["keras_version"] = _state.KERAS_VERSION
    g.attrs["layer_names"] = _names_attr([l.name for l in layers])
    for layer in layers:
        lg = g.create_group(layer.name)
        weights = _legacy_weights(layer)
        names = _unique([f"{model.name}/{getattr(w, 'path', None) or (layer.name + '/' + w.name)}"
                         if not getattr(w, "path", "").startswith(model.name + "/") else w.path for w in weights])
        lg.attrs["weight_names"] = _names_attr(names)
        for n, w in zip(names, weights):
            lg.create_dataset(n, data=np.asarray(w.numpy()))
    g.create_group("top_level_model_weights").attrs["weight_names"] = _names_attr([])


def read_weight_pairs(f, model, path):
    """[(where, variable, value)] from a legacy file's model_weights, matched by layer order
    (layers without weights skipped), as Keras does."""
    g = f["model_weights"] if "model_weights" in f else f
    try:
        names = [n for n in _read_names(g, "layer_names") if _read_names(g[n], "weight_names")]
        layers = [l for l in model.layers if _legacy_weights(l)]
        if len(names) != len(layers):
            raise LoadError(f"Cannot load '{path}': the file has weights for {len(names)} layers ({names}) but the "
                            f"model has {len(layers)} layers with weights ({[l.name for l in layers]})")
        pairs = []
        for name, layer in zip(names, layers):
            wnames = _read_names(g[name], "weight_names")
            weights = _legacy_weights(layer)
            if len(wnames) != len(weights):
                raise LoadError(f"Cannot load '{path}': {_state.describe(layer)} expects {len(weights)} weights, "
                                f"the file has {len(wnames)} for layer '{name}'")
            for wn, w in zip(wnames, weights):
                pairs.append((f"{_state.describe(layer)} weight '{w.name}'", w, g[name][wn][()]))
        return pairs
    except LoadError:
        raise
    except (OSError, KeyError, ValueError) as e:
        raise LoadError(f"Cannot load '{path}': the file is corrupted or truncated: {e}") from None


def load(filepath, custom_objects=None, compile=True):
    from . import saving_api
    with weights_h5.open_h5(filepath) as f:
        try:
            raw = f.attrs.get("model_config")
            if raw is None:
                raise LoadError(f"Cannot load '{filepath}': no model found in config file (a weights-only file? "
                                "use model.load_weights)")
            config = json.loads(raw.decode("utf-8") if hasattr(raw, "decode") else raw)
            training = f.attrs.get("training_config")
            training = json.loads(training.decode("utf-8") if hasattr(training, "decode") else training) \
                if training is not None else None
        except LoadError:
            raise
        except (OSError, KeyError, ValueError) as e:
            raise LoadError(f"Cannot load '{filepath}': the file is corrupted or truncated: {e}") from None
        model = saving_api.model_from_saved_config(config, filepath, custom_objects)
        pairs = read_weight_pairs(f, model, filepath)
        if compile and training:
            opt = training.get("optimizer_config")
            cc = {k: training.get(k) for k in ("loss", "metrics")}
            cc["optimizer"] = {"module": "keras.optimizers", "registered_name": None, **opt} if opt else None
            _state.compile_from_config(model, cc, custom_objects)
            if "optimizer_weights" in f:
                pairs.extend(_optimizer_pairs(f["optimizer_weights"], model, filepath))
    _state.check_and_assign(filepath, pairs)
    if model.optimizer is not None:
        _state.after_optimizer_load(model.optimizer)
    return model


def _optimizer_pairs(g, model, path):
    try:
        values = [g[n][()] for n in _read_names(g, "weight_names")]
    except (OSError, KeyError, ValueError) as e:
        raise LoadError(f"Cannot load '{path}': the optimizer weights are corrupted or truncated: {e}") from None
    opt = model.optimizer
    if len(values) > 2:
        _state.build_optimizer(model)
    variables = _state.optimizer_variables(opt)
    if len(values) > 2 and len(values) != len(variables):
        raise LoadError(f"Cannot load '{path}': optimizer '{opt.name}' has {len(variables)} variables but the file "
                        f"has {len(values)}")
    return [(f"optimizer '{opt.name}' variable '{n}'", v, x) for (n, v), x in zip(variables, values)]
