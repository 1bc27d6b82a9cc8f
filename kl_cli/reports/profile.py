"""The profile pipeline: data files (and existing profiles) into one profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from ..errors import UsageError
from ..inputs.datasets import TableOptions, frames_of
from ..profiles.build import build_profile, extend_profile, merge_profiles
from ..profiles.model import Profile, check_profile_options
from ..profiles.store import load_profile, looks_like_profile
from .options import column_names, dataset_reading, profile_options_from


def run_profile(
    data: list[Any],
    *,
    columns: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    bins: int | None = None,
    binning: str | None = None,
    categorical: str | Iterable[str] | None = (),
    numeric: str | Iterable[str] | None = (),
    encoding: str = "utf-8",
    input_format: str | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    chunk_rows: int | None = None,
    open_stdin: Callable[[], BinaryIO] | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> Profile:
    """Profile ``data`` as one dataset.

    A profile among ``data`` fixes the types and bin edges, and the data
    files are added to its counts; several profiles are merged by adding
    counts. ``explicit`` names the options the user set on purpose (they
    must then agree with a profile's).
    """
    options, explicit = profile_options_from(bins, binning, categorical, numeric)
    columns = column_names(columns) or None
    exclude = column_names(exclude)
    if not data:
        raise UsageError("no data to profile")
    if sum(1 for d in data if isinstance(d, str) and d == "-") > 1:
        raise UsageError("standard input ('-') can be given only once")
    messages: list[tuple[str, str]] = []
    table = TableOptions.stated(encoding, input_format, delimiter, header)
    read_kwargs = dataset_reading(chunk_rows, open_stdin, progress, messages, table)
    profiles = [p for p in data if isinstance(p, str) and looks_like_profile(p)]
    files = [p for p in data if not any(p is q for q in profiles)]
    if profiles:
        loaded = [load_profile(p) for p in profiles]
        for path, prof in zip(profiles, loaded):
            check_profile_options(prof.options, options, set(explicit), path)
        result = merge_profiles(loaded)
        for path in files:
            result = extend_profile(result, frames_of([path], **read_kwargs)(None), str(path))
    else:
        names = [f if isinstance(f, str) else "DataFrame" for f in files]
        result = build_profile(frames_of(files, **read_kwargs), options, names, columns, exclude)
    for name in exclude or []:
        result.columns.pop(name, None)
    result.notes = [text for _, text in messages]
    return result
