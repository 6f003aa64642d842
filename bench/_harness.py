"""Shared pieces of the benchmark harness: framework imports, timing, fail-soft cells.

Every measurement is a `Row`: one workload at one size, with one value per framework.
A value is a number, or a string saying why there is none ("error: ...", "skipped").
"""
import contextlib
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field

# Quiet, CPU-friendly TensorFlow / Keras defaults; must be set before the first import.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["KERAS_BACKEND"] = "tensorflow"  # the keras/tf column is Keras on TF
# ktensor and torch share one libgomp in this process; whichever loads first sets its wait policy, and
# spinning idle threads of one framework steal the cores of the other. Passive waiting for all.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

FRAMEWORKS = ("ktensor", "torch", "keras/tf", "numpy")
VERBOSE = False  # run.py --verbose: print the traceback of every failed cell


class Skipped(Exception):
    """The framework for this cell is not installed."""


@dataclass
class Row:
    workload: str
    unit: str
    higher_is_better: bool
    values: dict = field(default_factory=dict)
    ratio_vs: tuple = ("torch", "keras/tf")  # peers the ktensor/peer ratio is printed for


@dataclass
class Context:
    quick: bool = False


# ---- framework imports ---------------------------------------------------------------

def import_ktensor():
    import ktensor
    return ktensor


def import_torch():
    """torch with TF32 off (cuDNN convolutions default to TF32): every GPU peer computes in true fp32."""
    try:
        import torch
    except ImportError as e:
        raise Skipped("torch not installed") from e
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null: TF's C++ start-up lines ignore its log level."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_tf():
    first = "tensorflow" not in sys.modules
    with native_stderr_silenced() if first else contextlib.nullcontext():
        try:
            import tensorflow as tf
        except ImportError as e:
            raise Skipped("tensorflow not installed") from e
        if first:
            tf.get_logger().setLevel("ERROR")
            # keep TF on the CPU so it neither competes for nor reserves GPU memory
            tf.config.set_visible_devices([], "GPU")
    return tf


def import_keras():
    import_tf()
    with native_stderr_silenced() if "keras" not in sys.modules else contextlib.nullcontext():
        try:
            import keras
        except ImportError as e:
            raise Skipped("keras not installed") from e
    return keras


def peer_status():
    """Map each peer to None when importable, else the reason it is skipped."""
    status = {}
    for name, load in (("torch", import_torch), ("keras/tf", import_keras)):
        try:
            load()
            status[name] = None
        except Skipped as e:
            status[name] = str(e)
    return status


# ---- devices -------------------------------------------------------------------------

def ktensor_sync(kt, device):
    """The function that waits for ktensor's device, or None on the (synchronous) CPU."""
    return kt.cuda.synchronize if device == "cuda" else None


def torch_sync(torch, device):
    return torch.cuda.synchronize if device == "cuda" else None


# ---- timing --------------------------------------------------------------------------

def median_time(fn, warmup=3, repeat=None, budget=1.0, sync=None):
    """Median wall time of one call of fn, in seconds, after `warmup` calls.

    With repeat=None the number of timed calls is chosen to fill about `budget` seconds
    (at least 3, at most 200). `sync` waits for the device after each call.
    """
    def timed():
        t0 = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        return time.perf_counter() - t0

    for _ in range(warmup):
        fn()
    if sync is not None:
        sync()
    first = timed()
    if repeat is None:
        repeat = int(min(200, max(3, budget / max(first, 1e-9))))
    return statistics.median([first] + [timed() for _ in range(repeat - 1)])


SETTLE_S = 0.5  # pause before each measurement


def cell(fn, *args, **kwargs):
    """Run one measurement; on failure return the error as a string instead of raising.

    It starts with a short pause: the worker threads of the framework measured before
    (OpenBLAS, OpenMP, Eigen) spin for a while after their last job, and on a small
    machine they would steal the cores from this measurement.
    """
    time.sleep(SETTLE_S)
    try:
        return fn(*args, **kwargs)
    except Skipped:
        return "skipped"
    except Exception as e:  # fail soft: the table shows the error and the run goes on
        if VERBOSE:
            traceback.print_exc(file=sys.stderr)
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return f"error: {type(e).__name__}: {msg}" if msg else f"error: {type(e).__name__}"


def peak_rss_mb():
    """Peak resident set size of this process in MiB (VmHWM: unlike ru_maxrss it is not inherited
    from the parent across fork + exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found in /proc/self/status")


def rss_mb():
    """Resident set size of this process in MiB, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# ---- Keras-API train steps (ktensor and Keras run the same model code) -----------------

def ktensor_train_step(keras_model, x, y, device="cpu"):
    """(one train_on_batch step of keras_model(ktensor.keras) on (x, y), its sync)."""
    kt = import_ktensor()
    from ktensor import keras
    with kt.device(device):
        kt.random.set_seed(0)
        model = keras_model(keras)

    def step():
        with kt.device(device):
            model.train_on_batch(x, y)
    return step, ktensor_sync(kt, device)


def keras_train_step(keras_model, x, y, device="cpu"):
    """(one train_on_batch step of keras_model(keras) on (x, y), None): Keras 3 on TensorFlow, CPU only."""
    if device != "cpu":
        raise RuntimeError("the keras/tf peer runs on the CPU only")
    keras = import_keras()
    keras.utils.set_random_seed(0)
    model = keras_model(keras)
    return (lambda: model.train_on_batch(x, y)), None


def step_rows(label, makers, batches, device, peers, quick, heavy=False):
    """One Row per batch size: median ms of one step made by makers[framework](batch, device), for
    ktensor and the peers. `heavy` steps get fewer warm-up calls and a longer time budget."""
    if heavy:
        warmup, budget = (3, 1.5) if quick else (10, 5.0)
    else:
        warmup, budget = (5, 1.0) if quick else (20, 4.0)

    def step_ms(make, batch):
        step, sync = make(batch, device)
        return 1e3 * median_time(step, warmup=warmup, budget=budget, sync=sync)

    for batch in batches:
        values = {name: cell(step_ms, makers[name], batch) for name in ("ktensor", *peers)}
        yield Row(label(batch), "ms", False, values, peers)
