"""What every file format shares: the Keras 3 names of a model's layers and of its optimizer's
variables, compile configs, atomic writes, and the 'read everything, check, then assign' rule
that keeps a failed load from changing anything."""
import os
import tempfile

import numpy as np

from ..utils.naming import to_snake_case

KERAS_VERSION = "3.15.1"  # the Keras version whose files we write (the format, not a dependency)


class LoadError(ValueError):
    """A file that cannot be loaded: corrupted, truncated, or not matching the model."""


# -- atomic writes --
def atomic_write(path, write):
    """Calls write(tmp_path) on a temporary file beside `path`, then renames it over `path`, so a
    crash leaves either the old file or the new one, never a partial file."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- layer tree, Keras 3 names: layers/<snake_case(class)>[_n]/vars/<i> --
def _is_model(layer):
    from ..models.model import Model
    return isinstance(layer, Model)


def _is_subclassed(model):
    from ..models.functional import Functional
    from ..models.sequential import Sequential
    return _is_model(model) and not isinstance(model, (Functional, Sequential))


def _walks_attributes(layer):
    """Saved as Keras walks objects: a subclassed model, or any layer holding sub-layers (TimeDistributed's
    `layer`, an RNN's `cell`, a user's layer class), each sub-layer under the attribute holding it."""
    if _is_model(layer):
        return _is_subclassed(layer)
    return bool(layer._layers)


def _own_variables(layer):
    """A leaf layer's variables in Keras order (creation order, trainable first as in `weights`)."""
    if _walks_attributes(layer):  # only what it added with add_weight itself; its sub-layers come below
        own = layer._own_weights
        return [w for w in own if w._created_trainable] + [w for w in own if not w._created_trainable]
    return [] if _is_model(layer) else list(layer.weights)


def layer_tree(model, prefix="", visited=None):
    """[(group path, layer, variables)] for `model` and every layer under it, Keras 3 layout."""
    visited = set() if visited is None else visited
    visited.add(id(model))
    out = [(prefix + "vars" if prefix else "vars", model, _own_variables(model))]
    if _walks_attributes(model):
        _attribute_layers(model, prefix, visited, out)
        return out
    if not _is_model(model):
        return out
    seen = {}
    for layer in _saved_layers(model):
        base = to_snake_case(type(layer).__name__)
        n = seen.get(base, 0)
        seen[base] = n + 1
        key = base if n == 0 else f"{base}_{n}"
        sub = f"{prefix}layers/{key}/"
        out.extend(layer_tree(layer, sub, visited))
    return out


# A subclassed model (or a user's layer with sub-layers) is saved as Keras 3 walks it: each attribute
# holding a layer (or a list / tuple / dict of layers) in sorted order, private names last, a layer under
# its attribute name and the items of a container under <snake_case(class)>[_n]; a layer reachable twice
# is saved at its first path only.
def _attr_key(name):
    return "~" + name if name.startswith("_") else name


def _attribute_layers(model, prefix, visited, out):
    attrs = vars(model)
    for name in sorted(attrs, key=_attr_key):
        if name == "_layers":  # the tracking list itself
            continue
        value = attrs[name]
        if _is_layer(value):
            _add_layer(value, f"{prefix}{name}/", visited, out)
        elif isinstance(value, (list, tuple, dict)):
            _add_container(value, f"{prefix}{name}/", visited, out, set())


def _is_layer(value):
    from ..layers.layer import Layer
    return isinstance(value, Layer)


def _add_layer(layer, prefix, visited, out):
    if id(layer) not in visited:
        out.extend(layer_tree(layer, prefix, visited))


def _add_container(container, prefix, visited, out, containers):
    if id(container) in containers:
        return
    containers.add(id(container))
    used = {}

    def unique(base):
        used[base] = used[base] + 1 if base in used else 0
        return base if used[base] == 0 else f"{base}_{used[base]}"
    for item in (container.values() if isinstance(container, dict) else container):
        if _is_layer(item):
            _add_layer(item, f"{prefix}{unique(to_snake_case(type(item).__name__))}/", visited, out)
        elif isinstance(item, (list, tuple, dict)):
            _add_container(item, f"{prefix}{unique('container')}/", visited, out, containers)


def _saved_layers(model):
    """Keras saves `model.layers`: Sequential without its InputLayer, Functional with them."""
    return list(model.layers)


# -- optimizer variables in Keras 3 order: iteration, learning_rate, then slots --
_SLOT_GROUPS = {  # class -> groups; within a group slots interleave per variable; groups follow one another
    "Adam": lambda o: [["momentum", "velocity"]] + ([["velocity_hat"]] if o.amsgrad else []),
    "AdamW": lambda o: [["momentum", "velocity"]] + ([["velocity_hat"]] if o.amsgrad else []),
    "RMSprop": lambda o: [["velocity"]] + ([["momentum"]] if o.momentum else []) + (
        [["average_gradient"]] if o.centered else []),
    "SGD": lambda o: [["momentum"]] if o.momentum else [],
    "Adagrad": lambda o: [["accumulator"]],
    "Nadam": lambda o: [["momentum", "velocity"]],
    "Adamax": lambda o: [["m", "u"]],
}


class _HostScalar:
    """An optimizer value kept on the host (learning rate, Nadam's u product) seen as a variable."""

    def __init__(self, name, dtype, get, set_):
        self.name, self.dtype, self._get, self._set = name, dtype, get, set_
        self.shape = ()

    def numpy(self):
        return np.asarray(self._get(), dtype=self.dtype)

    def assign(self, value):
        self._set(np.asarray(value).item())


def _set_lr(opt, value):
    from ..optimizers import schedules
    if not isinstance(opt._learning_rate, schedules.LearningRateSchedule) and not callable(opt._learning_rate):
        opt._learning_rate = float(value)


def _set_u_product(opt, value):
    pass  # Nadam's u product is a function of the step: recomputed after loading (after_optimizer_load)


def optimizer_variables(opt):
    """The optimizer's state in Keras 3 order: [(name, variable-like)] with .numpy(), .assign(), .shape."""
    lr_value = lambda: opt._current_lr()  # noqa: E731
    out = [(f"{opt.name}/iteration", opt.iterations),
           (f"{opt.name}/learning_rate", _HostScalar("learning_rate", "float32", lr_value,
                                                     lambda v: _set_lr(opt, v)))]
    variables = list(opt._trainable_variables)
    groups = _SLOT_GROUPS.get(type(opt).__name__)
    if groups is not None:
        groups = groups(opt)
    elif variables:
        groups = [list(opt._slots[id(variables[0])])]
    else:
        groups = []
    for group in groups:
        for v in variables:
            for slot_name in group:
                slot = opt._slots[id(v)].get(slot_name)
                if slot is not None:
                    out.append((f"{opt.name}/{slot.name}", slot))
    if type(opt).__name__ == "Nadam" and variables:
        out.append((f"{opt.name}/u_product", _HostScalar("u_product", "float32", lambda: opt._u_product_at(opt._step),
                                                         lambda v: _set_u_product(opt, v))))
    return out


def build_optimizer(model):
    """Creates the optimizer's slots for the model's trainable weights (as the first step would)."""
    opt = model.optimizer
    if opt is not None and not opt._trainable_variables and model.trainable_weights:
        opt.build(model.trainable_weights)


def after_optimizer_load(opt):
    opt._step = int(np.asarray(opt.iterations.numpy()).item())
    if hasattr(opt, "_u_product"):  # Nadam: recomputed from the step on the next update
        opt._u_product, opt._u_step = 1.0, 0


# -- compile configs --
def compile_config(model):
    """Keras 3 compile_config ({'optimizer', 'loss', 'metrics', ...}) or None if not compiled."""
    if not getattr(model, "compiled", False) or model.optimizer is None:
        return None
    from .. import losses, metrics, optimizers
    args = getattr(model, "_compile_args", {}) or {}

    def ser(obj, serialize):  # names stay strings; lists and dicts (per output) keep their structure
        if obj is None or isinstance(obj, (str, int, float)):
            return obj
        if isinstance(obj, (list, tuple)):
            return [ser(x, serialize) for x in obj]
        if isinstance(obj, dict):
            return {k: ser(v, serialize) for k, v in obj.items()}
        return serialize(obj)

    def listed(m):
        return [m] if m is not None and not isinstance(m, (list, tuple, dict)) else m

    return {"optimizer": optimizers.serialize(model.optimizer), "loss": ser(model.loss, losses.serialize),
            "loss_weights": ser(args.get("loss_weights"), None),
            "metrics": ser(listed(args.get("metrics")), metrics.serialize),
            "weighted_metrics": ser(listed(args.get("weighted_metrics")), metrics.serialize),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def compile_from_config(model, config, custom_objects=None):
    from .. import optimizers
    opt = config.get("optimizer")
    if isinstance(opt, dict):
        opt = optimizers.deserialize(opt, custom_objects)
    loss = config.get("loss")
    model.compile(optimizer=opt if opt is not None else "rmsprop", loss=loss, metrics=config.get("metrics"),
                  loss_weights=config.get("loss_weights"), weighted_metrics=config.get("weighted_metrics"))


# -- checks: every value read and checked before anything is assigned --
def check_and_assign(path, pairs):
    """pairs: [(where, variable, value)]. Checks every shape, then assigns all values."""
    for where, var, value in pairs:
        got, want = tuple(np.shape(value)), tuple(var.shape)
        if got != want:
            raise LoadError(f"Cannot load '{path}': {where} has shape {got} in the file but {want} in the model")
    for _, var, value in pairs:
        var.assign(np.asarray(value))


def describe(layer):
    return f"layer '{layer.name}' ({type(layer).__name__})"
