"""TensorBoard event files, written without TensorFlow or a protobuf library.

An event file is a sequence of TFRecords; each record holds one serialized `tensorflow.Event`:

    record  = uint64 length (little-endian) | uint32 masked_crc32c(length bytes)
              | data | uint32 masked_crc32c(data)
    Event   = wall_time: double (field 1) | step: int64 (field 2)
              | file_version: string (field 3, first record only: "brain.Event:2")
              | summary: Summary (field 5)
    Summary = repeated Value (field 1)
    Value   = tag: string (field 1) | simple_value: float (field 2)
              | tensor: TensorProto (field 8) | metadata: SummaryMetadata (field 9)

The protobuf wire format is encoded by hand: a key is varint((field << 3) | wire type), with wire
types 0 (varint), 1 (64-bit), 2 (length-delimited) and 5 (32-bit).
"""
import itertools
import math
import os
import socket
import struct
import time

# -- CRC32C (Castagnoli), reflected polynomial 0x82F63B78, table-driven --
_CRC32C_POLY = 0x82F63B78


def _make_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _make_table()


def crc32c(data, crc=0):
    """CRC32C of `data` (bytes-like); pass a previous result as `crc` to continue over more data."""
    table = _CRC32C_TABLE
    crc ^= 0xFFFFFFFF
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The CRC stored in TFRecord framing: rotate right by 15 bits and add a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data):
    """One TFRecord: length, masked CRC of the length, data, masked CRC of the data."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))


# -- protobuf wire format --
def _varint(value):
    if value < 0:
        value += 1 << 64  # int64: two's complement, always 10 bytes
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _length_delimited(field, payload):
    return _key(field, 2) + _varint(len(payload)) + payload


def _float32(value):
    """`value` as little-endian float32 bytes; out-of-range finite values become +-inf (as a cast)."""
    try:
        return struct.pack("<f", value)
    except OverflowError:
        return struct.pack("<f", math.copysign(math.inf, value))


def encode_summary_value(tag, simple_value):
    """A Summary.Value message with a tag and a simple_value."""
    return _length_delimited(1, tag.encode("utf-8")) + _key(2, 5) + _float32(simple_value)


# Value.metadata (field 9) = SummaryMetadata{plugin_data (1): PluginData{plugin_name (1), content (2)}};
# Value.tensor (field 8) = TensorProto{dtype (1), tensor_shape (2; empty = a scalar), string_val (8)}.
_DT_STRING = 7


def encode_string_tensor_value(tag, data, plugin_name, plugin_content=b""):
    """A Summary.Value holding a scalar string tensor for a TensorBoard plugin (as tf.summary.write does)."""
    plugin_data = _length_delimited(1, plugin_name.encode("utf-8"))
    if plugin_content:
        plugin_data += _length_delimited(2, plugin_content)
    metadata = _length_delimited(1, plugin_data)
    tensor = _key(1, 0) + _varint(_DT_STRING) + _length_delimited(2, b"") + _length_delimited(8, data)
    return _length_delimited(1, tag.encode("utf-8")) + _length_delimited(8, tensor) + _length_delimited(9, metadata)


def encode_event(wall_time, step=0, file_version=None, summary_values=None, encoded_values=None):
    """A serialized Event. `summary_values` is a list of (tag, float) pairs and `encoded_values` a list of
    already encoded Summary.Value messages, stored together as one Summary."""
    out = bytearray(_key(1, 1) + struct.pack("<d", wall_time))
    if step:
        out += _key(2, 0) + _varint(int(step))
    if file_version is not None:
        out += _length_delimited(3, file_version.encode("utf-8"))
    if summary_values is not None or encoded_values is not None:
        values = [encode_summary_value(tag, v) for tag, v in summary_values or ()] + list(encoded_values or ())
        out += _length_delimited(5, b"".join(_length_delimited(1, v) for v in values))
    return bytes(out)


# -- the writer --
_FILE_COUNTER = itertools.count()


class EventFileWriter:
    """Appends Events to a new file `events.out.tfevents.<time>.<hostname>.<pid>.<n>` in `logdir`.

    The first record is the file_version Event ("brain.Event:2"). Records are buffered by the file
    object; `flush()` pushes them to disk and `close()` flushes and closes the file."""

    FILE_VERSION = "brain.Event:2"

    def __init__(self, logdir, filename_suffix=""):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        now = time.time()
        name = (f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_FILE_COUNTER)}{filename_suffix}")
        self.path = os.path.join(self.logdir, name)
        self._file = open(self.path, "wb")
        self.add_event(encode_event(now, file_version=self.FILE_VERSION))
        self.flush()

    @property
    def closed(self):
        return self._file.closed

    def add_event(self, event_bytes):
        if self._file.closed:
            raise ValueError(f"the event file {self.path} is closed")
        self._file.write(frame_record(event_bytes))

    def add_scalar(self, tag, value, step, wall_time=None):
        """One Event holding one scalar Summary.Value (as tf.summary writes one event per scalar)."""
        wall_time = time.time() if wall_time is None else wall_time
        self.add_event(encode_event(wall_time, step=step, summary_values=[(tag, float(value))]))

    def add_string_tensor(self, tag, data, plugin_name, plugin_content=b"", step=0, wall_time=None):
        """One Event holding a scalar string tensor for a plugin (the Keras model JSON, "graph_keras_model")."""
        wall_time = time.time() if wall_time is None else wall_time
        value = encode_string_tensor_value(tag, data, plugin_name, plugin_content)
        self.add_event(encode_event(wall_time, step=step, encoded_values=[value]))

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.flush()
            self._file.close()
