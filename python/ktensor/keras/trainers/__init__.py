"""The training loop (fit / evaluate / predict), separate from the model."""
from .trainer import Trainer

__all__ = ["Trainer"]
