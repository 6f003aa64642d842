"""BackupAndRestore: backs up the model, its optimizer state and the epoch reached, so a run that
was killed resumes where it stopped when fit() is called again with the same callback."""
import json
import os

from .callback import Callback


class BackupAndRestore(Callback):
    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and save_freq is not False and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                             "Expected either 'epoch', False, or a positive integer")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq, self.delete_checkpoint = save_freq, delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._meta_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._current_epoch, self._batches_seen = 0, 0

    def on_train_begin(self, logs=None):
        """Restores the backup if there is one; the trainer starts at model._initial_epoch."""
        if not (os.path.exists(self._weights_path) and os.path.exists(self._meta_path)):
            return
        with open(self._meta_path) as f:
            meta = json.load(f)
        if not self.model.built:
            raise ValueError("To use the BackupAndRestore callback, your model must be built before you call "
                             "`fit()`.")
        self.model.load_weights(self._weights_path)
        self.model._initial_epoch = int(meta["epoch"]) + 1  # the epoch after the last completed one

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int) and self.save_freq is not False:
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._backup(self._current_epoch - 1)  # a mid-epoch backup resumes at the start of this epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._backup(epoch)

    def _backup(self, completed_epoch):
        from ..saving import _state
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path, overwrite=True)

        def write(tmp):
            with open(tmp, "w") as f:
                json.dump({"epoch": completed_epoch}, f)

        _state.atomic_write(self._meta_path, write)

    def on_train_end(self, logs=None):
        self.model._initial_epoch = None
        if self.delete_checkpoint:
            for p in (self._weights_path, self._meta_path):
                if os.path.exists(p):
                    os.remove(p)
