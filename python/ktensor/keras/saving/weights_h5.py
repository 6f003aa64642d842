"""The Keras 3 weights file (`.weights.h5`, and `model.weights.h5` inside a `.keras` zip):
layers/<snake_case(class)>[_n]/vars/<i> for each layer (nested models recurse), the optimizer
under optimizer/vars/<i> (iteration, learning_rate, then slots), and the model's own vars."""
import os

import h5py
import numpy as np

from . import _state
from ._state import LoadError


def write_to_group(f, model, include_optimizer=True):
    for path, layer, variables in _state.layer_tree(model):
        g = f.require_group(path)
        g.attrs["name"] = layer.name
        for i, v in enumerate(variables):
            g.create_dataset(str(i), data=np.asarray(v.numpy()))
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None:
        g = f.require_group("optimizer/vars")
        g.attrs["name"] = opt.name
        for i, (_, v) in enumerate(_state.optimizer_variables(opt)):
            g.create_dataset(str(i), data=v.numpy())


def read_pairs(f, model, path, include_optimizer=True):
    """[(where, variable, value)] for every variable of `model` (and its optimizer), all read from
    the open h5 file `f` before anything is assigned. Missing groups or shape mismatches raise."""
    pairs = []
    for group, layer, variables in _state.layer_tree(model):
        if not variables:
            continue
        if group not in f:
            raise LoadError(f"Cannot load '{path}': no weights for {_state.describe(layer)} in the file "
                            f"(expected group '{group}')")
        g = f[group]
        keys = sorted((k for k in g.keys()), key=lambda k: int(k) if k.isdigit() else 1 << 30)
        if len(keys) != len(variables):
            raise LoadError(f"Cannot load '{path}': {_state.describe(layer)} expects {len(variables)} variables, "
                            f"the file has {len(keys)} in '{group}'")
        for i, (k, v) in enumerate(zip(keys, variables)):
            pairs.append((f"{_state.describe(layer)} variable {i} ('{v.name}')", v, g[k][()]))
    opt = getattr(model, "optimizer", None)
    if include_optimizer and opt is not None and "optimizer/vars" in f:
        pairs.extend(optimizer_pairs(f["optimizer/vars"], model, path))
    return pairs


def optimizer_pairs(g, model, path):
    """Optimizer values from an optimizer/vars group; an optimizer that was never built in the file
    (only iteration and learning rate) leaves the slots at zero."""
    opt = model.optimizer
    values = [g[str(i)][()] for i in range(len(g.keys()))]
    if len(values) <= 2:  # saved before the first step: no slots
        return [(f"optimizer '{opt.name}' {n}", v, x) for (n, v), x in zip(_state.optimizer_variables(opt), values)]
    _state.build_optimizer(model)
    variables = _state.optimizer_variables(opt)
    if len(values) != len(variables):
        raise LoadError(f"Cannot load '{path}': optimizer '{opt.name}' has {len(variables)} variables but the file "
                        f"has {len(values)} (saved with a different optimizer configuration?)")
    return [(f"optimizer '{opt.name}' variable '{n}'", v, x) for (n, v), x in zip(variables, values)]


def save_weights(model, filepath, overwrite=True):
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={filepath}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False")

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            write_to_group(f, model)

    _state.atomic_write(filepath, write)


def open_h5(path, source=None):
    """An open h5py.File, or a LoadError naming the file when it is not readable HDF5."""
    try:
        return h5py.File(source if source is not None else path, "r")
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as e:
        raise LoadError(f"Cannot load '{path}': not a readable HDF5 file (corrupted or truncated?): {e}") from None


def load_weights(model, filepath, skip_mismatch=False):
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: '{filepath}'")
    with open_h5(filepath) as f:
        if "model_weights" in f or "layer_names" in f.attrs:  # a legacy Keras HDF5 file
            from . import legacy_h5
            pairs = legacy_h5.read_weight_pairs(f, model, filepath)
        else:
            pairs = _read(f, model, filepath)
    _state.check_and_assign(filepath, pairs)
    if getattr(model, "optimizer", None) is not None:
        _state.after_optimizer_load(model.optimizer)


def _read(f, model, path):
    try:
        return read_pairs(f, model, path)
    except LoadError:
        raise
    except (OSError, KeyError, ValueError) as e:
        raise LoadError(f"Cannot load '{path}': the file is corrupted or truncated: {e}") from None
