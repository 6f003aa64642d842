"""Turning user data (numpy arrays, nested lists, ktensor tensors) into batches on the model's device.

The arrays are converted and moved to the device once per fit/evaluate/predict call; a batch is
then a slice (a view) or, when shuffling, a gather with an index tensor uploaded once per epoch.
"""
import collections
import concurrent.futures
import itertools
import math

import numpy as np

import ktensor as kt

from .. import backend


# -- several inputs / outputs: a "nest" is one array, a list of arrays or a dict of arrays --

def is_nest(data):
    """Whether `data` holds several arrays: a dict, or a list/tuple whose elements are all arrays/tensors."""
    return isinstance(data, dict) or (isinstance(data, (list, tuple)) and len(data) > 0 and
                                      all(isinstance(d, (np.ndarray, kt.Tensor)) for d in data))


def map_nest(fn, data):
    """fn applied to each array of a nest (dicts keep their keys, lists/tuples become lists); None stays None."""
    if isinstance(data, dict):
        return {k: fn(v) for k, v in data.items()}
    if isinstance(data, list):
        return [fn(v) for v in data]
    return None if data is None else fn(data)


def leaves(data):
    """The arrays of a nest as a flat list ([] for None)."""
    if data is None:
        return []
    if isinstance(data, dict):
        return list(data.values())
    if isinstance(data, list):
        return list(data)
    return [data]


def standardize(data, name):
    """numpy array or ktensor Tensor with a batch axis (floats become floatx), or a list/dict of them."""
    if data is None:
        return None
    if is_nest(data):
        if isinstance(data, dict):
            return {k: standardize(v, f"{name}[{k!r}]") for k, v in data.items()}
        return [standardize(v, f"{name}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, kt.Tensor):
        if data.ndim == 0:
            raise ValueError(f"{name} must have a batch axis, got a scalar")
        return kt.cast(data, backend.floatx()) if data.dtype.is_floating else data
    if not isinstance(data, np.ndarray):
        if not isinstance(data, (list, tuple)) and not hasattr(data, "__array__"):
            raise TypeError(f"{name}: expected a numpy array, a (nested) list or a ktensor Tensor, got "
                            f"{type(data).__name__}")
        try:
            data = np.asarray(data)
        except ValueError as e:
            raise ValueError(f"{name}: cannot make an array from the given data ({e})") from None
    if data.dtype == object:
        raise ValueError(f"{name}: ragged or mixed-type data cannot be made into an array")
    if data.ndim == 0:
        raise ValueError(f"{name} must have a batch axis, got a scalar")
    if data.dtype.kind == "f" and data.dtype != np.dtype(backend.floatx()):
        data = data.astype(backend.floatx())
    return data


def check_lengths(**arrays):
    """All arrays must have the same number of samples; returns that number."""
    sizes = {}
    for k, v in arrays.items():
        if isinstance(v, (dict, list)):
            keys = v.keys() if isinstance(v, dict) else range(len(v))
            sizes.update({f"{k}[{j!r}]": int(v[j].shape[0]) for j in keys if v[j] is not None})
        elif v is not None:
            sizes[k] = int(v.shape[0])
    if len(set(sizes.values())) > 1:
        detail = " but ".join(f"{k} has {n}" for k, n in sizes.items())
        raise ValueError(f"Data cardinality is ambiguous: {detail} samples. Make sure all arrays contain the same "
                         "number of samples.")
    return next(iter(sizes.values()))


def split(arrays, validation_split):
    """(train arrays, validation arrays): the last `validation_split` fraction is held out, as in Keras."""
    if not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    n = check_lengths(**{f"array_{i}": a for i, a in enumerate(arrays)})
    at = int(math.floor(n * (1.0 - validation_split)))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={validation_split} leaves no training or no validation samples out of {n}")
    return (tuple(map_nest(lambda a: a[:at], a) for a in arrays),
            tuple(map_nest(lambda a: a[at:], a) for a in arrays))


def to_device(data, device):
    if data is None:
        return None
    if isinstance(data, (dict, list)):
        return map_nest(lambda a: to_device(a, device), data)
    if isinstance(data, kt.Tensor):
        return data if data.device == device else data.to(device)
    with kt.device(device):
        return kt.convert_to_tensor(np.ascontiguousarray(data))


class ArrayData:
    """Fixed arrays (x, y, sample_weight; any may be None) served in batches of device tensors.

    On the CPU, numpy arrays stay where they are and each batch is cut (sliced, or gathered when
    shuffling) on the host and converted: one copy of every sample per epoch, cache-warm, instead
    of an upload of the whole array per fit() plus a gather per batch, and no second copy of the
    data in memory. Tensors, and numpy arrays bound for a GPU, are moved to the device once and
    batches are views or gathers there.
    """

    def __init__(self, arrays, batch_size, device):
        self.size = check_lengths(**{n: a for n, a in zip(("x", "y", "sample_weight"), arrays)})
        if self.size == 0:
            raise ValueError("Expected at least one sample, got empty arrays")
        self.batch_size = batch_size
        self.device = device
        on_host = str(device).startswith("cpu")
        self.tensors = tuple(map_nest(lambda a: a if on_host and isinstance(a, np.ndarray) else to_device(a, device), a)
                             for a in arrays)
        self._any_tensor = any(isinstance(t, kt.Tensor) for a in self.tensors for t in leaves(a))

    @property
    def num_batches(self):
        return -(-self.size // self.batch_size)

    def _cut(self, a, start, stop, host_sel, device_sel):
        if isinstance(a, np.ndarray):
            part = a[start:stop] if host_sel is None else a[host_sel]
            with kt.device(self.device):
                return kt.convert_to_tensor(np.ascontiguousarray(part))
        return a[start:stop] if device_sel is None else kt.gather(a, device_sel)

    def batches(self, order=None):
        """Yields tuples of device tensors; `order` is a permutation of the samples (numpy) or None."""
        index = None
        if order is not None:
            order = np.asarray(order, dtype=np.int64)
            if self._any_tensor:
                with kt.device(self.device):
                    index = kt.convert_to_tensor(order.astype(np.int32))
        cut = self._cut
        for start in range(0, self.size, self.batch_size):
            stop = min(start + self.batch_size, self.size)
            host_sel = None if order is None else order[start:stop]
            device_sel = None if index is None else index[start:stop]
            yield tuple(map_nest(lambda a: cut(a, start, stop, host_sel, device_sel), t) for t in self.tensors)


def unpack_validation(validation_data):
    """(x_val, y_val) or (x_val, y_val, sample_weight_val)."""
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), got "
                         f"{type(validation_data).__name__}")
    x, y = validation_data[0], validation_data[1]
    sw = validation_data[2] if len(validation_data) == 3 else None
    return x, y, sw


# -- streams: ktensor Datasets, Python generators / iterators, PyDataset-style objects --

def is_stream(data):
    """Whether `data` yields whole batches (a Dataset, an iterator, an object with __len__/__getitem__)."""
    if data is None or isinstance(data, (np.ndarray, kt.Tensor, list, tuple, dict, str, bytes)):
        return False
    if hasattr(data, "__array__"):
        return False
    if isinstance(data, kt.data.Dataset):
        return True
    if hasattr(data, "__next__") and hasattr(data, "__iter__"):
        return True
    return hasattr(data, "__getitem__") and hasattr(data, "__len__")


def unpack_batch(batch):
    """(x, y, sample_weight) from one element: x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if len(batch) not in (1, 2, 3):
        raise ValueError("Each batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
                         f"{len(batch)} elements")
    return batch + (None,) * (3 - len(batch))


class StreamData:
    """Batches read from a stream, standardized on the host and moved to the device one at a time.

    `steps` (per epoch) is the stream's length when known (or the user's steps), else None: an epoch
    then runs until the stream ends. `prepare(x, y, sw)` checks (and may build the model on) a host batch.
    """

    def __init__(self, source, device, steps=None, name="x", prepare=None):
        self.source, self.device, self.name = source, device, name
        self.prepare = prepare
        from ..utils.py_dataset import PyDataset  # a PyDataset is indexed even when it is also an iterator (Keras)

        self.kind = ("dataset" if isinstance(source, kt.data.Dataset) else
                     "sequence" if isinstance(source, PyDataset) else
                     "iterator" if hasattr(source, "__next__") else "sequence")
        if steps is not None:
            steps = int(steps)
            if steps <= 0:
                raise ValueError(f"steps must be a positive integer, got {steps}")
        known = None
        if self.kind == "dataset":
            n = source.cardinality()
            if n == kt.data.INFINITE_CARDINALITY and steps is None:
                raise ValueError(f"{name} is an infinite dataset (repeat() without a count): pass steps_per_epoch "
                                 "(or steps / validation_steps) to say how many batches make an epoch")
            known = n if n >= 0 else None
        elif self.kind == "sequence":
            known = len(source)
        if known == 0:
            raise ValueError(f"{name}: the input yields no batches")
        self.steps = steps
        self.num_batches = min(steps, known) if steps is not None and known is not None else (steps or known)
        self._iter = iter(source) if self.kind == "iterator" else None
        self._pending = None

    def _new_epoch_iter(self):
        if self.kind == "dataset":
            return iter(self.source)
        if self.kind == "sequence":
            workers = getattr(self.source, "workers", 1) or 1
            if workers > 1:
                return _read_ahead(self.source, workers, getattr(self.source, "max_queue_size", 10) or 10)
            return (self.source[i] for i in range(len(self.source)))
        return self._iter

    def _epoch_iter(self):
        # With `steps`, Keras keeps one iterator across epochs and restarts it once it runs out.
        if self.steps is not None and self.kind != "iterator":
            if self._iter is None:
                self._iter = self._new_epoch_iter()
            return self._iter
        return self._new_epoch_iter()

    def _host(self, element):
        x, y, sw = unpack_batch(element)
        x, y, sw = (standardize(a, n) for a, n in ((x, self.name), (y, "y"), (sw, "sample_weight")))
        if x is None:
            raise ValueError(f"{self.name}: a batch has no x")
        check_lengths(x=x, y=y, sample_weight=sw)
        if self.prepare is not None:
            x, y, sw = self.prepare(x, y, sw)
        return x, y, sw

    def peek(self):
        """Reads (and keeps for the first epoch) the first batch, so the model can be built before training."""
        if self._pending is None:
            it = self._epoch_iter()
            try:
                self._pending = (it, self._host(next(it)))
            except StopIteration:
                raise ValueError(f"{self.name}: the input yields no batches") from None
        return self._pending[1]

    def batches(self, order=None):
        """One epoch of (x, y, sample_weight) device tensors; `order` is ignored (streams are not reshuffled)."""
        if self._pending is not None:
            it, first = self._pending
            self._pending = None
            items = [first]
        else:
            it, items = self._epoch_iter(), []
        limit = self.steps
        count = 0
        for host in itertools.chain(items, (self._host(e) for e in _stop_at(it, self, limit, len(items)))):
            yield tuple(to_device(a, self.device) for a in host)
            count += 1
            if limit is not None and count >= limit:
                break
        if self.kind == "sequence":
            on_epoch_end = getattr(self.source, "on_epoch_end", None)
            if on_epoch_end is not None:
                on_epoch_end()
        self.last_count = count


def _stop_at(it, data, limit, already):
    """Elements of `it` up to `limit` in total; a persistent iterator that runs out is restarted next epoch."""
    n = already
    while limit is None or n < limit:
        try:
            element = next(it)
        except StopIteration:
            if data.steps is not None and data.kind != "iterator":
                data._iter = None
            return
        n += 1
        yield element


def _read_ahead(sequence, workers, queue_size):
    """sequence[0], sequence[1], ... in order, read by `workers` threads up to `queue_size` batches ahead."""
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="ktensor-pydataset")
    pending = collections.deque()
    try:
        for i in range(len(sequence)):
            pending.append(pool.submit(sequence.__getitem__, i))
            if len(pending) >= max(queue_size, workers):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
