"""Merge layers (Keras 3): Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
and their functional forms keras.layers.add(...), concatenate(...), ...

Elementwise merges broadcast like Keras: dimensions must be equal or 1 (None is unknown).
"""
import ktensor as kt

from .layer import Layer


def _shape_list(layer, input_shape, exactly=None):
    if not isinstance(input_shape, (list, tuple)) or not input_shape or \
            not all(isinstance(s, (list, tuple)) for s in input_shape):
        raise ValueError(f"A merge layer ('{layer.name}', {type(layer).__name__}) should be called on a list of "
                         f"inputs. Received: input_shape={input_shape}")
    shapes = [tuple(s) for s in input_shape]
    if exactly is not None and len(shapes) != exactly:
        raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}) should be called on exactly {exactly} "
                         f"inputs. Received: {len(shapes)} inputs with shapes {shapes}")
    return shapes


def _broadcast_dim(layer, a, b, shapes):
    if a == 1 or a == b:
        return b
    if b == 1 or b is None:
        return a
    if a is None:
        return b
    raise ValueError(f"Layer '{layer.name}' ({type(layer).__name__}): inputs have incompatible shapes. "
                     f"Received: input shapes {shapes}")


class _Merge(Layer):
    _arity = None  # exactly this many inputs, when set

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        """Keras 3: a step is valid where it is valid in every masked input."""
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        return kt.reduce_all(kt.stack([m for m in mask if m is not None], axis=0), axis=0)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(self, input_shape, self._arity)
        rank = max(len(s) for s in shapes)
        out = [1] * rank
        for s in shapes:
            s = (1,) * (rank - len(s)) + s
            out = [_broadcast_dim(self, a, b, shapes) for a, b in zip(out, s)]
        if shapes and all(s[:1] == (None,) for s in shapes):
            out[0] = None
        return tuple(out)

    def _merge(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer ('{self.name}', {type(self).__name__}) should be called on a list of "
                             f"inputs. Received: {type(inputs).__name__}")
        self.compute_output_shape([tuple(t.shape) for t in inputs])
        return self._merge(list(inputs))


class Add(_Merge):
    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out


class Subtract(_Merge):
    _arity = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out * t
        return out


class Average(_Merge):
    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = out + t
        return out / float(len(inputs))


class Maximum(_Merge):
    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = kt.maximum(out, t)
        return out


class Minimum(_Merge):
    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = kt.minimum(out, t)
        return out


class Concatenate(_Merge):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = _shape_list(self, input_shape)
        rank = len(shapes[0])
        axis = self.axis + rank if self.axis < 0 else self.axis
        if any(len(s) != rank for s in shapes) or not 0 <= axis < rank:
            raise ValueError(f"A `Concatenate` layer ('{self.name}') requires inputs of the same rank with axis "
                             f"{self.axis} in range. Received: input_shape={shapes}")
        out = list(shapes[0])
        for s in shapes[1:]:
            for i in range(rank):
                if i == axis:
                    out[i] = None if out[i] is None or s[i] is None else out[i] + s[i]
                elif out[i] is None:
                    out[i] = s[i]
                elif s[i] is not None and s[i] != out[i]:
                    raise ValueError(f"A `Concatenate` layer ('{self.name}') requires inputs with matching shapes "
                                     f"except for the concatenation axis {self.axis}. Received: input_shape={shapes}")
        return tuple(out)

    def _merge(self, inputs):
        return kt.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3: the masks (all-true for unmasked inputs) laid out as the inputs, concatenated, and
        reduced over the last axis with `any`."""
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = kt.ones_like(x, dtype="bool")
            elif m.ndim < x.ndim:
                m = kt.broadcast_to(kt.expand_dims(m, -1), tuple(x.shape))
            full.append(m)
        return kt.reduce_any(kt.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _l2_normalize(x, axis):
    norm2 = kt.reduce_sum(x * x, axis=axis, keepdims=True)
    return x * kt.rsqrt(kt.maximum(norm2, kt.constant(1e-12, dtype=x.dtype.name)))


class Dot(_Merge):
    """Dot product of two samples-batched tensors along `axes` (an int or a pair); rank 2 or 3."""

    _arity = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, int):
            axes = (axes, axes)
        if not (isinstance(axes, (list, tuple)) and len(axes) == 2 and all(isinstance(a, int) for a in axes)):
            raise TypeError(f"Dot '{self.name}': axes must be an int or a pair of ints, got {axes!r}")
        self.axes = tuple(axes)
        self.normalize = bool(normalize)

    def compute_mask(self, inputs, mask=None):
        return None  # Keras 3: the product has no time axis left to mask

    def _resolve(self, shapes):
        axes = tuple(a + len(s) if a < 0 else a for a, s in zip(self.axes, shapes))
        return axes

    def compute_output_shape(self, input_shape):
        s1, s2 = _shape_list(self, input_shape, 2)
        if len(s1) < 2 or len(s2) < 2 or len(s1) > 3 or len(s2) > 3:
            raise ValueError(f"Dot '{self.name}' supports inputs of rank 2 or 3, got shapes {s1} and {s2}")
        a1, a2 = self._resolve((s1, s2))
        if not (1 <= a1 < len(s1) and 1 <= a2 < len(s2)):
            raise ValueError(f"Dot '{self.name}': axes {self.axes} out of range (or the batch axis) for shapes "
                             f"{s1} and {s2}")
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"Dot '{self.name}': incompatible input shapes: axis values {s1[a1]} (axis {a1}) != "
                             f"{s2[a2]} (axis {a2}). Received: input shapes {[s1, s2]}")
        out = list(s1[1:a1] + s1[a1 + 1:]) + list(s2[1:a2] + s2[a2 + 1:])
        batch = s1[0] if s1[0] is not None else s2[0]
        return (batch,) + (tuple(out) if out else (1,))

    def _merge(self, inputs):
        x, y = inputs
        a1, a2 = self._resolve((tuple(x.shape), tuple(y.shape)))
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        # x: contracted axis last, as (b, p, n); y: contracted axis second, as (b, n, q)
        if x.ndim == 3 and a1 == 1:
            x = kt.transpose(x, (0, 2, 1))
        if y.ndim == 3 and a2 == 2:
            y = kt.transpose(y, (0, 2, 1))
        x3 = kt.expand_dims(x, 1) if x.ndim == 2 else x
        y3 = kt.expand_dims(y, -1) if y.ndim == 2 else y
        out = kt.matmul(x3, y3)
        if y.ndim == 2:
            out = kt.squeeze(out, -1)
        if x.ndim == 2:
            out = kt.squeeze(out, 1)
        return kt.expand_dims(out, -1) if out.ndim == 1 else out

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes), "normalize": self.normalize}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
