"""InputLayer and keras.Input: declare the input shape of a model.

`Input()` returns a KerasTensor, a symbolic placeholder that Sequential accepts as its first
element; the functional API (calling layers on KerasTensors) is the seam for a later issue.
"""
from .layer import Layer, _dtype_name


class KerasTensor:
    """A symbolic tensor: shape (with None for the batch) and dtype, made by an InputLayer."""

    def __init__(self, shape, dtype, name, input_layer):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = (input_layer, 0, 0)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


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
        self.output = KerasTensor(self.batch_shape, self.dtype, self.name, self)

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
