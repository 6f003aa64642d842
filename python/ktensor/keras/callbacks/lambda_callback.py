"""LambdaCallback: a callback made of plain functions, one per hook."""
from .callback import Callback

_HOOKS = frozenset(name for name in vars(Callback) if name.startswith("on_"))


class LambdaCallback(Callback):
    """Each given function replaces the hook of the same name and is called with that hook's
    arguments: on_epoch_begin/on_epoch_end(epoch, logs), on_train_begin/on_train_end(logs),
    on_batch_begin/on_batch_end and on_train_batch_begin/on_train_batch_end(batch, logs); any other
    hook (on_test_begin, on_predict_batch_end, ...) may be passed by keyword too."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - _HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}; valid hooks are {sorted(_HOOKS)}")
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback {name} must be callable, got {type(fn).__name__}")
            setattr(self, name, _bind(name, fn))


def _bind(name, fn):
    # Always pass `logs` positionally (the loop may omit it): `lambda logs: ...` and
    # `lambda epoch, logs: ...` work whatever the argument names.
    if name.endswith(("_begin", "_end")) and ("batch" in name or "epoch" in name):
        def hook(index, logs=None):
            return fn(index, logs)
    else:
        def hook(logs=None):
            return fn(logs)
    hook.__name__ = name
    hook.__wrapped__ = fn
    return hook
