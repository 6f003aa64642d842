"""keras.utils: label encoding, seeding, the progress bar."""
from .numerical_utils import normalize, to_categorical
from .progbar import Progbar
from .rng_utils import set_random_seed

__all__ = ["to_categorical", "normalize", "set_random_seed", "Progbar"]
