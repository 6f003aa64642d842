"""Rescaling: inputs * scale + offset (e.g. scale=1/255 maps [0, 255] to [0, 1])."""
import numbers

import numpy as np

import ktensor as kt

from ..layer import Layer


def _serialize(value):
    """Keras 3 serializes an array-valued scale/offset as a '__numpy__' object."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, (np.generic, np.ndarray)):
        return value.item()
    return value


def _deserialize(value):
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        return np.asarray(value["config"]["value"], dtype=value["config"].get("dtype"))
    return value


class Rescaling(Layer):
    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("scale", scale), ("offset", offset)):
            arr = np.asarray(v.numpy() if isinstance(v, kt.Tensor) else v)
            if arr.dtype.kind not in "iuf" or isinstance(v, bool):
                raise TypeError(f"Rescaling '{self.name}': {name} must be a number or an array of numbers, got "
                                f"{v!r}")
        self.scale = scale.numpy() if isinstance(scale, kt.Tensor) else scale
        self.offset = offset.numpy() if isinstance(offset, kt.Tensor) else offset

    def call(self, inputs):
        dtype = self.dtype
        x = inputs if inputs.dtype.name == dtype else kt.cast(inputs, dtype)
        scale = self.scale if isinstance(self.scale, numbers.Real) else kt.constant(np.asarray(self.scale), dtype)
        offset = self.offset if isinstance(self.offset, numbers.Real) else kt.constant(np.asarray(self.offset), dtype)
        if isinstance(scale, kt.Tensor) and scale.device != x.device:
            scale = scale.to(x.device)
        if isinstance(offset, kt.Tensor) and offset.device != x.device:
            offset = offset.to(x.device)
        return x * scale + offset

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _serialize(self.scale), "offset": _serialize(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["scale"] = _deserialize(config["scale"])
        config["offset"] = _deserialize(config["offset"])
        return cls(**config)
