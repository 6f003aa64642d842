"""The dataset cache shared by the loaders: Keras' layout, checksums, atomic downloads.

Files live where Keras keeps them, so a cache filled by Keras is reused as is:
`$KERAS_HOME/datasets/` when KERAS_HOME is set, else `~/.keras/datasets/` (else
`/tmp/.keras/datasets/` when the home directory is not writable).

A cached file whose SHA-256 is listed in `KNOWN_SHA256` is verified before use and fetched
again when it does not match. Downloads go to a temporary file in the target folder and are
moved into place with `os.replace`, so an interrupted transfer never leaves a half file under
the final name. With no network and no cached file the error names the file, the URL and the
path where to put a copy fetched elsewhere.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

__all__ = ["cache_root", "get_file", "KNOWN_SHA256"]

# SHA-256 of the files as published, keyed by file name: the values Keras 3 passes as
# `file_hash` in keras/src/datasets/{mnist,fashion_mnist,cifar10,cifar100}.py. Loaders look
# the table up at call time, so a test can replace an entry.
KNOWN_SHA256 = {
    "mnist.npz":
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "cifar-10-python.tar.gz":
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
    "cifar-100-python.tar.gz":
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
}

_CHUNK = 1 << 20


def cache_root():
    """The Keras cache folder: $KERAS_HOME, else ~/.keras, else /tmp/.keras if not writable."""
    env = os.environ.get("KERAS_HOME")
    if env:
        return os.path.expanduser(env)
    home = os.path.join(os.path.expanduser("~"), ".keras")
    parent = home if os.path.isdir(home) else os.path.dirname(home)
    if os.access(parent, os.W_OK):
        return home
    return os.path.join(tempfile.gettempdir(), ".keras")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, dest):
    """Fetch `url` into `dest` atomically (temporary file in the same folder + os.replace)."""
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(dest) + ".", suffix=".part",
                               dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            shutil.copyfileobj(response, out, _CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _offline_error(fname, url, dest, reason, hint=""):
    return OSError(
        f"Could not download the dataset file '{fname}' from {url} ({reason}). "
        f"If this machine has no internet access, download that URL on another machine and "
        f"put the file at {dest}{hint}, then call load_data() again.")


def _extract(archive, target_dir):
    """Unpack a tar archive into `target_dir` (replacing it) through a temporary folder."""
    parent = os.path.dirname(target_dir)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(target_dir) + ".", suffix=".part", dir=parent)
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                for member in tar.getmembers():
                    name = os.path.normpath(member.name)
                    if name.startswith("..") or os.path.isabs(name) or not (
                            member.isfile() or member.isdir()):
                        raise ValueError(f"refusing to extract {member.name!r} from {archive}")
                tar.extractall(tmp)
        if os.path.isdir(target_dir):
            shutil.rmtree(target_dir)
        os.replace(tmp, target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def get_file(fname, origin, cache_subdir="datasets", extract=False, hash_key=None):
    """Path of the cached copy of `origin`, downloading it first when needed.

    Args:
        fname: name in the cache folder. With `extract=True` it is the name of the folder the
            archive is unpacked into and the archive itself is kept as `<fname>_archive`,
            as Keras 3 does.
        origin: URL of the file.
        cache_subdir: folder under the cache root (Keras: "datasets").
        extract: unpack the (tar) archive and return the folder instead of the file.
        hash_key: key of `KNOWN_SHA256` holding the expected SHA-256 (None: not verified).

    Returns:
        The path of the file, or of the extracted folder when `extract` is True.
    """
    datadir = os.path.join(cache_root(), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    expected = KNOWN_SHA256.get(hash_key) if hash_key is not None else None
    if extract:
        target = os.path.join(datadir, fname + "_archive")
        extract_dir = os.path.join(datadir, fname)
    else:
        target = os.path.join(datadir, fname)
        extract_dir = None

    corrupt = False
    if os.path.exists(target):
        need_download = corrupt = expected is not None and sha256(target) != expected
        if corrupt:
            print(f"The cached file {target} does not match its published SHA-256 "
                  f"(corrupted or incomplete); downloading it again.")
    elif extract and os.path.isdir(extract_dir) and os.listdir(extract_dir):
        # Only the unpacked folder is cached (the archive was removed or never kept).
        return extract_dir
    else:
        need_download = True

    if need_download:
        print(f"Downloading data from {origin}")
        hint = f" (or unpack the archive into {extract_dir})" if extract else ""
        if corrupt:
            hint += " in place of the cached copy there, which fails its SHA-256 check"
        try:
            _download(origin, target)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise _offline_error(os.path.basename(origin), origin, target, reason, hint) from e
        if expected is not None:
            actual = sha256(target)
            if actual != expected:
                os.remove(target)
                raise ValueError(
                    f"The file downloaded from {origin} has SHA-256 {actual}, expected "
                    f"{expected}: the transfer was corrupted or the file changed upstream.")

    if not extract:
        return target
    if need_download or not os.path.isdir(extract_dir):
        _extract(target, extract_dir)
    return extract_dir
