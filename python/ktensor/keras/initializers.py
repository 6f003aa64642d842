"""keras.initializers: Keras 3 initializer classes drawing from ktensor's random generator.

An unseeded initializer draws from the global generator (reproducible after
`keras.utils.set_random_seed`); a seeded one makes a stateless draw, the same values every call,
as Keras documents.
"""
import math

import ktensor as kt

from . import backend
from .utils.serialization import from_dict, get_object, serialize_object

# The stddev of a standard normal truncated to [-2, 2] is 0.8796...: dividing by it restores the
# requested variance (Keras 3 does the same).
_TRUNCATED_STD = 0.87962566103423978


def _dtype(dtype):
    return dtype or backend.floatx()


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them: kernels (..., in, out) count the receptive field."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return kt.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return kt.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return kt.fill(shape, float(self.value), dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ValueError(f"{type(self).__name__}: seed must be an integer or None, got {seed!r}")
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return kt.random.normal(shape, self.mean, self.stddev, dtype=_dtype(dtype), seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values redrawn when more than two standard deviations from the mean."""

    def __call__(self, shape, dtype=None):
        return kt.random.truncated_normal(shape, self.mean, self.stddev, dtype=_dtype(dtype), seed=self.seed)


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return kt.random.uniform(shape, self.minval, self.maxval, dtype=_dtype(dtype), seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(RandomInitializer):
    """Values with variance scale / fan, fan chosen by `mode`; truncated normal, normal or uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' or "
                             f"'uniform', got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        dtype = _dtype(dtype)
        if self.distribution == "truncated_normal":
            return kt.random.truncated_normal(shape, 0.0, math.sqrt(scale) / _TRUNCATED_STD, dtype=dtype,
                                              seed=self.seed)
        if self.distribution == "untruncated_normal":
            return kt.random.normal(shape, 0.0, math.sqrt(scale), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return kt.random.uniform(shape, -limit, limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _preset(class_name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(class_name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                                 "__module__": __name__,
                                                 "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, "
                                                            f"distribution={distribution!r})."})


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix (rows or columns orthonormal) times `gain`, as Keras 3 makes it:
    the Q of the QR decomposition of a normal draw, signs fixed by R's diagonal. Shapes of rank > 2
    are flattened to (prod(shape[:-1]), shape[-1])."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        import numpy as np

        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: the shape must have at least 2 dimensions, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # The draw comes from ktensor's generator (seeded like every initializer); the QR
        # decomposition is done once on the host, at build time.
        a = kt.random.normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, dtype="float64", seed=self.seed).numpy()
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return kt.constant((self.gain * q).reshape(shape), dtype=_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")

_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal,
                                     VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                                     LecunUniform, LecunNormal, Orthogonal)}
_NAMES = {"zeros": Zeros, "zero": Zeros, "ones": Ones, "one": Ones, "constant": Constant,
          "random_normal": RandomNormal, "normal": RandomNormal, "random_uniform": RandomUniform,
          "uniform": RandomUniform, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
          "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
          "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
          "orthogonal": Orthogonal}


def serialize(initializer):
    return serialize_object(initializer, "keras.initializers")


def deserialize(config, custom_objects=None):
    return from_dict(config, _CLASSES, "initializer", custom_objects)


def get(identifier):
    """A name ('glorot_uniform', 'GlorotUniform'), a config dict, an instance or a callable."""
    return get_object(identifier, _CLASSES, _NAMES, "initializer", Initializer)
