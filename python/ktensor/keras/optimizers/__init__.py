"""keras.optimizers: SGD, RMSprop, Adam, AdamW, Adagrad, Nadam, Adamax, `schedules` and `get()`."""
from ..utils.serialization import from_dict, lookup
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from . import schedules
from .nadam import Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

_CLASSES = {c.__name__: c for c in (SGD, RMSprop, Adam, AdamW, Adagrad, Nadam, Adamax)}
_NAMES = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adamw": AdamW, "adagrad": Adagrad, "nadam": Nadam,
          "adamax": Adamax}


def serialize(optimizer):
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__, "config": optimizer.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    return from_dict(config, _CLASSES, "optimizer", custom_objects)


def get(identifier):
    """A name ('adam', 'Adam'), a config dict or an Optimizer instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return lookup(identifier.lower() if identifier.lower() in _NAMES else identifier, {**_NAMES, **_CLASSES},
                      "optimizer")()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Nadam", "Adamax", "schedules", "get", "serialize", "deserialize"]
