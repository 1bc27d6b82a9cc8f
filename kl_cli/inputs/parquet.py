"""Parquet columns by their Arrow types: which can be counted, and each as plain values.

A column of lists, structs, maps or unions holds nested values, refused as
in JSON; everything else is read by the cell rule as plain values:
dictionaries as their values, extension types as their storage, binary as
UTF-8 text, decimals as numbers, dates, times and durations as their text.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..text import show_label

# Set on the first rows read for a peek: the columns whose cells cannot be
# counted (Parquet lists, structs, maps), shown as empty until read for good.
UNCOUNTABLE = "kl_cli.uncountable"


def countable_type(kind: Any) -> bool:
    """False for lists, structs, maps and unions (nested values, refused as in
    JSON), also dictionary-encoded or as an extension type's storage."""
    import pyarrow as pa

    while isinstance(kind, (pa.DictionaryType, pa.ExtensionType)):
        kind = kind.value_type if isinstance(kind, pa.DictionaryType) else kind.storage_type
    return not pa.types.is_nested(kind)


def check_column_type(kind: Any, name: str, source: str, peek: bool = False) -> None:
    """Refuse a column whose cells cannot be counted (see ``countable_type``).
    Dictionary-encoded columns are read as their values, binary ones as
    UTF-8 text, decimals as numbers, dates, times and durations as their text."""
    if not peek and not countable_type(kind):
        raise InputError(
            f"{source}: column {show_label(name)} has type {show_label(str(kind), 80)}, which kl-cli cannot count "
            "(it counts numbers, text, booleans, dates and times)"
        )


def plain_batch(batch: Any, source: str, peek: bool = False) -> Any:
    """A Parquet batch with each column as its plain values: dictionaries
    decoded (so that categories absent from the rows are not counted as 0),
    extension types as their storage, binary as UTF-8 text; (``peek``)
    nested columns as empty."""
    import pyarrow as pa

    changed = False
    arrays = []
    for name, array in zip(batch.schema.names, batch.columns):
        original = array
        while isinstance(array.type, (pa.DictionaryType, pa.ExtensionType)):
            array = array.dictionary_decode() if isinstance(array.type, pa.DictionaryType) else array.storage
        kind = array.type
        if pa.types.is_nested(kind) and peek:
            array = pa.nulls(len(array), pa.string())
        if pa.types.is_fixed_size_binary(kind):
            array = array.cast(pa.binary())
        if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
            try:
                array = array.cast(pa.large_string() if pa.types.is_large_binary(array.type) else pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise InputError(
                    f"{source}: column {show_label(name)} holds binary data that is not UTF-8 text, "
                    "which kl-cli cannot count"
                ) from None
        changed = changed or array is not original
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names) if changed else batch
