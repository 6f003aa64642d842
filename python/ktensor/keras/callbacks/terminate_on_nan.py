"""TerminateOnNaN: stop training as soon as a batch's loss is NaN or infinite."""
import math

from .callback import Callback


class TerminateOnNaN(Callback):
    """Reads the loss after every training batch (one device-to-host read per batch, by necessity)
    and sets `model.stop_training` when it is not finite."""

    def on_batch_end(self, batch, logs=None):
        if logs is None:
            return
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
            self.model.stop_training = True
