"""One call to make a whole run reproducible."""
import random

import numpy as np

import ktensor as kt


def set_random_seed(seed):
    """Seeds Python's `random`, numpy's global generator and ktensor's generator (weights, dropout, shuffles)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed expects an integer seed, got {type(seed).__name__}: {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    kt.random.set_seed(int(seed))
