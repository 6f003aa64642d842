"""CSVLogger: stream each epoch's logs to a CSV file."""
import collections.abc
import csv
import os

import numpy as np

from .callback import Callback


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    if isinstance(value, collections.abc.Iterable):
        return f"\"[{', '.join(map(str, value))}]\""
    return value


class CSVLogger(Callback):
    """Writes one row per epoch: 'epoch', then the log keys sorted. The file is flushed after every
    row; with append=True an existing file is continued (its header is kept and not repeated)."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        self._existing_keys = None

    def on_train_begin(self, logs=None):
        self._existing_keys = None
        self.append_header = True
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    header = next(csv.reader(f, delimiter=self.sep), None)
                if header:
                    self.append_header = False
                    if header[0] == "epoch":  # keep the existing columns
                        self._existing_keys = header[1:]
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            if self._existing_keys is not None:
                self.keys = list(self._existing_keys)
            else:
                self.keys = sorted(logs.keys())
                # With validation_freq > 1 the first epoch has no `val_` keys: reserve their columns (as Keras).
                if self.keys and not any(k.startswith("val_") for k in self.keys):
                    self.keys.extend(["val_" + k for k in self.keys])
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect,
                                         extrasaction="ignore")
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, _cell(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
