"""keras.utils.PyDataset: a Python object that returns one batch per index, for fit/evaluate/predict."""


class PyDataset:
    """Subclass and implement `__len__` (batches per epoch) and `__getitem__(index)` (one batch:
    x, (x, y) or (x, y, sample_weight)); `on_epoch_end` runs after every epoch.

    `workers`, `use_multiprocessing` and `max_queue_size` are accepted for Keras compatibility; batches
    are read in order in the training thread.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    @property
    def workers(self):
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self):
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self):
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__()")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_end(self):
        pass

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
