"""keras.models: Model, Sequential, Functional, and rebuilding a model from its config / JSON."""
import json

from .functional import Functional
from .model import Model
from .sequential import Sequential
from ..saving import load_model, save_model


def model_from_config(config, custom_objects=None):
    """A model (or layer) from a Keras 3 config dict {'class_name', 'config', ...}."""
    from ..layers import deserialize

    return deserialize(config, custom_objects)


def model_from_json(json_string, custom_objects=None):
    """The model described by `model.to_json()` (architecture only: weights are freshly initialized)."""
    return model_from_config(json.loads(json_string), custom_objects)


__all__ = ["Model", "Sequential", "Functional", "model_from_config", "model_from_json", "load_model", "save_model"]
