"""tf.data-style input pipelines on the host: elements are (nested) numpy arrays.

A Dataset is a recipe; iterating it (once per epoch) runs the recipe from its source. Batches stay
on the host as numpy arrays; the trainer moves each batch to the model's device.
"""
import collections
import concurrent.futures
import itertools
import os
import queue
import threading

import numpy as np

from .structure import flatten, map_structure, stack, to_numpy

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def _count(value, name, allow_minus_one=False):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < 0 and not (allow_minus_one and value == -1):
        raise ValueError(f"{name} must be non-negative{' or -1' if allow_minus_one else ''}, got {value}")
    return value


def _autotune_threads(n):
    if n is None:
        return 1
    n = int(n)
    if n == AUTOTUNE:
        return max(2, min(8, os.cpu_count() or 2))
    if n < 1:
        raise ValueError(f"num_parallel_calls must be a positive integer or AUTOTUNE, got {n}")
    return n


class Dataset:
    """Base class: subclasses implement `_iterate()` (a fresh iterator over elements) and `_cardinality()`."""

    # -- sources --
    @staticmethod
    def from_tensor_slices(tensors):
        """One element per index of axis 0 of every component (numpy arrays, ktensor tensors, tuples, dicts)."""
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors):
        """A dataset of exactly one element: `tensors` itself."""
        return _TensorSlices(map_structure(lambda a: to_numpy(a)[None], tensors))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None):
        """Elements produced by calling `generator(*args)` afresh for each pass."""
        return _Generator(generator, output_types, output_shapes, args, output_signature)

    @staticmethod
    def range(*args):
        return _TensorSlices(np.arange(*args, dtype=np.int64))

    @staticmethod
    def zip(*datasets):
        """Elements of several datasets side by side (a tuple, or a dict for a dict of datasets); stops at the
        shortest."""
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)):
            datasets = datasets[0]
        return _Zip(datasets)

    # -- transformations --
    def concatenate(self, dataset):
        return _Concatenate(self, dataset)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None):
        return _Batch(self, _count(batch_size, "batch_size"), drop_remainder)

    def unbatch(self):
        return _Unbatch(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def map(self, map_func, num_parallel_calls=None, deterministic=None):
        return _Map(self, map_func, _autotune_threads(num_parallel_calls))

    def filter(self, predicate):
        return _Filter(self, predicate)

    def prefetch(self, buffer_size):
        return _Prefetch(self, buffer_size)

    def repeat(self, count=None):
        return _Repeat(self, None if count is None or count == -1 else _count(count, "count"))

    def take(self, count):
        return _Take(self, _count(count, "count", allow_minus_one=True))

    def skip(self, count):
        return _Skip(self, _count(count, "count", allow_minus_one=True))

    def cache(self, filename=""):
        if filename:
            raise NotImplementedError("Dataset.cache(filename): only the in-memory cache is supported")
        return _Cache(self)

    # -- reading --
    def __iter__(self):
        return self._iterate()

    def as_numpy_iterator(self):
        return self._iterate()

    def cardinality(self):
        """The number of elements, INFINITE_CARDINALITY (-1) or UNKNOWN_CARDINALITY (-2)."""
        return self._cardinality()

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def _iterate(self):
        raise NotImplementedError

    def _cardinality(self):
        return UNKNOWN_CARDINALITY


class _TensorSlices(Dataset):
    def __init__(self, tensors):
        self._data = _slice_source(tensors)
        leaves = flatten(self._data)
        if not leaves:
            raise ValueError("from_tensor_slices needs at least one component")
        for a in leaves:
            if a.ndim == 0:
                raise ValueError("from_tensor_slices: every component needs a leading axis to slice, got a scalar")
        lengths = [int(a.shape[0]) for a in leaves]
        if len(set(lengths)) > 1:
            raise ValueError(f"from_tensor_slices: all components must have the same length along axis 0, got "
                             f"lengths {lengths}")
        self._n = lengths[0]

    def _iterate(self):
        data = self._data
        for i in range(self._n):
            yield map_structure(lambda a: a[i], data)

    def _gather(self, index):
        """The elements at `index` (an int array) stacked as one batch."""
        return map_structure(lambda a: a[index], self._data)

    def _cardinality(self):
        return self._n


def _slice_source(s):
    """Tuples and dicts are structure; everything else (arrays, tensors, Python lists) is one component."""
    if isinstance(s, dict):
        return {k: _slice_source(v) for k, v in s.items()}
    if isinstance(s, tuple):
        return tuple(_slice_source(v) for v in s)
    return to_numpy(s)


class _Generator(Dataset):
    def __init__(self, generator, output_types, output_shapes, args, output_signature):
        if not callable(generator):
            raise TypeError("from_generator: `generator` must be a callable returning an iterator, got "
                            f"{type(generator).__name__}")
        self._gen, self._args = generator, tuple(args or ())
        self._dtypes = self._shapes = None
        if output_signature is not None:
            self._dtypes = map_structure(lambda spec: getattr(spec, "dtype", None), output_signature)
            self._shapes = [getattr(spec, "shape", None) for spec in flatten(output_signature)]
        elif output_types is not None:
            self._dtypes = output_types
            if output_shapes is not None:  # one shape per component of output_types
                if isinstance(output_types, dict):
                    self._shapes = [output_shapes[k] for k in output_types]
                elif isinstance(output_types, (tuple, list)):
                    self._shapes = list(output_shapes)
                else:
                    self._shapes = [output_shapes]

    def _convert(self, element):
        if self._dtypes is None:
            return map_structure(to_numpy, element)
        if isinstance(self._dtypes, (tuple, list, dict)):
            if not isinstance(element, type(self._dtypes)) and not (
                    isinstance(element, (tuple, list)) and isinstance(self._dtypes, (tuple, list))):
                raise TypeError(f"from_generator: the generator yielded {type(element).__name__}, which does not "
                                "match the structure of the output signature")
            leaves = iter(flatten(self._dtypes))
            return map_structure(lambda v: to_numpy(v, _np_dtype(next(leaves))), element)
        return to_numpy(element, _np_dtype(self._dtypes))

    def _check_shapes(self, element):
        for i, (arr, shape) in enumerate(zip(flatten(element), self._shapes)):
            if shape is None:
                continue
            dims = [None if d is None else int(d) for d in (shape.as_list() if hasattr(shape, "as_list") else shape)]
            if len(dims) != arr.ndim or any(d is not None and d != n for d, n in zip(dims, arr.shape)):
                raise ValueError(f"from_generator: component {i} of an element has shape {tuple(arr.shape)}, "
                                 f"which does not match the declared shape {tuple(dims)}")

    def _iterate(self):
        for element in self._gen(*self._args):
            element = self._convert(element)
            if self._shapes is not None:
                self._check_shapes(element)
            yield element


def _np_dtype(dtype):
    if dtype is None:
        return None
    as_numpy = getattr(dtype, "as_numpy_dtype", None)
    if as_numpy is not None:
        return as_numpy
    name = getattr(dtype, "name", dtype)
    return np.dtype(name if isinstance(name, str) else dtype)


class _Zip(Dataset):
    def __init__(self, datasets):
        self._datasets = datasets
        parts = list(datasets.values()) if isinstance(datasets, dict) else list(datasets)
        if not parts or not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("Dataset.zip expects datasets (as arguments, a tuple or a dict)")

    def _iterate(self):
        if isinstance(self._datasets, dict):
            keys = list(self._datasets)
            for values in zip(*(self._datasets[k]._iterate() for k in keys)):
                yield dict(zip(keys, values))
        else:
            yield from zip(*(d._iterate() for d in self._datasets))

    def _cardinality(self):
        parts = self._datasets.values() if isinstance(self._datasets, dict) else self._datasets
        ns = [d._cardinality() for d in parts]
        known = [n for n in ns if n >= 0]
        if known:
            return min(known) if len(known) == len(ns) or min(known) == 0 else UNKNOWN_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in ns else INFINITE_CARDINALITY


class _Concatenate(Dataset):
    def __init__(self, first, second):
        self._parts = (first, second)

    def _iterate(self):
        for d in self._parts:
            yield from d._iterate()

    def _cardinality(self):
        a, b = (d._cardinality() for d in self._parts)
        if INFINITE_CARDINALITY in (a, b):
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY if min(a, b) < 0 else a + b


class _Unary(Dataset):
    def __init__(self, source):
        self._source = source

    def _cardinality(self):
        return self._source._cardinality()


class _Batch(_Unary):
    def __init__(self, source, batch_size, drop_remainder):
        super().__init__(source)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._size, self._drop = batch_size, bool(drop_remainder)

    def _iterate(self):
        src = self._source
        # Fast paths with the same result: slices of in-memory arrays are gathered a batch at a time.
        if isinstance(src, _TensorSlices):
            return self._gathered(src, iter(range(src._n)))
        if isinstance(src, _Shuffle) and isinstance(src._source, _TensorSlices):
            return self._gathered(src._source, src._shuffled(iter(range(src._source._n))))
        return self._stacked(src._iterate())

    def _stacked(self, it):
        while True:
            chunk = list(itertools.islice(it, self._size))
            if not chunk or (self._drop and len(chunk) < self._size):
                return
            yield stack(chunk)

    def _gathered(self, slices, indices):
        while True:
            chunk = np.fromiter(itertools.islice(indices, self._size), dtype=np.int64)
            if not len(chunk) or (self._drop and len(chunk) < self._size):
                return
            yield slices._gather(chunk)

    def _cardinality(self):
        n = self._source._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


class _Unbatch(_Unary):
    def _iterate(self):
        for batch in self._source._iterate():
            leaves = flatten(batch)
            n = int(leaves[0].shape[0]) if leaves and np.ndim(leaves[0]) else 0
            for i in range(n):
                yield map_structure(lambda a: a[i], batch)

    def _cardinality(self):
        n = self._source._cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else (0 if n == 0 else UNKNOWN_CARDINALITY)


class _Shuffle(_Unary):
    """tf.data's buffer shuffle: keep `buffer_size` elements, emit a random one, refill its slot."""

    def __init__(self, source, buffer_size, seed, reshuffle):
        super().__init__(source)
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = 1024
        if buffer_size < 1:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}")
        self._buffer_size, self._reshuffle = buffer_size, bool(reshuffle)
        if seed is None:  # drawn from ktensor.random, so ktensor.random.set_seed makes the order reproducible
            from .. import random
            seed = random.shuffle_seed()
        self._seed = int(seed) & ((1 << 63) - 1)
        self._epoch = 0
        self._lock = threading.Lock()

    def _iterate(self):
        return self._shuffled(self._source._iterate())

    def _shuffled(self, elements):
        with self._lock:
            epoch = self._epoch
            if self._reshuffle:
                self._epoch += 1
        return self._buffer_shuffle(elements, np.random.default_rng([self._seed, epoch]))

    def _buffer_shuffle(self, elements, rng):
        uniforms = iter(())

        def pick(n):  # a random slot in [0, n); uniforms are drawn in blocks (one rng call per 1024 picks)
            nonlocal uniforms
            u = next(uniforms, None)
            if u is None:
                uniforms = iter(rng.random(1024).tolist())
                u = next(uniforms)
            return min(int(u * n), n - 1)

        buf = []
        for element in elements:
            if len(buf) < self._buffer_size:
                buf.append(element)
                continue
            i = pick(len(buf))
            out, buf[i] = buf[i], element
            yield out
        while buf:
            i = pick(len(buf))
            buf[i], buf[-1] = buf[-1], buf[i]
            yield buf.pop()


class _Map(_Unary):
    def __init__(self, source, fn, threads):
        super().__init__(source)
        if not callable(fn):
            raise TypeError(f"map: map_func must be callable, got {type(fn).__name__}")
        self._fn, self._threads = fn, threads

    def _apply(self, element):
        out = self._fn(*element) if isinstance(element, tuple) else self._fn(element)
        return map_structure(to_numpy, out)

    def _iterate(self):
        if self._threads <= 1:
            for element in self._source._iterate():
                yield self._apply(element)
            return
        # In order: keep a window of submitted calls, emit the oldest as soon as it is done.
        pool = concurrent.futures.ThreadPoolExecutor(self._threads, thread_name_prefix="ktensor-data-map")
        pending = collections.deque()
        try:
            for element in self._source._iterate():
                pending.append(pool.submit(self._apply, element))
                if len(pending) >= 2 * self._threads:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


class _Filter(_Unary):
    def __init__(self, source, predicate):
        super().__init__(source)
        self._pred = predicate

    def _iterate(self):
        for element in self._source._iterate():
            keep = self._pred(*element) if isinstance(element, tuple) else self._pred(element)
            if bool(np.asarray(to_numpy(keep))):
                yield element

    def _cardinality(self):
        n = self._source._cardinality()
        return INFINITE_CARDINALITY if n == INFINITE_CARDINALITY else UNKNOWN_CARDINALITY


class _Repeat(_Unary):
    def __init__(self, source, count):
        super().__init__(source)
        self._times = count

    def _iterate(self):
        passes = itertools.count() if self._times is None else range(self._times)
        for _ in passes:
            empty = True
            for element in self._source._iterate():
                empty = False
                yield element
            if empty:
                return

    def _cardinality(self):
        n = self._source._cardinality()
        if self._times == 0 or n == 0:
            return 0
        if self._times is None or n == INFINITE_CARDINALITY:
            return INFINITE_CARDINALITY
        return n if n < 0 else n * self._times


class _Take(_Unary):
    def __init__(self, source, count):
        super().__init__(source)
        self._n = count

    def _iterate(self):
        it = self._source._iterate()
        return it if self._n == -1 else itertools.islice(it, self._n)

    def _cardinality(self):
        n = self._source._cardinality()
        if self._n == -1:
            return n
        if n == INFINITE_CARDINALITY:
            return self._n
        return UNKNOWN_CARDINALITY if n == UNKNOWN_CARDINALITY else min(n, self._n)


class _Skip(_Unary):
    def __init__(self, source, count):
        super().__init__(source)
        self._n = count

    def _iterate(self):
        it = self._source._iterate()
        if self._n == -1:
            for _ in it:
                pass
            return iter(())
        return itertools.islice(it, self._n, None)

    def _cardinality(self):
        n = self._source._cardinality()
        if n < 0:
            return n
        return 0 if self._n == -1 else max(0, n - self._n)


class _Cache(_Unary):
    """Elements kept in memory after the first complete pass; later passes read them from there."""

    def __init__(self, source):
        super().__init__(source)
        self._items = None

    def _iterate(self):
        if self._items is not None:
            yield from self._items
            return
        items = []
        for element in self._source._iterate():
            items.append(element)
            yield element
        self._items = items  # only a complete pass fills the cache


_DONE = object()


class _Failure:
    def __init__(self, error):
        self.error = error


def _producer(source_iter, q, stop):
    """Runs in the prefetch thread: fills the queue until the source ends or the consumer goes away."""
    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                pass
        return False

    try:
        for element in source_iter:
            if not put(element):
                return
        put(_DONE)
    except BaseException as e:  # handed to the consumer, raised there
        put(_Failure(e))
    finally:
        close = getattr(source_iter, "close", None)
        if close is not None:
            close()


class _PrefetchIterator:
    """Reads what the background thread produced; dropping (or closing) it stops the thread."""

    def __init__(self, source, size):
        self._queue = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=_producer, args=(source._iterate(), self._queue, self._stop),
                                       name="ktensor-data-prefetch", daemon=True)
        self._finished = False
        self.thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _DONE:
            self._finished = True
            self.thread.join()
            raise StopIteration
        if isinstance(item, _Failure):
            self._finished = True
            self.close()
            raise item.error
        return item

    def close(self):
        self._finished = True
        self._stop.set()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout=5)

    def __del__(self):
        stop = getattr(self, "_stop", None)
        if stop is not None:
            stop.set()


class _Prefetch(_Unary):
    def __init__(self, source, buffer_size):
        super().__init__(source)
        buffer_size = int(buffer_size)
        if buffer_size == AUTOTUNE:
            buffer_size = 2
        if buffer_size < 0:
            raise ValueError(f"prefetch: buffer_size must be non-negative or AUTOTUNE, got {buffer_size}")
        self._size = buffer_size

    def _iterate(self):
        if self._size == 0:
            return self._source._iterate()
        return _PrefetchIterator(self._source, self._size)
