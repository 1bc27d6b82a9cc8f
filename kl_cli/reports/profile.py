"""The profile pipeline: data files (and existing profiles) into one profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from ..errors import UsageError
from ..inputs.datasets import TableOptions, frames_of
from ..profiles.build import build_profile, extend_profile, merge_profiles
from ..profiles.model import Profile, check_profile_options
from ..profiles.store import ProfileTarget, read_profile_or_data
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
    target: ProfileTarget | None = None,
) -> Profile:
    """Profile ``data`` as one dataset.

    A profile among ``data`` fixes the types and bin edges, and the data
    files are added to its counts; several profiles are merged by adding
    counts. Options the user set on purpose must agree with a profile's.
    ``target``, the file the profile will replace, must not be one of the
    data files (it may be one of the profiles: that is an update).
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
    loaded: list[tuple[str, Profile]] = []
    files: list[Any] = []
    spooled: dict[str, Any] = {}
    for item in data:
        if not isinstance(item, str):
            files.append(item)
            continue
        name = "stdin" if item == "-" else item
        prof, spool = read_profile_or_data(item, name, open_stdin, table.input_format)
        if prof is not None:
            loaded.append((name, prof))
            continue
        files.append(item)
        if spool is not None:
            spooled[item] = spool
    if target is not None:
        target.refuse_inputs(files)
    read_kwargs["spooled"] = spooled
    if loaded:
        for name, prof in loaded:
            check_profile_options(prof.options, options, set(explicit), name)
        result = merge_profiles([prof for _, prof in loaded])
        for path in files:
            name = "stdin" if path == "-" else str(path)
            result = extend_profile(result, frames_of([path], **read_kwargs)(None), name)
    else:
        names = [("stdin" if f == "-" else f) if isinstance(f, str) else "DataFrame" for f in files]
        result = build_profile(frames_of(files, **read_kwargs), options, names, columns, exclude)
    for name in exclude or []:
        result.columns.pop(name, None)
    result.notes = [text for _, text in messages]
    return result
