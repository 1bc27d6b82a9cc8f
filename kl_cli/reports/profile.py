"""The profile pipeline: data files (and existing profiles) into one profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

from ..errors import UsageError
from ..inputs.datasets import TableOptions
from ..profiles.build import extend_profile, merge_profiles
from ..profiles.model import Profile, check_profile_options
from ..profiles.store import ProfileTarget, read_profile_or_data
from .drift_rules import ColumnRule, check_profile_rules, column_rules, given, profile_with_rules
from .engine import Engine
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
    columns_config: Mapping[str, ColumnRule | Mapping[str, Any]] | None = None,
    option_sources: Mapping[str, str] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    partition_progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Profile ``data`` as one dataset.

    A profile among ``data`` fixes the types and bin edges, and the data
    files are added to its counts; several profiles are merged by adding
    counts. Options the user set on purpose must agree with a profile's.
    ``target``, the file the profile will replace, must not be one of the
    data files (it may be one of the profiles: that is an update).
    ``columns_config`` gives columns a type, bins or ignore of their own, as
    drift's does (a profile among ``data`` must agree with them);
    ``option_sources`` says which options a configuration file gave, for messages.
    ``engine`` ``"dask"`` counts the data files on a Dask cluster (the one at
    ``scheduler``, else a local one of ``workers`` processes), with the same
    result as ``"local"``; ``partition_progress(done, total)`` follows it.
    Data may be paths, glob patterns and fsspec URLs.
    """
    options, explicit = profile_options_from(bins, binning, categorical, numeric)
    runner = Engine(engine, scheduler, workers, partition_progress)
    rules = column_rules(columns_config)
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
    for item in (file for spec in data for file in runner.files(spec)):
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
    with runner:
        if loaded:
            for name, prof in loaded:
                check_profile_options(prof.options, options, set(explicit), name, dict(option_sources or {}))
                check_profile_rules(prof, rules, name)
            result = merge_profiles([prof for _, prof in loaded])
            if files:  # the data files are one dataset, counted with the profiles' edges
                names = ["stdin" if path == "-" else str(path) for path in files]
                result = extend_profile(result, runner.dataset(files, read_kwargs), names)
        else:
            names = [("stdin" if f == "-" else f) if isinstance(f, str) else "DataFrame" for f in files]
            frames = runner.dataset(files, read_kwargs)
            seen: dict[str, None] = {}
            result = profile_with_rules(frames, options, names, columns, exclude, rules, seen, option_sources)
            unknown = [c for c in columns or () if c not in seen]
            if unknown:
                named = ", ".join(map(repr, unknown))
                raise UsageError(f"{given(option_sources, 'columns')} names {named}, not in the data")
    for name in [*(exclude or []), *(n for n, r in rules.items() if r.ignore)]:
        result.columns.pop(name, None)
    result.notes = [text for _, text in messages]
    result.engine = runner.name
    return result
