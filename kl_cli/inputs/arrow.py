"""Arrow arrays to and from numpy without pandas.

``pyarrow.array()`` and ``Array.to_numpy()`` import pandas (slow to load), so
the reading path builds and unpacks arrays from their buffers instead; a
drift of CSV files then never loads pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def numbers(arr: Any) -> np.ndarray:
    """A null-free numeric Arrow array (or chunked array) as a numpy array."""
    if hasattr(arr, "chunks"):
        parts = [numbers(c) for c in arr.chunks]
        return np.concatenate(parts) if parts else np.empty(0)
    dtype = np.dtype(arr.type.to_pandas_dtype())
    data = arr.buffers()[1]
    if data is None or len(arr) == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=len(arr) + arr.offset)[arr.offset :].copy()


def flags(arr: Any) -> np.ndarray:
    """A null-free boolean Arrow array as a numpy bool array."""
    if hasattr(arr, "chunks"):
        parts = [flags(c) for c in arr.chunks]
        return np.concatenate(parts) if parts else np.empty(0, dtype=bool)
    data = arr.buffers()[1]
    if data is None or len(arr) == 0:
        return np.empty(0, dtype=bool)
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
    return bits[arr.offset : arr.offset + len(arr)].astype(bool)


def mask(values: np.ndarray) -> Any:
    """A numpy bool array as an Arrow boolean array."""
    import pyarrow as pa

    packed = np.packbits(np.asarray(values, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(packed)])


def indices(values: np.ndarray) -> Any:
    """Positions as an Arrow int64 array (for ``take``)."""
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def strings(values: list[str] | tuple[str, ...]) -> Any:
    """Python strings as an Arrow string array."""
    import pyarrow as pa

    encoded = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


class TextColumn:
    """One column of a ``TextChunk``: Arrow strings, never null (cells as written)."""

    def __init__(self, array: Any) -> None:
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def tolist(self) -> list[str]:
        return self.array.to_pylist()


class TextChunk:
    """Rows of delimited text held by Arrow, with the DataFrame surface the
    pipeline uses (``columns``, ``chunk[name]``, ``len``, ``attrs``)."""

    def __init__(self, table: Any, names: list[str]) -> None:
        self.table = table
        self.columns = list(names)
        self.attrs: dict[str, Any] = {}

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def __getitem__(self, name: str) -> TextColumn:
        return TextColumn(self.table.column(self.columns.index(name)))
