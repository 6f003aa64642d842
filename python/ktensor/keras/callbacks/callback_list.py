"""CallbackList: forwards every hook to each callback; adds History and the progress bar."""
from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class CallbackList(Callback):
    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got {type(c).__name__}")
        self.history = None
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if add_history:
            self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
            if self.history is None:
                self.history = History()
                self.callbacks.append(self.history)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def set_model(self, model):
        super().set_model(model)
        for c in self.callbacks:
            c.set_model(model)

    def set_params(self, params):
        super().set_params(params)
        for c in self.callbacks:
            c.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)


def _forward(hook):
    # Every callback gets `logs` (a dict, possibly empty), as in Keras, so user hooks may
    # declare it without a default.
    takes_index = "batch" in hook or hook.startswith("on_epoch")

    def call(self, *args, logs=None, **kwargs):
        if len(args) > (1 if takes_index else 0):
            *args, logs = args
        logs = {} if logs is None else logs
        for c in self.callbacks:
            getattr(c, hook)(*args, logs, **kwargs)
    call.__name__ = hook
    return call


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _forward(_hook))
