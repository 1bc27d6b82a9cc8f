"""JSON tables read as chunks: JSON lines, or a JSON document of records.

Every row must be an object whose values are cells that can be counted
(numbers within the float range, strings, booleans, null); a row that is not
is refused in one line naming its line (or record). Parsed as strictly as JSON
elsewhere: no NaN or Infinity tokens.
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from ..text import show_label
from .cells import too_many_digits
from .source import Source
from .streams import MAX_JSON_BYTES, decode, is_utf8


def json_chunks(src: Source, chunk_rows: int, encoding: str, fmt: str) -> Iterator[Any]:
    """JSON lines, or a JSON document of records (a list of row objects, or one object: one row)."""
    enc = "utf-8-sig" if is_utf8(encoding) else encoding
    with src.reading() as handle:
        if fmt == "jsonl":
            yield from _jsonl_chunks(handle, src.name, chunk_rows, enc)
            return
        data = handle.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        raise InputError(
            f"{src.name}: a JSON document over {MAX_JSON_BYTES >> 20} MiB is not read", hint="give it as JSON lines"
        )
    from .jsondoc import parse_json_text

    value = parse_json_text(decode(data, encoding, src.name), src.name)
    rows = [value] if isinstance(value, dict) else value
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(
            f'{src.name}: a JSON table must be a list of row objects (records), like [{{"a": 1}}, {{"a": 2}}]'
        )
    for number, row in enumerate(rows, 1):
        if not all(map(countable, row.values())):
            refuse_row(row, f"{src.name}: record {number}")
    for start in range(0, len(rows), chunk_rows):
        yield _frame_of(rows[start : start + chunk_rows])


def _jsonl_chunks(handle: Any, source: str, chunk_rows: int, encoding: str) -> Iterator[Any]:
    """JSON lines as DataFrames of ``chunk_rows`` rows. Every line must be a
    JSON object whose values are numbers, strings, booleans or null (the
    cells that can be counted); blank lines are skipped. Parsed as strictly
    as JSON elsewhere: no NaN/Infinity tokens."""

    decoder = json.JSONDecoder(parse_constant=_no_constant)  # numbers stay on the C fast path
    raw = open(handle, "rb") if isinstance(handle, str) else handle  # noqa: SIM115 (closed below)
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    try:
        rows: list[dict[str, Any]] = []
        for number, line in enumerate(text, 1):
            if not line.strip():
                continue
            try:
                row = _decode_line(decoder, line)
            except RecursionError:
                raise InputError(f"{source}: line {number}: JSON is nested too deeply") from None
            except _BadNumber as exc:
                raise InputError(f"{source}: line {number}: {exc}") from None
            except json.JSONDecodeError as exc:
                raise InputError(f"{source}: line {number}: malformed JSON: {exc}") from None
            except ValueError:  # an integer longer than Python converts
                raise InputError(f"{source}: line {number}: {too_many_digits()}") from None
            if type(row) is not dict or not all(map(countable, row.values())):
                refuse_row(row, f"{source}: line {number}")
            rows.append(row)
            if len(rows) == chunk_rows:
                yield _frame_of(rows)
                rows = []
        if rows:
            yield _frame_of(rows)
    finally:
        text.detach()  # a handle given to us (a spooled stream) stays open for the next pass
        if raw is not handle:
            raw.close()


def _decode_line(decoder: json.JSONDecoder, line: str) -> Any:
    """One JSON document on a line: the C scanner directly (the public decode
    adds two regular-expression matches per line), the full decoder only to
    word the error when there is one."""
    text = line.strip()
    try:
        value, end = decoder.scan_once(text, 0)
    except StopIteration:
        end = -1
    if end != len(text):
        return decoder.decode(text)  # raises the JSONDecodeError that says what is wrong
    return value


_FLOAT_MAX_INT = int(sys.float_info.max)


def countable(value: Any) -> bool:
    """A JSON cell that can be counted: a number within the float range (the
    parser turns 1e400 into inf), a string, a boolean or null."""
    kind = type(value)
    if kind is float:
        return math.isfinite(value)
    if kind is int:
        return -_FLOAT_MAX_INT <= value <= _FLOAT_MAX_INT
    return kind is str or kind is bool or value is None


def refuse_row(row: Any, where: str) -> None:
    """Say what is wrong with a row that is not an object of countable cells."""
    if not isinstance(row, dict):
        kind = "a JSON array" if isinstance(row, list) else f"{json.dumps(row)[:20]!r}"
        raise InputError(f"{where} is {kind}, not an object: JSON lines hold one object per line")
    for key, value in row.items():
        if isinstance(value, (dict, list)):
            kind = "object" if isinstance(value, dict) else "array"
            raise InputError(
                f"{where}: field {show_label(key)} holds a JSON {kind}; "
                "only numbers, strings, booleans and null can be counted"
            )
        if not countable(value):
            raise InputError(f"{where}: field {show_label(key)} holds a number beyond the range of a float")


def _frame_of(rows: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(rows, index=pd.RangeIndex(len(rows)))  # the index keeps rows that are {}


class _BadNumber(ValueError):
    pass


def _no_constant(token: str) -> Any:
    raise _BadNumber(f"{token} is not a number JSON allows")
