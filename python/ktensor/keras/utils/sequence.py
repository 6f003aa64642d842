"""keras.utils.pad_sequences: a list of variable-length sequences -> one padded 2-d+ array."""
import numpy as np

__all__ = ["pad_sequences"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (and truncate) sequences to a common length, as Keras.

    Args:
        sequences: list of sequences (lists or arrays); each element may itself be an array,
            all of the same shape, which becomes the trailing shape of the result.
        maxlen: length of the output; default the length of the longest sequence.
        dtype: dtype of the output (use `object` for variable-length strings).
        padding: "pre" or "post": pad before or after each sequence.
        truncating: "pre" or "post": drop values from the start or the end of sequences
            longer than `maxlen`.
        value: the padding value.

    Returns:
        Array of shape `(len(sequences), maxlen) + element_shape`.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences: `sequences` must be a list of sequences, got "
                         f"{type(sequences).__name__}")
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding type "{padding}" not understood '
                         '(expected "pre" or "post")')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating type "{truncating}" not understood '
                         '(expected "pre" or "post")')
    lengths, sample_shape = [], None
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError("pad_sequences: `sequences` must be a list of iterables, found "
                             f"the non-iterable {s!r}") from None
        if sample_shape is None and len(s):
            sample_shape = np.asarray(s).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)
    if maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    is_str_dtype = np.issubdtype(np.dtype(dtype), np.str_)
    if isinstance(value, str) and np.dtype(dtype) != object and not is_str_dtype:
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the padding value "
                         f"{value!r}; use dtype=object for variable-length strings")

    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: sequence {i} has elements of shape "
                             f"{kept.shape[1:]}, unlike the shape {sample_shape} of the first "
                             "non-empty sequence")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
