"""The user-facing Tensor and Variable: thin Python objects around a native tensor.

Operators and methods are attached in ops/operators.py, so this file holds only the data model.
"""
import numpy as np

from . import _core
from .dtypes import from_core


class TensorShape(tuple):
    """A tuple of dimensions with the few TensorShape methods Keras code calls."""

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)


class Tensor:
    # _logits: ("softmax" | "sigmoid", input) on activation outputs, so losses can fuse (as tf.keras).
    # _keras_mask: the Keras mask (bool, (batch, time)) a layer attached, or None.
    __slots__ = ("_t", "_node", "_logits", "_keras_mask", "__weakref__")

    def __init__(self, value, dtype=None):
        from .ops.core import convert

        src = convert(value, dtype)
        self._t = src._t
        self._node = None
        self._logits = None
        self._keras_mask = None

    @classmethod
    def _wrap(cls, native):
        t = object.__new__(cls)
        t._t = native
        t._node = None
        t._logits = None
        t._keras_mask = None
        return t

    def _detached(self):
        return Tensor._wrap(self._t)

    # -- metadata --
    @property
    def shape(self):
        return TensorShape(self._t.shape)

    @property
    def dtype(self):
        return from_core(self._t.dtype)

    @property
    def device(self):
        return self._t.device

    @property
    def ndim(self):
        return self._t.ndim

    @property
    def size(self):
        return self._t.numel

    def get_shape(self):
        return self.shape

    # -- conversion --
    def numpy(self):
        """A numpy array; on the CPU it shares this tensor's memory (tensors are immutable)."""
        return self._t.numpy()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def item(self):
        return self._t.item()

    def __float__(self):
        return float(self._t.item())

    def __int__(self):
        return int(self._t.item())

    def __index__(self):
        if not self.dtype.is_integer:
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype.name}")
        return int(self._t.item())

    def __bool__(self):
        if self._t.numel != 1:
            raise ValueError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self._t.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a scalar tensor")
        return self._t.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a scalar tensor")
        return (self[i] for i in range(self._t.shape[0]))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", threshold=50)
        return f"<ktensor.Tensor: shape={self.shape}, dtype={self.dtype.name}, device={self.device}, numpy=\n{body}>"

    def __str__(self):
        return str(self.numpy())

    # DLPack: exchange memory without copies.
    def __dlpack__(self, *args, **kwargs):
        return self._t.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._t.__dlpack_device__()

    def to(self, device):
        """A copy of this tensor on `device` ('cpu', 'cuda', 'cuda:N')."""
        from .config import canonical_device
        from .ops.core import record_unary

        dev = canonical_device(device)
        if dev == self.device:
            return self
        src = self
        return record_unary(Tensor._wrap(self._t.to(dev)), lambda g: g.to(src.device), self)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, index=0):
        return self.to(f"cuda:{index}")


class Variable(Tensor):
    """A mutable tensor: model weights and optimizer slots. Updated in place by assign and the
    fused optimizer kernels; a trainable Variable is tracked by every GradientTape."""

    __slots__ = ("name", "_trainable", "__dict__")
    _counter = 0

    def __init__(self, initial_value, trainable=True, name=None, dtype=None, **kwargs):
        from .autograd import LEAF
        from .ops.core import convert

        if callable(initial_value):
            initial_value = initial_value()
        src = convert(initial_value, dtype)
        self._t = src._t.clone()  # a variable owns its memory
        self._logits = None
        self._keras_mask = None
        self._trainable = bool(trainable)
        self._node = LEAF if trainable else None
        if name is None:
            Variable._counter += 1
            name = "Variable" if Variable._counter == 1 else f"Variable_{Variable._counter - 1}"
        self.name = name

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        from .autograd import LEAF

        self._trainable = bool(value)
        if self._node is None or self._node is LEAF:
            self._node = LEAF if value else None

    def numpy(self):
        return self._t.numpy().copy()  # a snapshot: the variable changes in place later

    def value(self):
        """The current value as a tensor (gradients flow back to the variable)."""
        from .ops.core import record_unary

        return record_unary(Tensor._wrap(self._t), lambda g: g, self)

    read_value = value

    def assign(self, value):
        from .ops.core import convert

        v = convert(value, self.dtype)
        if tuple(v.shape) != tuple(self.shape):
            raise ValueError(f"cannot assign a value of shape {tuple(v.shape)} to variable '{self.name}' of shape "
                             f"{tuple(self.shape)}")
        if v.device != self.device:
            v = v.to(self.device)
        self._t.copy_(v._t)
        return self

    def assign_add(self, delta):
        return self.assign(Tensor._wrap(self._t) + delta)

    def assign_sub(self, delta):
        return self.assign(Tensor._wrap(self._t) - delta)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", threshold=50)
        return (f"<ktensor.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name} device={self.device}, "
                f"numpy=\n{body}>")
