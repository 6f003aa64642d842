"""keras.saving: save_model / load_model for `.keras` and legacy `.h5` files."""
from ._state import LoadError
from .saving_api import load_model, save_model

__all__ = ["save_model", "load_model", "LoadError"]
