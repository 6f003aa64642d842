"""ProgbarLogger: the Keras 3 progress bar for fit / evaluate / predict."""
from ..utils.progbar import Progbar
from .callback import Callback


def _sorted(logs):
    return sorted(logs.items()) if logs else []


class ProgbarLogger(Callback):
    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self._in_fit = False

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self, target=None):
        self.progbar = Progbar(target=target if target is not None else self.target, verbose=self.verbose)

    def _update(self, batch, logs):
        if self.progbar is None:
            self._start()
        current = batch + 1
        # Metric values live on the device: read them only when the bar is about to be redrawn.
        values = _sorted(logs) if logs is not None and self.progbar.will_draw(current, False) else None
        self.progbar.update(current, values, finalize=False)

    def _finalize(self, logs):
        if self.progbar is None:
            self._start()
        seen = self.progbar._seen or self.target or 0
        self.progbar.target = seen or None  # an epoch stopped early shows the steps it ran, as Keras
        self.progbar.update(seen, _sorted(logs), finalize=True)

    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._start()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize(logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._finalize(logs)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)

    def on_predict_end(self, logs=None):
        self._finalize(None)
