"""A dataset's files cut into partitions, the units a cluster counts one at a time.

A Parquet file is cut along its row groups, consecutive groups taken
together up to about ``PARTITION_ROWS`` rows; any other file (text,
compressed) is one partition, read in chunks. A partition is read by the
same reader as a whole file (``iter_dataset``), so its cells are typed by the
same rule; only the row groups differ.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from .datasets import TableOptions, iter_dataset
from .locations import is_url, local_path
from .source import Source

PARTITION_ROWS = 1_000_000


@dataclass(frozen=True)
class Partition:
    """Part of one file: ``path`` is what a worker opens (absolute, or a
    URL), ``name`` the file as the user named it; ``row_groups`` of a Parquet
    file, or None for the whole file. ``index`` counts from 1 of ``total``."""

    path: str
    name: str
    row_groups: tuple[int, ...] | None
    index: int
    total: int
    whole_file: bool

    def describe(self) -> str:
        """'partition 3 of 20 (row groups 4-5)', for messages."""
        where = ""
        if self.row_groups:
            first, last = self.row_groups[0] + 1, self.row_groups[-1] + 1
            where = f" (row group {first})" if first == last else f" (row groups {first}-{last})"
        return f"partition {self.index} of {self.total}{where}"


@dataclass(frozen=True)
class PartitionReading:
    """What a worker needs to read any partition: the layout the user stated,
    chunk rows, and whether the dataset has several files (then a file
    without rows is a note, not an error)."""

    table: TableOptions
    chunk_rows: int
    several: bool


def plan_partitions(files: list[str], table: TableOptions, rows: int = PARTITION_ROWS) -> list[Partition]:
    """The partitions of ``files`` (already expanded), in file order."""
    pieces: list[tuple[str, str, tuple[int, ...] | None, bool]] = []
    for name in files:
        path = name if is_url(name) else os.path.abspath(local_path(name))
        groups = _parquet_groups(Source(path, name, stated=table.input_format), rows)
        if groups is None or len(groups) <= 1:
            pieces.append((path, name, None, True))
        else:
            pieces += [(path, name, group, False) for group in groups]
    return [Partition(p, n, g, i, len(pieces), w) for i, (p, n, g, w) in enumerate(pieces, 1)]


def _parquet_groups(src: Source, rows: int) -> list[tuple[int, ...]] | None:
    """Consecutive row groups of a plain Parquet file, grouped up to ``rows``
    rows; None for any other file (read whole)."""
    if src.format != "parquet" or src.compression is not None:
        return None
    import pyarrow.parquet as pq

    handle = src.seekable_copy()
    try:
        meta = pq.ParquetFile(handle).metadata
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    except Exception as exc:  # pyarrow raises its own error classes
        raise InputError(f"{src.name}: cannot read Parquet: {' '.join(str(exc).split())[:200]}") from None
    finally:
        handle.close()
    groups: list[tuple[int, ...]] = []
    current: list[int] = []
    held = 0
    for i, n in enumerate(sizes):
        if current and held + n > rows:
            groups.append(tuple(current))
            current, held = [], 0
        current.append(i)
        held += n
    if current:
        groups.append(tuple(current))
    return groups


def read_partition(
    part: Partition, reading: PartitionReading, columns: list[str] | None, messages: list[tuple[str, str]]
) -> Iterator[Any]:
    """The chunks of one partition (only ``columns`` when given)."""
    yield from iter_dataset(
        part.path,
        part.name,
        chunk_rows=reading.chunk_rows,
        columns=columns,
        table=reading.table,
        messages=messages,
        row_groups=None if part.row_groups is None else list(part.row_groups),
        allow_empty=True,
    )
