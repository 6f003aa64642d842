"""CUDA memory statistics of the caching allocator (all zero without CUDA)."""
from . import _core


def _idx(device):
    if device is None:
        return 0
    s = str(device)
    return int(s.split(":")[1]) if ":" in s else int(s) if s.isdigit() else 0


def is_available():
    return _core.cuda_device_count() > 0


def device_count():
    return _core.cuda_device_count()


def memory_allocated(device=None):
    """Bytes held by live tensors on the device."""
    return _core.cuda_memory_allocated(_idx(device)) if is_available() else 0


def max_memory_allocated(device=None):
    return _core.cuda_max_memory_allocated(_idx(device)) if is_available() else 0


def memory_reserved(device=None):
    """Bytes the caching allocator holds from the driver (live plus cached)."""
    return _core.cuda_memory_reserved(_idx(device)) if is_available() else 0


def reset_peak_memory_stats(device=None):
    if is_available():
        _core.cuda_reset_peak(_idx(device))


def empty_cache():
    """Returns cached, unused blocks to the driver."""
    if is_available():
        _core.cuda_empty_cache()


def synchronize(device=None):
    if is_available():
        _core.cuda_synchronize(_idx(device))
