"""keras.layers: the Layer base, Dense, Activation, Dropout, Flatten, InputLayer / Input."""
from ..utils.serialization import from_dict
from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .input_layer import Input, InputLayer, KerasTensor
from .layer import Layer

_CLASSES = {c.__name__: c for c in (Activation, Dense, Dropout, Flatten, InputLayer)}


def serialize(layer):
    config = {"module": "keras.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
              "registered_name": None}
    build = layer.get_build_config() if not isinstance(layer, InputLayer) else None
    if build:
        config["build_config"] = build
    return config


def deserialize(config, custom_objects=None):
    """A layer from its Keras 3 config dict (built when the dict has a build_config)."""
    from .. import models  # Sequential configs may nest
    table = {**_CLASSES, "Sequential": models.Sequential}
    layer = from_dict(config, table, "layer", custom_objects)
    if config.get("build_config"):
        layer.build_from_config(config["build_config"])
    return layer


__all__ = ["Layer", "Dense", "Activation", "Dropout", "Flatten", "InputLayer", "Input", "serialize", "deserialize"]
