"""Logs handed to callbacks: metric values are read from the device only when someone looks."""
from collections.abc import Mapping

import ktensor as kt


def read_results(results):
    """{name: 0-d tensor} -> {name: float} with a single device-to-host transfer."""
    if not results:
        return {}
    names = list(results)
    values = kt.stack([kt.cast(kt.reshape(results[n], ()), "float32") for n in names]).numpy()
    return {n: float(v) for n, v in zip(names, values)}


class LazyLogs(Mapping):
    """A read-only mapping computed on first access (per-batch logs cost nothing unless read).

    The values are the running metrics at the moment of the first read, so a callback should read
    batch logs in its hook rather than keep the mapping for later."""

    def __init__(self, compute):
        self._compute = compute
        self._data = None

    def _get(self):
        if self._data is None:
            self._data = self._compute()
        return self._data

    def __getitem__(self, key):
        return self._get()[key]

    def __iter__(self):
        return iter(self._get())

    def __len__(self):
        return len(self._get())

    def __bool__(self):
        return True  # `logs or {}` must not force a read

    def __repr__(self):
        return f"LazyLogs({self._get()!r})"
