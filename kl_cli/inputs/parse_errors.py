"""What pandas raises on a bad file, as one-line errors; column names made distinct."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..errors import InputError
from .streams import _byte_order_hint


@contextlib.contextmanager
def pandas_read_errors(source: str, kind: str, encoding: str = "utf-8") -> Iterator[None]:
    """Turn what pandas raises on a bad file into one-line ``InputError``s."""
    import pandas as pd

    try:
        yield
    except pd.errors.EmptyDataError:
        raise InputError(f"{source}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not valid {exc.encoding} text (byte 0x{exc.object[exc.start]:02x})",
            hint="pass --encoding, e.g. --encoding latin-1",
        ) from None
    except UnicodeError as exc:  # e.g. 'UTF-16 stream does not start with BOM'
        raise InputError(f"{source}: cannot decode the {kind} text: {exc}", hint=_byte_order_hint(encoding)) from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"{source}: cannot parse as {kind}: {detail}") from None


def unique_names(names: list[str]) -> list[str]:
    """Repeated column names made distinct the way pandas does: a, a.1, a.2."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            candidate = f"{name}.{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}.{seen[name]}"
            seen[candidate] = 0
            out.append(candidate)
        else:
            seen[name] = 0
            out.append(name)
    return out
