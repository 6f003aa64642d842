"""Lambda: wraps an arbitrary function of tensors as a layer (no weights)."""
import base64
import marshal
import types

import numpy as np

import ktensor as kt

from .input_layer import is_shape, map_structure
from .layer import Layer, _shapes_as_leaves


def _func_dump(fn):
    """Keras' format for a Python function in a config: base64 of the marshalled bytecode."""
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}


def _func_load(config):
    code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    closure = config.get("closure")
    if closure is not None:
        closure = tuple(types.CellType(c) for c in closure)
    defaults = tuple(config["defaults"]) if config.get("defaults") is not None else None
    scope = {"__builtins__": __builtins__, "kt": kt, "ktensor": kt, "np": np, "numpy": np}
    return types.FunctionType(code, scope, code.co_name, defaults, closure)


class Lambda(Layer):
    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': `function` must be callable, got {function!r}")
        if mask is not None:
            raise NotImplementedError(f"Lambda '{self.name}': masking is not supported")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = output_shape

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        leaves = _shapes_as_leaves(input_shape)
        first = next(iter(_flat(leaves))).shape
        batch = first[0] if first else None
        if self._output_shape is not None:  # given without the batch axis
            return map_structure(lambda leaf: (batch,) + leaf.shape, _shapes_as_leaves(self._output_shape)) \
                if not is_shape(self._output_shape) else (batch,) + tuple(self._output_shape)
        # infer: run the function on zeros, unknown dimensions taken as 1
        zeros = map_structure(lambda leaf: kt.zeros(tuple(1 if d is None else d for d in leaf.shape),
                                                    dtype=self.dtype), leaves)
        out = self.function(zeros, **self.arguments)
        return map_structure(lambda t: ((None,) + tuple(t.shape)[1:]) if batch is None and t.ndim
                             else tuple(t.shape), out)

    def get_config(self):
        function = _func_dump(self.function)
        output_shape = self._output_shape
        if callable(output_shape):
            output_shape = _func_dump(output_shape)
        return {**super().get_config(), "function": function, "output_shape": output_shape,
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("function")
        if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
            fn = _func_load(fn["config"])
        out = config.pop("output_shape", None)
        if isinstance(out, dict) and out.get("class_name") == "__lambda__":
            out = _func_load(out["config"])
        elif isinstance(out, list) and is_shape(out):
            out = tuple(out)
        return cls(fn, output_shape=out, **config)


def _flat(struct):
    from .input_layer import flatten
    return flatten(struct)
