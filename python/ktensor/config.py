"""Build facts and device selection: what this ktensor can use, and where new tensors go."""
import contextlib
import os
import threading

from . import _core

_local = threading.local()
_default = None


def cuda_available():
    return _core.cuda_device_count() > 0


def _initial_device():
    env = os.environ.get("KTENSOR_DEVICE")
    if env:
        env = env.strip().lower()
        if env == "cuda":
            env = "cuda:0"
        if env != "cpu" and not env.startswith("cuda"):
            raise ValueError(f"KTENSOR_DEVICE={env!r} is not a device (use 'cpu' or 'cuda:N')")
        return env
    return "cuda:0" if cuda_available() else "cpu"


def canonical_device(name):
    """'cpu', 'gpu', 'cuda', 'cuda:1', '/GPU:0', '/device:CPU:0' -> 'cpu' or 'cuda:N'; checks it exists."""
    s = str(name).strip().lower()
    for prefix in ("/device:", "/"):
        if s.startswith(prefix):
            s = s[len(prefix):]
    kind, _, idx = s.partition(":")
    if kind == "cpu":
        return "cpu"
    if kind in ("cuda", "gpu"):
        try:
            index = int(idx) if idx else 0
        except ValueError:
            raise ValueError(f"invalid device {name!r}") from None
        n = _core.cuda_device_count()
        if not _core.cuda_compiled():
            raise RuntimeError(f"device {name!r} requested, but this ktensor was built without CUDA")
        if index >= n:
            raise RuntimeError(f"device {name!r} requested, but {n} CUDA device(s) are visible")
        return f"cuda:{index}"
    raise ValueError(f"invalid device {name!r} (expected 'cpu', 'cuda' or 'cuda:N')")


def default_device():
    """The device new tensors are created on: the innermost `ktensor.device(...)`, else the global default."""
    stack = getattr(_local, "stack", None)
    if stack:
        return stack[-1]
    global _default
    if _default is None:
        _default = canonical_device(_initial_device())
    return _default


def set_default_device(name):
    global _default
    _default = canonical_device(name)


@contextlib.contextmanager
def device(name):
    """`with ktensor.device('cpu'):` creates tensors (and runs models built inside) on that device."""
    dev = canonical_device(name)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(dev)
    try:
        yield dev
    finally:
        stack.pop()


def set_num_threads(n):
    """Threads for CPU kernels (OpenMP) and BLAS."""
    _core.set_num_threads(int(n))


def info():
    """A dict describing this build: version, CUDA compiled in, GPUs visible, BLAS, threads, default device."""
    from . import __version__
    return {
        "version": __version__,
        "cuda_compiled": _core.cuda_compiled(),
        "cuda_devices": _core.cuda_device_count(),
        "blas": _core.blas_info(),
        "openmp_threads": _core.num_threads(),
        "default_device": default_device(),
    }
