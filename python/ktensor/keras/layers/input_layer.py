"""InputLayer and keras.Input: declare the input shape of a model.

`Input()` returns a KerasTensor, a symbolic placeholder: Sequential accepts it as its first
element, and calling layers on it builds the graph of a functional model.
"""
from .layer import Layer, _dtype_name


class KerasTensor:
    """A symbolic tensor: shape (None for unknown dimensions, the batch first) and dtype.

    `_keras_history` is (layer, node_index, tensor_index): the layer whose call made it, which
    of that layer's calls (its `_inbound_nodes`), and which of that call's flattened outputs.
    """

    def __init__(self, shape, dtype=None, name=None, history=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = _dtype_name(dtype)
        self.name = name
        self._keras_history = history

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer in a graph: the call's arguments (KerasTensors in a structure) and its outputs."""

    def __init__(self, layer, inputs, kwargs, outputs):
        self.layer = layer
        self.inputs = inputs  # the structure passed as `inputs` (None for an InputLayer)
        self.kwargs = kwargs  # other keyword arguments of the call: constants, or KerasTensors (mask=...)
        self.outputs = outputs  # flat list of KerasTensors

    @property
    def input_tensors(self):
        """The KerasTensors the call depends on: its inputs, then those passed by keyword."""
        return flatten(self.inputs) + [t for t in flatten(list(self.kwargs.values())) if isinstance(t, KerasTensor)]


def flatten(struct):
    """The KerasTensors (or tensors) of a nested list / tuple / dict, in order (dicts by key order)."""
    if struct is None:
        return []
    if isinstance(struct, (list, tuple)):
        return [t for s in struct for t in flatten(s)]
    if isinstance(struct, dict):
        return [t for k in struct for t in flatten(struct[k])]
    return [struct]


def map_structure(fn, struct):
    if isinstance(struct, (list, tuple)):
        return type(struct)(map_structure(fn, s) for s in struct)
    if isinstance(struct, dict):
        return {k: map_structure(fn, v) for k, v in struct.items()}
    return fn(struct)


def is_shape(s):
    return isinstance(s, (list, tuple)) and all(d is None or isinstance(d, int) for d in s)


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 name=None, **kwargs):
        if "input_shape" in kwargs:  # Keras 2 spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        for ignored in ("ragged", "optional"):
            if not kwargs.get(ignored):
                kwargs.pop(ignored, None)
        if sparse:
            raise NotImplementedError("sparse inputs are not supported")
        if input_tensor is not None:
            raise NotImplementedError("InputLayer(input_tensor=...) is not supported")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError(f"InputLayer '{self.name}': pass `shape` (without the batch axis) or `batch_shape`")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.built = True
        self.supports_masking = True  # a masked tensor fed to a nested model keeps its mask
        output = KerasTensor(self.batch_shape, self.dtype, name=self.name, history=(self, 0, 0))
        self._inbound_nodes.append(Node(self, None, {}, [output]))  # `self.output` reads it

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None, tensor=None, **kwargs):
    """A symbolic model input: `keras.Input(shape=(784,))` (the batch axis is not part of `shape`)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=_dtype_name(dtype), sparse=sparse,
                       batch_shape=batch_shape, name=name, input_tensor=tensor, **kwargs)
    return layer.output
