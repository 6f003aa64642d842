"""keras.utils: label encoding, seeding, the progress bar."""
from .numerical_utils import to_categorical
from .normalize import normalize
from .progbar import Progbar
from .py_dataset import PyDataset
from .rng_utils import set_random_seed
from .sequence import pad_sequences

__all__ = ["to_categorical", "normalize", "set_random_seed", "Progbar", "pad_sequences", "PyDataset"]
