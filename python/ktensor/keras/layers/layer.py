"""The Layer base class (Keras 3 contract).

`__init__` stores configuration only; `build(input_shape)` creates weights with `add_weight`;
`call(inputs, training=None)` computes; `__call__` builds on first use. Layers assigned as
attributes are tracked, so their weights and losses belong to the outer layer too.

Masking (Keras 3): a mask is a bool tensor (batch, time) attached to a tensor as `_keras_mask`.
`__call__` passes the input's mask as `mask=` to a call() that takes a `mask` argument (unless one
is given), and when `supports_masking` is true attaches `compute_mask(inputs, mask)` to the
outputs that carry no mask yet. Without a mask this costs one attribute lookup.
"""
import contextlib
import inspect
import math
import threading
import warnings

import numpy as np

import ktensor as kt

from .. import backend, initializers, regularizers
from ..utils import naming

_LEGACY_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")


class _CallContext(threading.local):
    def __init__(self):
        self.training = []  # `training` of the calls in progress, outermost first


_context = _CallContext()
_takes_training = {}  # layer class -> whether its call() accepts `training`
_takes_mask = {}  # layer class -> whether its call() has a `mask` parameter


def get_mask(x):
    """The Keras mask attached to a tensor, or None."""
    return getattr(x, "_keras_mask", None)


def _leaves(x):
    """The leaves of a nested list / tuple / dict, in order (a single value as a list of one)."""
    if isinstance(x, (list, tuple)):
        return [t for e in x for t in _leaves(e)]
    if isinstance(x, dict):
        return [t for k in x for t in _leaves(x[k])]
    return [x]


def _masks_of(inputs):
    """The mask of a tensor, or the structure of masks of several inputs (None when none has one)."""
    if isinstance(inputs, kt.Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple, dict)) and any(get_mask(t) is not None for t in _leaves(inputs)):
        from .input_layer import map_structure
        return map_structure(get_mask, inputs)
    return None


def _dtype_name(dtype):
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict):  # a Keras 3 DTypePolicy config
        return dtype.get("config", {}).get("name", backend.floatx())
    return kt.as_dtype(dtype).name


def _to_tensor(x):
    if isinstance(x, kt.Tensor):
        return x
    if isinstance(x, (list, tuple)) and x and all(isinstance(e, (kt.Tensor, np.ndarray)) for e in x):
        return type(x)(_to_tensor(e) for e in x)  # several inputs (a merge layer, a multi-input model)
    if isinstance(x, dict):
        return {k: _to_tensor(v) for k, v in x.items()}
    return kt.convert_to_tensor(x)


def _shape_of(x):
    if isinstance(x, kt.Tensor):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return [_shape_of(e) for e in x]
    if isinstance(x, dict):
        return {k: _shape_of(v) for k, v in x.items()}
    return None


class _ShapeLeaf:
    def __init__(self, shape):
        self.shape = shape


def _shapes_as_leaves(struct):
    """A structure of shapes with each shape wrapped, so that shapes (tuples) are not walked into."""
    from .input_layer import is_shape

    if is_shape(struct):
        return _ShapeLeaf(tuple(struct))
    if isinstance(struct, (list, tuple)):
        return [_shapes_as_leaves(s) for s in struct]
    if isinstance(struct, dict):
        return {k: _shapes_as_leaves(v) for k, v in struct.items()}
    raise ValueError(f"Not a shape or a structure of shapes: {struct!r}")


def _is_symbolic(inputs):
    """Whether a call's inputs hold KerasTensors (the call then builds a functional graph node)."""
    from .input_layer import KerasTensor, flatten

    return any(isinstance(t, KerasTensor) for t in flatten(inputs))


class Layer:
    # Whether compute_mask runs after call() to attach the output mask (Keras 3); layers that pass masks
    # on set it True in __init__.
    supports_masking = False

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None,
                 **kwargs):
        unknown = sorted(set(kwargs) - set(_LEGACY_KWARGS))
        if unknown:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}")
        object.__setattr__(self, "_layers", [])
        self.name = name or naming.auto_name(self)
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(f"Invalid layer name {self.name!r}: a name is a string without '/'")
        self._dtype = _dtype_name(dtype)
        self.autocast = autocast
        self._trainable = bool(trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self._own_weights = []  # creation order
        self._regularized = []  # (variable, regularizer)
        self._call_losses = []
        self._inbound_nodes = []  # the calls on KerasTensors (functional graph nodes)
        self._device = None
        self._build_shape = None
        self._input_shape_arg = None
        if type(self).compute_mask is not Layer.compute_mask and not type(self).supports_masking:
            self.supports_masking = True  # Keras 3: overriding compute_mask turns masking on
        if kwargs.get("batch_input_shape") is not None:
            self._input_shape_arg = tuple(kwargs["batch_input_shape"])
        elif kwargs.get("input_shape") is not None:
            self._input_shape_arg = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        elif kwargs.get("input_dim") is not None:
            self._input_shape_arg = (kwargs.get("batch_size"), int(kwargs["input_dim"]))

    # -- attribute tracking: sub-layers assigned as attributes (alone or in a list) --
    def __setattr__(self, name, value):
        items = value if isinstance(value, (list, tuple)) else [value]
        if items and all(isinstance(v, Layer) for v in items):
            layers = self.__dict__.get("_layers")
            if layers is None:
                raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning sub-layers")
            for v in items:
                if v is not self and all(v is not l for l in layers):
                    layers.append(v)
        object.__setattr__(self, name, value)

    # -- configuration --
    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: by default the input mask, passed through when supports_masking."""
        return mask if self.supports_masking else None

    @property
    def dtype(self):
        return self._dtype

    compute_dtype = variable_dtype = dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for v in self._own_weights:
            if getattr(v, "_created_trainable", False):
                v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.dtype},
                          "registered_name": None}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- weights --
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None, **kwargs):
        if isinstance(shape, str):  # Keras 2 style: add_weight('kernel', shape, ...)
            name, shape = shape, (initializer if isinstance(initializer, (tuple, list, int)) else kwargs.get("shape"))
            initializer = kwargs.get("initializer") if isinstance(initializer, (tuple, list, int)) else initializer
        if constraint is not None:
            raise NotImplementedError(f"{self.name}: weight constraints are not supported yet")
        shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(int(s) for s in shape))
        dtype = _dtype_name(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if kt.as_dtype(dtype).is_floating else "zeros"
        init = initializers.get(initializer)
        name = name or f"variable_{len(self._own_weights)}"
        value = init(shape, dtype=dtype)
        v = kt.Variable(value, trainable=trainable, name=name, dtype=dtype)
        v.path = f"{self.name}/{name}"
        v._created_trainable = bool(trainable)
        if trainable and not self._trainable:
            v.trainable = False
        self._own_weights.append(v)
        reg = regularizers.get(regularizer)
        if reg is not None:
            self._regularized.append((v, reg))
        return v

    @property
    def weights(self):
        own = [w for w in self._own_weights if w._created_trainable] + [
            w for w in self._own_weights if not w._created_trainable]
        out, seen = [], set()
        for w in own + [w for layer in self._layers for w in layer.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        return out

    variables = weights

    @property
    def trainable_weights(self):
        return [w for w in self.weights if w.trainable] if self.trainable else []

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        return [w for w in self.weights if not w.trainable] if self.trainable else self.weights

    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        mine = self.weights
        weights = list(weights)
        if len(weights) != len(mine):
            raise ValueError(f"Layer '{self.name}' expects {len(mine)} weights, but the provided list has "
                             f"{len(weights)} ({', '.join(getattr(w, 'path', w.name) for w in mine) or 'none'})")
        for w, value in zip(mine, weights):
            value = value.numpy() if isinstance(value, kt.Tensor) else value
            got = tuple(getattr(value, "shape", ()))
            if got != tuple(w.shape):
                raise ValueError(f"Layer '{self.name}' weight '{w.name}' has shape {tuple(w.shape)}, which is not "
                                 f"compatible with the provided weight shape {got}")
        for w, value in zip(mine, weights):
            w.assign(value.numpy() if isinstance(value, kt.Tensor) else value)

    def count_params(self):
        return sum(math.prod(w.shape) for w in self.weights)

    # -- losses --
    def add_loss(self, loss):
        self._call_losses.append(loss)

    @property
    def losses(self):
        """Losses added during the last call plus weight penalties (computed now, so inside a tape)."""
        out = list(self._call_losses) + [reg(v) for v, reg in self._regularized]
        for layer in self._layers:
            out.extend(layer.losses)
        return out

    # -- build and call --
    def build(self, input_shape):
        self.built = True

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self._ensure_built(config["input_shape"])

    def get_build_config(self):
        return {"input_shape": self._build_shape} if self._build_shape is not None else None

    def _ensure_built(self, input_shape):
        if self.built:
            return
        self._device = kt.config.default_device()
        self.build(input_shape)
        self.built = True
        self._build_shape = input_shape

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call()")

    def _call_takes_training(self):
        cls = type(self)
        if cls not in _takes_training:
            params = inspect.signature(cls.call).parameters
            _takes_training[cls] = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        return _takes_training[cls]

    def _call_takes_mask(self):
        cls = type(self)
        if cls not in _takes_mask:
            _takes_mask[cls] = "mask" in inspect.signature(cls.call).parameters
        return _takes_mask[cls]

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, kt.Tensor) and _is_symbolic(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        inputs = _to_tensor(inputs)
        input_mask = getattr(inputs, "_keras_mask", None) if isinstance(inputs, kt.Tensor) else _masks_of(inputs)
        if self.autocast and isinstance(inputs, kt.Tensor) and inputs.dtype.is_floating \
                and inputs.dtype.name != self.dtype:
            inputs = kt.cast(inputs, self.dtype)
            if input_mask is not None:
                inputs._keras_mask = input_mask  # the cast keeps the mask (Keras 3)
        previous_mask = kwargs.get("mask")
        if previous_mask is None:
            previous_mask = input_mask
            if input_mask is not None and self._call_takes_mask():
                kwargs["mask"] = input_mask
        training = kwargs.pop("training", None)
        if training is None and _context.training:
            training = _context.training[-1]
        if self._call_takes_training() and training is not None:
            kwargs["training"] = training
        if not self.built:
            with kt.device(inputs.device) if isinstance(inputs, kt.Tensor) else contextlib.nullcontext():
                self._ensure_built(_shape_of(inputs))
        self._call_losses = []
        _context.training.append(training)
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _context.training.pop()
        if self.activity_regularizer is not None and isinstance(outputs, kt.Tensor):
            self.add_loss(self.activity_regularizer(outputs))
        if self.supports_masking and (previous_mask is not None or type(self).compute_mask is not Layer.compute_mask):
            self._set_mask_metadata(inputs, outputs, previous_mask)
        elif previous_mask is not None and self._warns_on_dropped_mask and not self._call_takes_mask():
            warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an input with a mask "
                          "attached to it. However, this layer does not support masking and will therefore destroy "
                          "the mask information. Downstream layers will not see the mask.", stacklevel=2)
        return outputs

    # Whether a mask this layer neither consumes (call() takes no `mask`) nor passes on deserves a warning;
    # models set False: their outputs carry the masks their layers made.
    _warns_on_dropped_mask = True

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        """Attaches compute_mask's result to the outputs that have no mask yet (Keras 3)."""
        flat = _leaves(outputs)
        if all(get_mask(t) is not None for t in flat if isinstance(t, kt.Tensor)):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, m in zip(flat, _leaves(masks)):
            if m is not None and isinstance(t, kt.Tensor) and get_mask(t) is None:
                t._keras_mask = m

    @property
    def output(self):
        """The output KerasTensor(s) of this layer's first call on KerasTensors (Keras 3)."""
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a KerasTensor and thus has no "
                                 "defined output")
        outs = nodes[0].outputs
        return outs[0] if len(outs) == 1 else list(outs)

    @property
    def input(self):
        """The input KerasTensor(s) of this layer's first call on KerasTensors (Keras 3)."""
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called on a KerasTensor and thus has no "
                                 "defined input")
        return nodes[0].outputs[0] if nodes[0].inputs is None else nodes[0].inputs

    def _symbolic_call(self, inputs, args, kwargs):
        """A call on KerasTensors: builds from the symbolic shapes, records a graph node and returns
        KerasTensors of the shapes given by compute_output_shape (nothing is computed)."""
        from .input_layer import KerasTensor, Node, flatten, is_shape, map_structure

        if args:
            raise NotImplementedError(f"Layer '{self.name}': in a functional model, pass extra tensors by keyword "
                                      "(e.g. mask=..., initial_state=...); positional extra arguments are not "
                                      "supported")
        kwargs = {k: v for k, v in kwargs.items() if k != "training"}
        if not all(isinstance(t, KerasTensor) for t in flatten(inputs)):
            raise TypeError(f"Layer '{self.name}': cannot mix KerasTensors and concrete values in one call, got "
                            f"{inputs!r}")
        shapes = map_structure(lambda t: t.shape, inputs)
        if not self.built:
            self._ensure_built(shapes)
        out_shapes = self.compute_output_shape(shapes)
        if out_shapes is None:
            raise ValueError(f"Layer '{self.name}': compute_output_shape() returned None for input shape {shapes}")
        single = is_shape(out_shapes)
        flat_shapes = [tuple(out_shapes)] if single else [leaf.shape for leaf in flatten(
            _shapes_as_leaves(out_shapes))]
        nodes = self.__dict__.setdefault("_inbound_nodes", [])
        node_index = len(nodes)
        outputs = [KerasTensor(s, self.dtype, name=f"{self.name}_{node_index}_{i}" if i or node_index
                               else self.name, history=(self, node_index, i)) for i, s in enumerate(flat_shapes)]
        nodes.append(Node(self, inputs, kwargs, outputs))
        if single:
            return outputs[0]
        it = iter(outputs)
        return map_structure(lambda _: next(it), _shapes_as_leaves(out_shapes))

    def compute_output_shape(self, input_shape):
        """By default: run call() once on zeros (unknown dimensions taken as 1)."""
        input_shape = tuple(input_shape)
        concrete = tuple(1 if d is None else int(d) for d in input_shape)
        out = tuple(self(kt.zeros(concrete, dtype=self.dtype), training=False).shape)
        return (None,) + out[1:] if input_shape and input_shape[0] is None and out else out

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
