"""keras.regularizers: weight penalties added to the training loss."""
import ktensor as kt

from .utils.serialization import from_dict, get_object, serialize_object


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        out = None
        if self.l1:
            out = kt.reduce_sum(kt.abs(x)) * self.l1
        if self.l2:
            term = kt.reduce_sum(kt.square(x)) * self.l2
            out = term if out is None else out + term
        return out if out is not None else kt.zeros((), dtype=x.dtype)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


_CLASSES = {"L1L2": L1L2, "L1": L1, "L2": L2}
_NAMES = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}


def serialize(regularizer):
    return serialize_object(regularizer, "keras.regularizers")


def deserialize(config, custom_objects=None):
    return from_dict(config, _CLASSES, "regularizer", custom_objects)


def get(identifier):
    """A name ('l2'), a config dict, an instance or a callable."""
    return get_object(identifier, _CLASSES, _NAMES, "regularizer")
