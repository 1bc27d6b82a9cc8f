"""`--engine dask` gives what `--engine local` gives, on a real LocalCluster.

One cluster of two worker processes serves the whole file (the session
fixture ``dask_cluster`` in conftest.py); every run goes through the CLI with
``--scheduler ADDRESS``. The equality checks cover CSV, TSV, JSON lines and
Parquet (several row groups per file), compressed or not, over datasets of
several files with missing values, huge integers, booleans, text among
numbers, binned and categorical numbers, a file without data rows and files
that lack a column: the profile JSON is the same apart from "engine" and
"sources", and drift's reports are the same byte for byte in every text
format. Then: errors inside a partition, usage errors, a worker lost
mid-run (retried) or lost on every attempt (reported), Ctrl-C (the cluster's
tasks are cancelled), and the exact two-pass bin edges computed on workers.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import assert_one_line_error, describe, run, strict_json, wait_until, write_csv

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")
# The worker plugins below are classes of this module, which the workers
# cannot import: they travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CITIES = ("paris", "oslo", "lima", "kyiv")
HUGE = 123456789012345678901234567890
INT64 = np.iinfo(np.int64)
COLUMNS = ("amount", "rating", "flag", "huge", "code", "mostly", "city")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No pyproject.toml above the current folder: no configuration file is read by accident."""
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------------------
# Data: a few small files per dataset, with every kind of column


def _records(n: int, seed: int, shift: float = 0.0) -> list[dict[str, Any]]:
    """``n`` rows as Python values (None = missing): amount has many distinct
    numbers (binned), rating few (categorical), flag booleans, huge a binned
    column with 30-digit integers, code a categorical one with them, mostly
    numbers with a few words (categorical), city text."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        u = rng.random(8)
        out.append(
            {
                "amount": None if u[0] < 0.05 else round(float(rng.normal(100 + shift, 30)), 3),
                "rating": None if u[1] < 0.05 else int(rng.integers(1, 6)),
                "flag": None if u[2] < 0.1 else bool(u[3] < 0.4 + shift / 100),
                "huge": HUGE if u[4] < 0.1 else int(rng.integers(0, 40)),
                "code": HUGE if u[5] < 0.2 else int(rng.integers(7, 10)),
                "mostly": ("n/a" if u[6] < 0.015 else "unknown") if u[6] < 0.03 else int(rng.integers(0, 8)),
                "city": None if u[7] < 0.03 else CITIES[int(rng.integers(0, 4))],
            }
        )
    return out


# (rows, columns left out) of the files of a dataset: an empty one, one
# lacking a column, one with its columns in another order.
PLAN = ((400, ()), (0, ()), (300, ("flag",)), (500, ("reversed",)))


def _text_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _delimited(records: list[dict[str, Any]], columns: list[str], delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_text_cell(r[c]) for c in columns] for r in records)
    return out.getvalue().encode()


def _json_lines(records: list[dict[str, Any]], columns: list[str]) -> bytes:
    # a missing value is sometimes null, sometimes an absent key
    lines = []
    for i, r in enumerate(records):
        row = {c: r[c] for c in columns if not (r[c] is None and i % 2)}
        lines.append(json.dumps(row) + "\n")
    return "".join(lines).encode()


def _compress(data: bytes, compression: str) -> bytes:
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


def _parquet(path: Path, n: int, seed: int, columns: list[str], shift: float) -> None:
    """Typed Parquet columns, several row groups: floats with nulls, int64
    with its extremes, booleans, strings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    pick = rng.random(n)
    big = np.where(pick < 0.05, INT64.min, np.where(pick > 0.95, INT64.max, rng.integers(-1000, 1000, n)))
    arrays = {
        "amount": pa.array(rng.normal(100 + shift, 30, n), mask=rng.random(n) < 0.05),
        "rating": pa.array(rng.integers(1, 6, n), mask=rng.random(n) < 0.05),
        "flag": pa.array(rng.random(n) < 0.4 + shift / 100, mask=rng.random(n) < 0.1),
        "huge": pa.array(big, type=pa.int64()),
        "code": pa.array(np.where(rng.random(n) < 0.2, INT64.max, rng.integers(7, 10, n)), type=pa.int64()),
        "city": pa.array(np.array(CITIES)[rng.integers(0, 4, n)], mask=rng.random(n) < 0.03),
    }
    table = pa.table({c: arrays[c] for c in columns if c in arrays})
    pq.write_table(table, path, row_group_size=128)


def write_dataset(folder: Path, fmt: str, seed: int = 1, shift: float = 0.0) -> list[str]:
    """The files of one dataset (PLAN) in ``fmt`` (csv, tsv, jsonl, parquet, optionally
    .gz or .zst), sorted by name; their paths. JSON lines have no file without
    rows: with no header, such a file is empty, which is an error."""
    folder.mkdir(parents=True, exist_ok=True)
    base, _, compression = fmt.partition(".")
    paths = []
    for i, (n, left_out) in enumerate(PLAN):
        if base == "jsonl" and n == 0:
            continue
        columns = [c for c in COLUMNS if c not in left_out]
        if "reversed" in left_out:
            columns = columns[::-1]
        path = folder / f"part-{i}.{fmt}"
        if base == "parquet":
            _parquet(path, n, seed * 10 + i, columns, shift)
        else:
            records = _records(n, seed * 10 + i, shift)
            if base == "jsonl":
                data = _json_lines(records, columns)
            else:
                data = _delimited(records, columns, "\t" if base == "tsv" else ",")
            path.write_bytes(_compress(data, compression))
        paths.append(str(path))
    return paths


# ---------------------------------------------------------------------------
# Running both engines


@pytest.fixture
def scheduler(dask_cluster: Any) -> str:
    return dask_cluster.scheduler_address


def _ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    return result


def profile_json(engine: str, scheduler: str, *args: str) -> tuple[dict[str, Any], Any]:
    """``kl-cli profile ARGS -o - --engine ENGINE``: the profile's JSON (its
    "engine" checked, it and "sources" removed) and the run's result."""
    extra = ("--scheduler", scheduler) if engine == "dask" else ()
    result = _ok("profile", *args, "-o", "-", "--engine", engine, *extra)
    data = strict_json(result.stdout)
    assert data.pop("engine") == engine
    data.pop("sources")
    return data, result


def assert_same_profile(scheduler: str, *args: str) -> tuple[dict[str, Any], Any, Any]:
    """The profile JSON of --engine dask equals --engine local's (key order
    included) apart from "engine" and "sources"; returns it and both runs."""
    local, local_run = profile_json("local", scheduler, *args)
    on_dask, dask_run = profile_json("dask", scheduler, *args)
    assert json.dumps(on_dask, indent=1) == json.dumps(local, indent=1)
    return local, local_run, dask_run


def assert_same_drift(scheduler: str, *args: str) -> Any:
    """drift ARGS on both engines: the same exit status, stdout byte for byte, no traceback."""
    local = run("drift", *args, "--engine", "local")
    on_dask = run("drift", *args, "--engine", "dask", "--scheduler", scheduler)
    assert local.exit_code in (0, 1), describe(local)
    assert on_dask.exit_code == local.exit_code, describe(on_dask)
    assert "Traceback" not in on_dask.stderr, describe(on_dask)
    assert on_dask.stdout == local.stdout
    return local


# ---------------------------------------------------------------------------
# Equality


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet", "csv.gz", "jsonl.gz", "csv.zst"])
def test_profile_is_the_same_on_both_engines(tmp_path: Path, scheduler: str, fmt: str):
    paths = write_dataset(tmp_path / "data", fmt)
    profile, local, on_dask = assert_same_profile(scheduler, *paths)
    for result in (local, on_dask):  # the file without rows is a note, not an error
        assert "part-1" in result.stderr or "jsonl" in fmt, describe(result)
    # the dataset is what it should be: every row of the non-empty files, every kind of column
    assert profile["rows"] == sum(n for n, _ in PLAN)
    columns = profile["columns"]
    assert columns["amount"]["type"] == "numeric"
    assert columns["rating"]["type"] == "categorical"
    assert columns["flag"]["missing"] >= 300  # the file without the column counts as missing
    assert columns["huge"]["type"] == "numeric"
    if fmt != "parquet":
        assert str(HUGE) in columns["code"]["counts"]
        assert columns["mostly"]["type"] == "categorical"
        assert {"n/a", "unknown"} <= set(columns["mostly"]["counts"])


def test_profile_of_a_single_file_and_of_profiles_mixed_with_data(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "csv")
    assert_same_profile(scheduler, paths[0])
    _ok("profile", paths[0], "-o", str(tmp_path / "base.json"))
    # a profile among the data fixes the edges; the data files are counted against it
    assert_same_profile(scheduler, str(tmp_path / "base.json"), *paths[1:])


@pytest.mark.parametrize("seed", range(4))
def test_random_layouts_are_the_same_on_both_engines(tmp_path: Path, scheduler: str, seed: int):
    """Datasets of 2-5 files in mixed formats, each with its own subset and
    order of the columns and its own size (none, one row, a few hundred):
    columns first seen in a later file, a column in one file only, numbers
    that cross the categorical limit only when files are merged."""
    rng = np.random.default_rng(100 + seed)
    paths = []
    for i in range(int(rng.integers(2, 6))):
        columns = [c for c in COLUMNS if rng.random() < 0.7] or ["amount"]
        columns = [columns[k] for k in rng.permutation(len(columns))]
        n = int(rng.choice([0, 1, 7, 150, 400])) if i else int(rng.choice([1, 150]))
        fmt = str(rng.choice(["csv", "jsonl", "parquet", "csv.gz"]))
        if fmt == "jsonl" and n == 0:
            n = 1
        path = tmp_path / f"f{i}.{fmt}"
        if fmt == "parquet":
            _parquet(path, n, seed * 100 + i, columns, 0.0)
        else:
            # per file only a few distinct amounts, so the column is binned only once files are merged
            records = _records(n, seed * 100 + i)
            for r in records:
                if r["amount"] is not None:
                    r["amount"] = round(r["amount"] / 25) * 25 + i
            data = _json_lines(records, columns) if fmt == "jsonl" else _delimited(records, columns, ",")
            path.write_bytes(_compress(data, fmt.partition(".")[2]))
        paths.append(str(path))
    local = run("profile", *paths, "-o", "-", "--engine", "local")
    on_dask = run("profile", *paths, "-o", "-", "--engine", "dask", "--scheduler", scheduler)
    assert on_dask.exit_code == local.exit_code, describe(on_dask)
    if local.exit_code:
        assert on_dask.stderr == local.stderr
        return
    expected, got = strict_json(local.stdout), strict_json(on_dask.stdout)
    for data in (expected, got):
        data.pop("engine"), data.pop("sources")
    assert json.dumps(got) == json.dumps(expected)
    # the same files as CURRENT (a pattern over mixed formats) against the first
    args = ("drift", paths[0], str(tmp_path / "f*"), "--format", "csv", "--engine")
    local, on_dask = run(*args, "local"), run(*args, "dask", "--scheduler", scheduler)
    assert (on_dask.exit_code, on_dask.stdout, on_dask.stderr) == (local.exit_code, local.stdout, local.stderr)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_text_among_many_numbers_is_the_same_error_on_both_engines(tmp_path: Path, scheduler: str, fmt: str):
    """A column of many distinct numbers with a word in another file (in
    Parquet: a file whose column is of strings): neither binned nor
    categorical, an error, and the same one."""
    folder = tmp_path / "data"
    paths = write_dataset(folder, fmt)
    words = folder / f"words.{fmt}"
    if fmt == "jsonl":
        words.write_text('{"amount": "lots"}\n{"amount": 3.5}\n')
    elif fmt == "csv":
        words.write_text("amount,city\nlots,oslo\n3.5,lima\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"amount": ["lots", "3.5"], "city": ["oslo", "lima"]}), words)
    args = [*paths, str(words)]
    local = run("profile", *args, "-o", "-", "--engine", "local")
    on_dask = run("profile", *args, "-o", "-", "--engine", "dask", "--scheduler", scheduler)
    line = assert_one_line_error(local, ["amount", "lots"])
    assert assert_one_line_error(on_dask) == line


def test_glob_and_file_url_give_the_listed_files(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "parquet")
    listed = tuple(paths)
    pattern = str(tmp_path / "data" / "*.parquet")
    urls = tuple(Path(p).as_uri() for p in paths)
    expected, _ = profile_json("local", scheduler, *listed)
    for args in ((pattern,), urls, (Path(pattern).as_uri(),)):
        for engine in ("local", "dask"):
            got, _ = profile_json(engine, scheduler, *args)
            assert got == expected, (engine, args)
    # drift takes one REFERENCE and one CURRENT: a glob and a file:// URL glob
    write_dataset(tmp_path / "cur", "parquet", seed=2, shift=15)
    assert_same_drift(scheduler, pattern, (tmp_path / "cur").as_uri() + "/*.parquet", "--format", "json")


def test_an_fsspec_url_pattern_gives_the_listed_files(tmp_path: Path, scheduler: str):
    """local:// is fsspec's own name of the local filesystem: the URL path of
    other filesystems (s3://, gs://), expanded by fsspec."""
    paths = write_dataset(tmp_path / "data", "csv.gz")
    expected, _ = profile_json("local", scheduler, *paths)
    # its files are named as fsspec spells them, file://...
    expected["notes"] = [n.replace(str(tmp_path), f"file://{tmp_path}", 1) for n in expected["notes"]]
    for engine in ("local", "dask"):
        got, _ = profile_json(engine, scheduler, f"local://{tmp_path}/data/*.csv.gz")
        assert got == expected, engine


def test_relative_paths_are_read_from_the_current_folder(tmp_path: Path, scheduler: str):
    """The workers' own working folder is not the command's: a relative path still names the same file."""
    write_dataset(tmp_path / "data", "csv")
    local, _ = profile_json("local", scheduler, "data/part-0.csv", "data/part-3.csv")
    for args in (("data/part-0.csv", "data/part-3.csv"), ("data/part-[03].csv",)):
        got, _ = profile_json("dask", scheduler, *args)
        assert got == local, args


def _processes_with(marker: str) -> list[int]:
    """The processes whose environment holds ``marker`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_workers_starts_a_cluster_of_its_own_and_closes_it(tmp_path: Path, scheduler: str):
    """A real process: nothing but notes on stderr (distributed's own
    diagnostics are not printed) and, once it exits, none of the worker
    processes it started is left (they inherit a marker in the environment)."""
    paths = write_dataset(tmp_path / "data", "parquet")
    expected, _ = profile_json("local", scheduler, *paths)
    marker = f"KL_CLI_TEST_RUN={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    done = subprocess.run(
        [sys.executable, "-m", "kl_cli", "profile", *paths, "-o", "-", "--engine", "dask", "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert all(line.startswith("kl-cli: note:") for line in done.stderr.splitlines()), done.stderr
    got = strict_json(done.stdout)
    assert got.pop("engine") == "dask"
    got.pop("sources")
    assert got == expected
    wait_until(lambda: not _processes_with(marker), 30, "the run's worker processes to be gone")


def test_python_api_engine_dask(tmp_path: Path, scheduler: str):
    from kl_cli import api

    ref = write_dataset(tmp_path / "ref", "jsonl", seed=6)
    cur = str(tmp_path / "cur" / "*.jsonl")
    write_dataset(tmp_path / "cur", "jsonl", seed=7, shift=10)
    local = api.profile(*ref).to_dict()
    on_dask = api.profile(*ref, engine="dask", scheduler=scheduler).to_dict()
    assert (local.pop("engine"), on_dask.pop("engine")) == ("local", "dask")
    local.pop("sources"), on_dask.pop("sources")
    assert on_dask == local
    pattern = str(tmp_path / "ref" / "*.jsonl")
    expected = api.drift(pattern, cur, bins=6).to_dict()
    assert api.drift(pattern, cur, bins=6, engine="dask", scheduler=scheduler).to_dict() == expected
    # a DataFrame is in this process only: no engine but the local one counts it
    import pandas as pd

    from kl_cli.errors import UsageError

    frame = pd.DataFrame({"a": range(50)})
    with pytest.raises(UsageError, match="DataFrame"):
        api.profile(frame, engine="dask", scheduler=scheduler)
    with pytest.raises(UsageError, match="DataFrame"):
        api.drift(pattern, frame, engine="dask", scheduler=scheduler)


def test_parquet_files_cut_along_row_groups(tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch):
    """With fewer rows per partition (the plan made in this process, by the
    engine's own planner), each Parquet file is several partitions of its
    row groups (128 rows each), counted on the workers and merged in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kl_cli.inputs import partitions
    from kl_cli.profiles import cluster

    planned: list[int] = []

    def plan(files: list[str], table: Any, *args: Any, **kwargs: Any) -> list[Any]:
        parts = partitions.plan_partitions(files, table, 300)  # planned here, not on the workers
        planned.append(len(parts))
        return parts

    monkeypatch.setattr(cluster, "plan_partitions", plan)
    paths = write_dataset(tmp_path / "ref", "parquet", seed=8)
    write_dataset(tmp_path / "cur", "parquet", seed=9, shift=10)
    assert_same_profile(scheduler, *paths)
    assert planned and planned[-1] >= len(paths) + 2, planned
    ref, cur = str(tmp_path / "ref" / "*.parquet"), str(tmp_path / "cur" / "*.parquet")
    assert_same_drift(scheduler, ref, cur, "--format", "csv")
    # an error in a row-group partition names the file and the partition
    bad = tmp_path / "cur" / "part-3.parquet"
    table = pq.read_table(bad)
    words = pa.array(["oops" if i == 300 else str(i) for i in range(table.num_rows)])
    pq.write_table(table.set_column(table.schema.get_field_index("amount"), "amount", words), bad, row_group_size=128)
    line = _both_fail(scheduler, "drift", ref, cur, needles=("part-3.parquet", "amount"))
    assert "row group" in line, line


@pytest.fixture(scope="module")
def drift_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A reference and a drifted current dataset (CSV), and the reference's profile."""
    root = tmp_path_factory.mktemp("drift")
    write_dataset(root / "ref", "csv", seed=1)
    write_dataset(root / "cur", "csv", seed=2, shift=20)
    result = run("profile", str(root / "ref" / "*.csv"), "-o", str(root / "ref.json"))
    assert result.exit_code == 0, describe(result)
    return {"ref": str(root / "ref" / "*.csv"), "cur": str(root / "cur" / "*.csv"), "profile": str(root / "ref.json")}


def test_a_profile_written_by_dask_is_a_reference_like_any(tmp_path: Path, drift_data: dict[str, str], scheduler: str):
    out = tmp_path / "dask.json"
    _ok("profile", drift_data["ref"], "-o", str(out), "--engine", "dask", "--scheduler", scheduler)
    written = strict_json(out.read_text())
    assert written["engine"] == "dask"
    by_local = run("drift", drift_data["profile"], drift_data["cur"], "--format", "json")
    by_dask = run("drift", str(out), drift_data["cur"], "--format", "json")
    assert by_dask.exit_code == by_local.exit_code == 1, describe(by_dask)
    report, expected = strict_json(by_dask.stdout), strict_json(by_local.stdout)
    assert report.pop("reference") != expected.pop("reference")
    assert report == expected


@pytest.mark.parametrize("reference", ["ref", "profile"])
@pytest.mark.parametrize("fmt", ["json", "csv", "table", "markdown"])
def test_drift_is_the_same_on_both_engines(drift_data: dict[str, str], scheduler: str, reference: str, fmt: str):
    local = assert_same_drift(scheduler, drift_data[reference], drift_data["cur"], "--format", fmt)
    if fmt == "json":
        report = strict_json(local.stdout)
        assert any(c.get("drifted") for c in report["columns"]), "the data were meant to drift"
        assert local.exit_code == 1, describe(local)


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "html"),
        ("--format", "junit"),
        ("--format", "github"),
        ("--permutations", "40", "--seed", "3", "--format", "json"),
        ("--bootstrap", "30", "--seed", "4", "--detail", "amount"),
    ],
    ids=["html", "junit", "github", "permutations", "bootstrap-detail"],
)
def test_drift_other_outputs_and_resampling_are_the_same(
    drift_data: dict[str, str], scheduler: str, args: tuple[str, ...]
):
    """Resampling works from the counts, which the engines share; the other renderers too."""
    assert_same_drift(scheduler, drift_data["ref"], drift_data["cur"], *args)


@pytest.mark.parametrize("fmt", ["jsonl.gz", "parquet"])
def test_drift_of_other_formats_is_the_same(tmp_path: Path, scheduler: str, fmt: str):
    write_dataset(tmp_path / "ref", fmt, seed=3)
    write_dataset(tmp_path / "cur", fmt, seed=4, shift=10)
    ref, cur = str(tmp_path / "ref" / f"*.{fmt}"), str(tmp_path / "cur" / f"*.{fmt}")
    assert_same_drift(scheduler, ref, cur, "--format", "json")
    _ok("profile", ref, "-o", str(tmp_path / "ref.json"))
    assert_same_drift(scheduler, str(tmp_path / "ref.json"), cur, "--format", "csv")


OPTION_CASES = {
    "uniform": ("--bins", "5", "--binning", "uniform"),
    "categorical": ("--categorical", "amount,huge"),
    "numeric": ("--numeric", "rating"),
    "columns": ("--columns", "amount,flag", "--columns", "rating"),
    "exclude": ("--exclude", "huge", "--exclude", "code"),
    "config": ("--config", "kl.toml"),
    "chunks": ("--chunk-rows", "64"),
}


@pytest.mark.parametrize("case", list(OPTION_CASES))
def test_options_are_honoured_alike(tmp_path: Path, scheduler: str, drift_data: dict[str, str], case: str):
    (tmp_path / "kl.toml").write_text("[drift]\nbins = 4\n[drift.columns.amount]\nbins = 7\n", encoding="utf-8")
    args = OPTION_CASES[case]
    paths = write_dataset(tmp_path / "data", "csv")
    profile = assert_same_profile(scheduler, *paths, *args)[0]
    if case == "config":
        assert len(profile["columns"]["amount"]["edges"]) == 6
        assert len(profile["columns"]["huge"]["edges"]) == 3
    if case == "uniform":
        edges = profile["columns"]["amount"]["edges"]
        assert len(edges) == 4
        assert np.allclose(np.diff(edges), edges[1] - edges[0])
    if case == "columns":
        assert sorted(profile["columns"]) == ["amount", "flag", "rating"]
    assert_same_drift(scheduler, drift_data["ref"], drift_data["cur"], *args, "--format", "json")


# ---------------------------------------------------------------------------
# Errors


def _both_fail(scheduler: str, *args: str, needles: tuple[str, ...]) -> str:
    """ARGS fail on both engines with one line naming ``needles``; dask's line
    also names the partition. Returns dask's line."""
    command, rest = args[0], args[1:]
    extra = ("-o", "-") if command == "profile" else ()
    assert_one_line_error(run(command, *rest, *extra, "--engine", "local"), needles)
    on_dask = run(command, *rest, *extra, "--engine", "dask", "--scheduler", scheduler)
    return assert_one_line_error(on_dask, (*needles, "partition"))


def test_a_malformed_csv_row_among_good_files(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "csv")
    bad = tmp_path / "data" / "part-2.csv"
    lines = bad.read_text().splitlines(keepends=True)
    lines[150] = "1,2,3,4,5,6,7,8,9\n"
    bad.write_text("".join(lines))
    line = _both_fail(scheduler, "profile", *paths, needles=("part-2.csv", "line 151"))
    assert "partition 3 of 4" in line, line


def test_a_malformed_json_line_among_good_files(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "jsonl")
    bad = tmp_path / "data" / "part-3.jsonl"
    with bad.open("a") as handle:
        handle.write('{"amount": 3,\n')
    line = _both_fail(scheduler, "profile", *paths, needles=("part-3.jsonl", "malformed JSON"))
    assert "partition 3 of 3" in line, line  # JSON lines have no file without rows


def test_text_in_a_column_the_reference_calls_numeric(tmp_path: Path, scheduler: str, drift_data: dict[str, str]):
    write_dataset(tmp_path / "cur", "csv", seed=5)
    bad = tmp_path / "cur" / "part-3.csv"
    lines = bad.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[200].rstrip("\n").split(",")
    cells[header.index("amount")] = "oops"
    lines[200] = ",".join(cells) + "\n"
    bad.write_text("".join(lines))
    cur = str(tmp_path / "cur" / "*.csv")
    for reference in (drift_data["profile"], drift_data["ref"]):
        line = _both_fail(scheduler, "drift", reference, cur, needles=("part-3.csv", "oops", "amount"))
        assert "numeric" in line


def test_usage_errors(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "csv")
    profile = ("profile", paths[0], "-o", "-")
    assert_one_line_error(run("profile", "-", "-o", "-", "--engine", "dask", "--scheduler", scheduler, input="a\n1\n"))
    assert_one_line_error(run("drift", "-", paths[0], "--engine", "dask", "--scheduler", scheduler, input="a\n1\n"))
    assert_one_line_error(run("drift", paths[0], "-", "--engine", "dask", "--workers", "1", input="a\n1\n"))
    for engine in ((), ("--engine", "local")):
        assert_one_line_error(run(*profile, *engine, "--workers", "2"), ["--workers"])
        assert_one_line_error(run(*profile, *engine, "--scheduler", scheduler), ["--scheduler"])
        assert_one_line_error(run("drift", paths[0], paths[2], *engine, "--workers", "2"), ["--workers"])
    assert_one_line_error(run(*profile, "--engine", "dask", "--scheduler", scheduler, "--workers", "2"))
    assert_one_line_error(run(*profile, "--engine", "nope"), ["--engine"])
    for workers in ("0", "1025", "two"):
        assert_one_line_error(run(*profile, "--engine", "dask", "--workers", workers), ["--workers"])
    assert_one_line_error(run(*profile, "--engine", "dask", "--scheduler", "nowhere"), ["--scheduler", "nowhere"])
    for engine in (("--engine", "local"), ("--engine", "dask", "--scheduler", scheduler)):
        missing = str(tmp_path / "data" / "*.nothing")
        assert_one_line_error(run("profile", missing, "-o", "-", *engine), ["*.nothing"])
        assert_one_line_error(run("drift", paths[0], missing, *engine), ["*.nothing"])


def test_a_dataset_without_rows_is_an_error_on_both(tmp_path: Path, scheduler: str):
    paths = write_dataset(tmp_path / "data", "csv")
    empty = tmp_path / "data" / "empty.jsonl"
    empty.write_bytes(b"")
    jsonl = write_dataset(tmp_path / "jsonl", "jsonl")
    for args, needle in (((paths[1], paths[1]), "part-1.csv"), ((*jsonl, str(empty)), "empty.jsonl")):
        lines = []
        for engine in (("--engine", "local"), ("--engine", "dask", "--scheduler", scheduler)):
            lines.append(assert_one_line_error(run("profile", *args, "-o", "-", *engine), [needle]))
        assert lines[0] == lines[1]


# ---------------------------------------------------------------------------
# Dask is imported only for --engine dask


def test_dask_is_not_imported_by_the_local_engine(tmp_path: Path):
    paths = write_dataset(tmp_path / "data", "csv")
    code = (
        "import sys\n"
        "from kl_cli.cli import cli\n"
        "for args in (['profile', *sys.argv[1:3], '-o', 'p.json'],\n"
        "             ['drift', sys.argv[1], sys.argv[3], '--format', 'json'],\n"
        "             ['profile', *sys.argv[1:3], '-o', 'q.json', '--engine', 'local']):\n"
        "    try:\n"
        "        cli.main(args, prog_name='kl-cli')\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code in (0, 1, None), (args, exit.code)\n"
        "print(sorted(m for m in ('dask', 'distributed') if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, paths[0], paths[2], paths[3]],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "[]", done.stderr
    assert strict_json((tmp_path / "q.json").read_text())["engine"] == "local"


# ---------------------------------------------------------------------------
# Workers lost mid-run


class DieOnTask(distributed.WorkerPlugin):
    """Kills its worker process the moment a task starts executing: once in
    all (the first worker to create ``marker`` dies), or every time when
    ``marker`` is None. With ``kind`` ("count" or "merge", as the engine
    names its tasks' keys), only such a task dies; with a marker, only in
    the engine's ``run``-th pass over a dataset (told apart by the token in
    the keys)."""

    def __init__(self, marker: str | None, kind: str = "", run: int = 1) -> None:
        self.marker, self.kind, self.run = marker, kind, run

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing":
            return
        name = str(key)
        if self.kind:
            if not name.startswith("kl-cli-") or name.startswith("kl-cli-plan-"):  # planning is not a pass
                return
            runs = 1
            if self.marker is not None:
                folder = Path(self.marker + ".runs")
                folder.mkdir(exist_ok=True)
                (folder / name.split("-")[3]).touch()  # kl-cli-KIND-TOKEN-...
                runs = len(list(folder.iterdir()))
            if not name.startswith(f"kl-cli-{self.kind}-") or runs != self.run:
                return
        if self.marker is not None:
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os._exit(1)


class SlowTasks(distributed.WorkerPlugin):
    """Every task waits ``seconds`` before it runs (a stand-in for a big
    partition), and leaves a file in ``folder`` when it starts."""

    def __init__(self, folder: str, seconds: float) -> None:
        self.folder, self.seconds = folder, seconds

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish == "executing":
            Path(self.folder, f"{os.getpid()}-{time.monotonic_ns()}").touch()
            time.sleep(self.seconds)


@pytest.fixture
def client(dask_cluster: Any) -> Any:
    """A client of the fixture cluster, for plugins and polling; it leaves the
    cluster with its two workers."""
    with distributed.Client(dask_cluster.scheduler_address, timeout=30) as client:
        yield client
        client.wait_for_workers(2, timeout=60)


def _scheduler_tasks(client: Any) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


@pytest.mark.parametrize(
    ("command", "kind", "nth"),
    [
        ("profile", "", 1),  # the first task of all (planning the partitions, on the workers)
        ("profile", "count", 1),  # a partition's first pass
        ("profile", "merge", 1),  # a merge of two partials
        ("drift", "count", 2),  # a partition of CURRENT, counted against the reference's edges
    ],
)
def test_a_worker_lost_mid_run_is_retried(
    tmp_path: Path, scheduler: str, client: Any, command: str, kind: str, nth: int
):
    ref, cur = str(tmp_path / "ref" / "*.csv"), str(tmp_path / "cur" / "*.csv")
    write_dataset(tmp_path / "ref", "csv", seed=1)
    write_dataset(tmp_path / "cur", "csv", seed=2, shift=20)
    marker = tmp_path / "died"
    if command == "profile":
        expected, _ = profile_json("local", scheduler, ref)
    else:
        expected = run("drift", ref, cur, "--format", "json")
    client.register_plugin(DieOnTask(str(marker), kind, nth), name="die-once")
    try:
        if command == "profile":
            got, _ = profile_json("dask", scheduler, ref)
            assert got == expected
        else:
            result = run("drift", ref, cur, "--format", "json", "--engine", "dask", "--scheduler", scheduler)
            assert (result.exit_code, result.stdout) == (expected.exit_code, expected.stdout), describe(result)
    finally:
        client.unregister_worker_plugin("die-once")
    assert marker.exists(), "no worker was killed: the test tested nothing"


def test_a_partition_that_kills_every_worker_is_reported(tmp_path: Path):
    import dask

    paths = write_dataset(tmp_path / "data", "csv")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster.scheduler_address) as client,
    ):
        client.register_plugin(DieOnTask(None, "count"), name="die-always")  # a partition's task
        result = run("profile", *paths, "-o", "-", "--engine", "dask", "--scheduler", cluster.scheduler_address)
        client.unregister_worker_plugin("die-always")
    line = assert_one_line_error(result, ["worker", "allowed-failures", "partition"])
    assert any(Path(p).name in line for p in paths), line


# ---------------------------------------------------------------------------
# Ctrl-C cancels the cluster's work


@pytest.mark.parametrize(
    ("command", "signum"),
    [("profile", signal.SIGINT), ("drift", signal.SIGINT), ("profile", signal.SIGTERM)],
    ids=["profile-SIGINT", "drift-SIGINT", "profile-SIGTERM"],
)
def test_ctrl_c_or_sigterm_cancels_the_tasks(tmp_path: Path, scheduler: str, client: Any, command: str, signum: int):
    """A real process, its partitions slowed down to a second each: a signal
    once they run stops it (130 and 'interrupted' for Ctrl-C, 143 for
    SIGTERM), no profile is written, and the cluster's tasks are gone. drift
    is interrupted while it counts CURRENT (its REFERENCE is one partition)."""
    started = tmp_path / "started"
    started.mkdir()
    paths = [p for p in write_dataset(tmp_path / "data", "csv") if not p.endswith("part-1.csv")]
    for i in range(20):  # 60 partitions of a second each: half a minute on two workers
        for p in paths:
            Path(p).with_name(f"copy{i}-{Path(p).name}").write_bytes(Path(p).read_bytes())
    glob = str(tmp_path / "data" / "*.csv")
    if command == "profile":
        args = ["profile", glob, "-o", str(tmp_path / "out.json")]
    else:
        args = ["drift", paths[0], glob, "--format", "json"]
    client.register_plugin(SlowTasks(str(started), 1.0), name="slow")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kl_cli", *args, "--engine", "dask", "--scheduler", scheduler],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        try:
            need = 2 if command == "drift" else 1
            wait_until(
                lambda: len(list(started.iterdir())) >= need or proc.poll() is not None, 60, "a partition to start"
            )
            assert proc.poll() is None, proc.communicate()
            assert _scheduler_tasks(client) > 0
            proc.send_signal(signum)
            rc = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        out, err = proc.communicate()
        said = "interrupted" if signum == signal.SIGINT else "terminated (SIGTERM)"
        assert rc == (130 if signum == signal.SIGINT else 143), (rc, err)
        assert b"Traceback" not in err, err
        assert [line for line in err.decode().splitlines() if line.strip()] == [f"kl-cli: error: {said}"], err
        assert out == b""
        assert not (tmp_path / "out.json").exists()
        wait_until(lambda: _scheduler_tasks(client) == 0, 10, "the scheduler to drop the run's tasks")
        begun = len(list(started.iterdir()))
        assert begun < 60, "the run was not interrupted"
        time.sleep(1.5)  # a task running when the signal came ends; no new one starts
        assert len(list(started.iterdir())) <= begun + 2
    finally:
        client.unregister_worker_plugin("slow")


# ---------------------------------------------------------------------------
# Exact bin edges beyond the in-memory limit: the two-pass path on partials
#
# Worker processes cannot see a monkeypatched IN_MEMORY_VALUES, so two ways
# that can: (1) the summaries the engine ships (first-pass partials and
# second-pass detail) pickled, merged in several groupings and finished in
# this process; (2) the whole CLI on a cluster whose workers are threads of
# this process (its scheduler still spoken to over TCP, so every partial is
# serialized), with the limit lowered and the second pass watched.

LIMIT = 1000


def _partition_values(seed: int) -> list[np.ndarray]:
    """Partitions of values with heavy ties and both signs (-0.0 too): some
    under the lowered limit (their merge is over it), one over it by itself."""
    rng = np.random.default_rng(seed)
    sizes = (300, 450, 200, 2600, 1, 700)
    parts = [np.round(rng.normal(0, 50, n), 1) for n in sizes]
    parts[2][:20] = -0.0
    parts[4][:] = 1e300
    return parts


def _finished(summary: Any, bins: int, binning: str) -> tuple[tuple[float, ...], list[float]]:
    edges, counts = summary.finish(bins, binning)
    return edges.edges, counts.tolist()


def _tree(items: list[Any], merge: Callable[[Any, Any], Any]) -> Any:
    while len(items) > 1:
        items = [merge(*items[i : i + 2]) if i + 1 < len(items) else items[i] for i in range(0, len(items), 2)]
    return items[0]


@pytest.mark.parametrize("binning", ["quantile", "uniform"])
@pytest.mark.parametrize("bins", [10, 7])
def test_histogram_partials_and_second_pass_give_the_in_memory_edges(
    monkeypatch: pytest.MonkeyPatch, binning: str, bins: int
):
    import pickle

    from kl_cli.core import binning as core

    parts = _partition_values(11)
    every = np.concatenate(parts) + 0.0
    whole = core.NumericSummary()
    whole.add(every)
    assert not whole.needs_second_pass
    expected = _finished(whole, bins, binning)
    if binning == "quantile":  # the in-memory edges are numpy's quantiles (ties merged)
        want = np.unique(np.quantile(every, np.arange(1, bins) / bins))
        assert expected[0] == tuple(want.tolist())
    assert sum(expected[1]) == every.size

    monkeypatch.setattr(core, "IN_MEMORY_VALUES", LIMIT)

    def shipped(summary: Any) -> Any:  # as a partial travels between processes
        return pickle.loads(pickle.dumps(summary))

    firsts = []
    for values in parts:
        summary = core.NumericSummary()
        for chunk in np.array_split(values, 3):  # a partition is read in chunks
            summary.add(chunk)
        firsts.append(shipped(summary))
    assert firsts[3].needs_second_pass and not firsts[0].needs_second_pass
    for grouping in ("tree", "left", "right"):
        if grouping == "tree":
            merged = _tree(firsts, lambda a, b: shipped(a.merged(b)))
        elif grouping == "left":
            merged = firsts[0]
            for other in firsts[1:]:
                merged = merged.merged(other)
        else:
            merged = firsts[-1]
            for other in firsts[-2::-1]:
                merged = other.merged(merged)
        assert merged.needs_second_pass, grouping
        merged.plan(bins, binning)
        details = []
        for values in parts:  # the second pass, partition by partition, on "workers"
            planned = shipped(merged).planned()
            for chunk in np.array_split(values, 2):
                planned.add_detail(chunk)
            details.append(shipped(planned))
        merged.take_detail(_tree(details, lambda a, b: shipped(a.merged_detail(b))))
        assert merged.detail_matches(), grouping
        assert _finished(merged, bins, binning) == expected, grouping


@pytest.fixture
def threaded_cluster() -> Any:
    """A cluster whose two workers are threads of this process (so a
    monkeypatch reaches them), spoken to over TCP."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://", dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exact_edges_beyond_the_memory_limit_on_the_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threaded_cluster: Any, fmt: str
):
    """CSV: the partitions' sizes are unknown beforehand, so each keeps its
    values until a merge passes the limit. Parquet: the footers tell the
    dataset is over the limit, so it is binned through histograms from the
    first partition on."""
    import threading

    import pyarrow as pa
    import pyarrow.parquet as pq

    from kl_cli.core import binning as core

    folder = tmp_path / "ref"
    folder.mkdir()
    parts = _partition_values(12)
    rng = np.random.default_rng(3)
    for i, values in enumerate(parts):
        cities = [CITIES[int(k)] for k in rng.integers(0, 4, values.size)]
        if fmt == "csv":
            write_csv(
                folder / f"part-{i}.csv", ["amount", "city"], [[repr(float(v)), c] for v, c in zip(values, cities)]
            )
        else:
            pq.write_table(
                pa.table({"amount": values, "city": cities}), folder / f"part-{i}.parquet", row_group_size=500
            )
    cur = write_dataset(tmp_path / "cur", fmt, seed=9, shift=5)[0]
    glob = str(folder / f"*.{fmt}")
    address = threaded_cluster.scheduler_address
    expected, _ = profile_json("local", address, glob)  # all values in memory
    want = np.unique(np.quantile(np.concatenate(parts) + 0.0, np.arange(1, 10) / 10))
    assert expected["columns"]["amount"]["edges"] == want.tolist()
    expected_drift = run("drift", glob, cur, "--format", "json")
    assert expected_drift.exit_code in (0, 1), describe(expected_drift)

    monkeypatch.setattr(core, "IN_MEMORY_VALUES", LIMIT)
    second_pass: list[str] = []
    add_detail = core.NumericSummary.add_detail

    def watched(self: Any, values: np.ndarray) -> None:
        second_pass.append(threading.current_thread().name)
        add_detail(self, values)

    monkeypatch.setattr(core.NumericSummary, "add_detail", watched)
    for engine in ("local", "dask"):
        second_pass.clear()
        got, _ = profile_json(engine, address, glob)
        assert got == expected, engine
        assert second_pass, f"{engine}: no second pass: the test tested nothing"
        extra = ("--scheduler", address) if engine == "dask" else ()
        result = run("drift", glob, cur, "--format", "json", "--engine", engine, *extra)
        assert (result.exit_code, result.stdout) == (expected_drift.exit_code, expected_drift.stdout), engine
    # the dask run's second pass ran in the workers' threads, not in the command's
    main = threading.main_thread().name
    assert any(name != main for name in second_pass), second_pass
