"""keras.preprocessing: the legacy `image` module (ImageDataGenerator). The preprocessing layers live in
keras.layers (Rescaling, Normalization, RandomFlip, ...)."""
from . import image

__all__ = ["image"]
