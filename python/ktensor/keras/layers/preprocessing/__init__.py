"""Preprocessing layers: Rescaling, Normalization and the random image augmentations (RandomFlip,
RandomTranslation, RandomRotation, RandomZoom, RandomCrop), channels_last."""
from .normalization import Normalization
from .random_crop import RandomCrop
from .random_flip import RandomFlip
from .random_rotation import RandomRotation
from .random_translation import RandomTranslation
from .random_zoom import RandomZoom
from .rescaling import Rescaling

__all__ = ["Rescaling", "Normalization", "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom",
           "RandomCrop"]
