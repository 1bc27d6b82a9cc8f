"""Numeric arrays as sources: NumPy ``.npy`` files and ``.npz`` archives.

A ``.npy`` file is memory-mapped (read in place, a block of rows at a time by
its caller), an ``.npz`` member is read whole (NumPy cannot map a member of
an archive). Both are untrusted: objects are never unpickled, the header is
NumPy's own parser's to judge, and only the dtypes a caller accepts pass
(floating point for values; booleans and integers for masks).
"""

from __future__ import annotations

import os
import zipfile
from typing import Any

from ..errors import InputError
from .streams import is_stream

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
FLOATS = "f"  # numpy dtype kinds: float16, float32, float64
MASKS = "biu"  # bool, signed and unsigned integers


def array_kind(path: str) -> str | None:
    """'npy' or 'npz' when the file's first bytes say so (an .npz is a zip of .npy members), else None."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError:
        return None
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
    return None


def load_array(spec: str, name: str, *, key: str | None = None, kinds: str = FLOATS) -> Any:
    """The array in ``spec`` (an .npy file, memory-mapped, or one member of an .npz), checked to be of
    a dtype kind in ``kinds``; ``key`` names the .npz member (needed when it holds more than one)."""
    import numpy as np

    if is_stream(spec):
        raise InputError(f"{name}: arrays are read from files (memory-mapped), not from a stream")
    if os.path.isdir(spec):
        raise InputError(f"{name}: is a directory, not a file")
    if not os.path.exists(spec):
        raise InputError(f"{name}: no such file")
    kind = array_kind(spec)
    if kind is None:
        raise InputError(f"{name}: not a NumPy .npy or .npz file")
    if kind == "npy" and key is not None:
        raise InputError(f"{name}: --key applies to .npz archives; this is an .npy file")
    try:
        if kind == "npy":
            array = np.load(spec, mmap_mode="r", allow_pickle=False)
        else:
            with np.load(spec, allow_pickle=False) as archive:
                members = list(archive.files)
                if key is None:
                    if len(members) != 1:
                        raise InputError(
                            f"{name}: the archive holds {len(members)} arrays ({', '.join(members[:10])}); "
                            "choose one with --key"
                        )
                    key = members[0]
                if key not in members:
                    raise InputError(f"{name}: no array {key!r} in the archive (it has {', '.join(members[:10])})")
                array = archive[key]
    except InputError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        # object arrays (they would need unpickling), truncated or malformed headers
        raise InputError(f"{name}: not a readable NumPy array: {exc}") from None
    if array.dtype.kind not in kinds or array.dtype.fields is not None:
        wanted = "floating point (float16, float32 or float64)" if kinds == FLOATS else "booleans or integers"
        raise InputError(f"{name}: the array holds {array.dtype}; expected {wanted}")
    return array
