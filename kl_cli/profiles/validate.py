"""A parsed profile document, checked completely, into a ``Profile``.

A profile is untrusted input: it may have been edited by hand, merged
sloppily or cut short. Every rule of ``profile.schema.json`` is applied
(``schema.py``), then the rules a JSON Schema cannot state (its
``x-kl-cli-rules``): no repeated keys, finite and strictly increasing
edges, counts keyed by exactly the bins' labels, and row totals that add
up. The first broken rule is one line naming the file and the field.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..core.binning import bin_labels
from ..errors import InputError
from ..text import show_label
from ..vocabulary import MISSING
from .model import MISSING_KEY, ColumnProfile, Profile, ProfileOptions
from .schema import Path, SchemaError, validate

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def profile_from_document(document: Any, name: str) -> Profile:
    """The ``Profile`` of a parsed document (``inputs.jsondoc.parse_json_text``),
    or an ``InputError`` naming ``name`` and the field at fault."""
    try:
        _no_repeated_keys(document)
        validate(document)
        return _profile(document, name)
    except SchemaError as exc:
        raise InputError(f"{name}: {where(exc.path)}: {exc.message}", hint="rebuild it with kl-cli profile") from None


def where(path: Path) -> str:
    """A field's path as a reader writes it: ``columns.age.edges[3]``, ``columns["a b"].counts``."""
    if not path:
        return "the document"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{show_label(part)}]"
    return out


def _no_repeated_keys(document: Any) -> None:
    """The JSON parser keeps every pair of an object that repeats a key
    (``jsondoc.DuplicateKeys``); in a profile any repeat is an error."""
    stack: list[tuple[Any, Path]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            pairs = getattr(value, "pairs", None)
            if pairs is not None:
                seen: set[str] = set()
                for key, _ in pairs:
                    if key in seen:
                        raise SchemaError(path, f"repeats the key {show_label(key)}")
                    seen.add(key)
            stack.extend((item, (*path, key)) for key, item in value.items() if isinstance(item, (dict, list)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value) if isinstance(item, (dict, list)))


def _profile(doc: dict[str, Any], name: str) -> Profile:
    version = doc["version"]
    opts = doc["options"]
    options = ProfileOptions(int(opts["bins"]), opts["binning"], tuple(opts["categorical"]), tuple(opts["numeric"]))
    rows = int(doc["rows"])
    columns = {
        cname: _column(cname, col, version, options, rows, ("columns", cname)) for cname, col in doc["columns"].items()
    }
    return Profile(columns, rows, options, list(doc.get("sources", [name])), list(doc.get("notes", [])))


def _column(
    cname: str, col: dict[str, Any], version: int, options: ProfileOptions, rows: int, at: Path
) -> ColumnProfile:
    counts: dict[str | None, int] = {str(k): int(v) for k, v in col["counts"].items()}
    # version 1 counted missing cells under the label "(missing)"
    missing = counts.pop(MISSING, 0) if version == 1 else int(col["missing"])
    own = int(col["bins"]) if "bins" in col else None
    edges = _edges(col["edges"], own, options, (*at, "edges")) if "edges" in col else None
    if edges is not None:
        labels = bin_labels(edges)
        if set(counts) != set(labels):
            stray = sorted(set(counts) - set(labels))
            lacking = [label for label in labels if label not in counts]
            what = (
                f"a count for {show_label(stray[0])}, which is not a bin" if stray else f"no count for bin {lacking[0]}"
            )
            raise SchemaError((*at, "counts"), f"has {what} of its edges (the bins are {', '.join(labels)})")
        counts = {label: counts[label] for label in labels}  # in the bins' order, whatever the file's
    if int(col["rows"]) != rows:
        raise SchemaError((*at, "rows"), f"is {col['rows']}, but the profile has {rows} rows")
    if col["type"] == "skipped":
        if counts or missing:
            raise SchemaError(at, "is skipped but has counts")
    elif missing + sum(counts.values()) != rows:
        total = missing + sum(counts.values())
        raise SchemaError(at, f"counts add up to {total} (missing cells included), but it has {rows} rows")
    floats: dict[str | None, float] = {k: float(v) for k, v in counts.items()}
    if col["type"] != "skipped":
        floats[MISSING_KEY] = float(missing)
    return ColumnProfile(
        cname, col["type"], col["typed_by"], floats, rows, edges, col.get("reason"), list(col.get("notes", [])), own
    )


def _edges(values: list[Any], own: int | None, options: ProfileOptions, at: Path) -> tuple[float, ...]:
    edges: list[float] = []
    for index, value in enumerate(values):
        try:
            edge = float(value)
        except OverflowError:
            edge = math.inf
        if not math.isfinite(edge):
            raise SchemaError((*at, index), "is not a finite number")
        if edges and edge <= edges[-1]:
            raise SchemaError(
                (*at, index), f"is {value}, not above the edge before it ({edges[-1]!r}): edges must increase"
            )
        edges.append(edge)
    if own is not None and len(edges) + 1 > own:
        raise SchemaError(at, f"makes {len(edges) + 1} bins, but the column's bins say {own}")
    if own is None and len(edges) + 1 > options.bins:
        raise SchemaError(at, f"makes {len(edges) + 1} bins, but the profile's options say --bins {options.bins}")
    return tuple(edges)
