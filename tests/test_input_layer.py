"""The one input layer (issue 10), specified through the CLI only.

Every command (compare, drift, profile) reads every table format (CSV, TSV,
records JSON, JSON lines, Parquet), each plain or compressed (gzip, bz2, xz,
zip, zstd with the extra), from a file or standard input, with one cell rule:
the same missing spellings, whitespace, header and delimiter detection, exact
integer labels, ragged rows refused by line. Every expected number is computed
here (scipy, fractions, math), never by running kl-cli.

Exit statuses: 0 ok, 1 drift / over the limit, 2 trouble with exactly one
``kl-cli: error:`` line on stderr and no traceback.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import math
import random
import sys
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy

from kl_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
THRESHOLD = 0.1  # drift's default --threshold (js_distance, base 2)
MISSING = object()  # the expected key of missing cells in Counters below


# ---------------------------------------------------------------------------
# Helpers: running the CLI, parsing its output strictly, expected numbers


def run(*args: str, input: bytes | str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def describe(result: Result) -> str:
    return (
        f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n--- {result.exception!r}"
    )


def strict_json(text: str) -> Any:
    def reject(token: str) -> Any:
        raise AssertionError(f"non-standard JSON constant {token!r}")

    return json.loads(text, parse_constant=reject)


def expect_exit(result: Result, *codes: int) -> None:
    assert result.exit_code in codes, describe(result)
    assert "Traceback" not in result.stderr + result.stdout, describe(result)


def error_line(result: Result, *needles: str) -> str:
    """Exit 2, exactly one 'kl-cli: error:' line on stderr holding every needle."""
    expect_exit(result, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, describe(result)
    assert lines[0].startswith("kl-cli: error:"), describe(result)
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def compare(*args: str, input: bytes | None = None) -> tuple[Result, dict]:
    result = run("compare", *args, "--format", "json", input=input)
    expect_exit(result, 0)
    return result, strict_json(result.stdout)


def drift(*args: str, input: bytes | None = None) -> tuple[Result, dict]:
    result = run("drift", *args, "--format", "json", input=input)
    expect_exit(result, 0, 1)
    report = strict_json(result.stdout)
    assert result.exit_code == (1 if report["drift_detected"] else 0), describe(result)
    return result, report


def profile(tmp_path: Path, *args: str, input: bytes | None = None) -> tuple[Result, dict]:
    out = tmp_path / "out.profile.json"
    result = run("profile", *args, "-o", str(out), input=input)
    expect_exit(result, 0)
    return result, strict_json(out.read_text(encoding="utf-8"))


def profile_missing(col: dict) -> int:
    """The missing count of a profile column: a ``missing`` key, else counts['(missing)']."""
    if "missing" in col:
        return col["missing"]
    return col["counts"].get("(missing)", 0)


def shares(data: dict) -> dict[str, float]:
    """compare's categories as {label: p}."""
    return {c["label"]: c["p"] for c in data["categories"]}


def by_column(report: dict) -> dict[str, dict]:
    return {c["column"]: c for c in report["columns"]}


def counted(values: list) -> Counter:
    return Counter(MISSING if v is None else str(v) for v in values)


def js_bits(ref: Counter, cur: Counter) -> float:
    keys = sorted(set(ref) | set(cur), key=str)
    return float(jensenshannon([ref[k] for k in keys], [cur[k] for k in keys], base=2))


def kl(p: dict, q: dict, base: float | None = None) -> float:
    """KL(P||Q) of two {label: weight} maps (normalized here), by scipy."""
    keys = sorted(set(p) | set(q))
    return float(entropy([p.get(k, 0) for k in keys], [q.get(k, 0) for k in keys], base=base))


def read_pairs(path: Path) -> dict[str, float]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return {label: float(value) for label, value in rows[1:]}


FORECAST = read_pairs(SAMPLE / "forecast.csv")  # weather -> probability
OBSERVED = read_pairs(SAMPLE / "observed.csv")  # weather -> days


def assert_drift_matches(report: dict, ref: dict[str, list], cur: dict[str, list]) -> None:
    """Every column of ``ref`` is reported with n, value (scipy) and verdict; nothing else drifted."""
    cols = by_column(report)
    drifted = set()
    for name in ref:
        col = cols[name]
        r, c = counted(ref[name]), counted(cur[name])
        assert col["skipped"] is None, col
        assert col["n_reference"] == len(ref[name]) and col["n_current"] == len(cur[name]), col
        expected = js_bits(r, c)
        assert col["value"] == pytest.approx(expected, rel=1e-9, abs=1e-12), name
        assert col["metrics"]["js_distance"] == pytest.approx(expected, rel=1e-9, abs=1e-12), name
        if all(c[k] > 0 for k in r):
            assert col["metrics"]["kl_pq"] == pytest.approx(kl(r, c, base=2), rel=1e-9, abs=1e-12), name
        assert col["drifted"] is (expected > THRESHOLD), name
        if expected > THRESHOLD:
            drifted.add(name)
    assert set(report["drifted_columns"]) == drifted
    assert report["drift_detected"] is bool(drifted)


def assert_profile_matches(prof: dict, data: dict[str, list]) -> None:
    assert set(prof["columns"]) == set(data)
    for name, values in data.items():
        col = prof["columns"][name]
        expected = counted(values)
        assert col["rows"] == len(values), name
        assert profile_missing(col) == expected.pop(MISSING, 0), name
        real = {k: v for k, v in col["counts"].items() if k != "(missing)" and v}
        assert real == dict(expected), name


# ---------------------------------------------------------------------------
# Writers: every table format, every compression, as bytes


def shuffled(counts: dict[Any, int], seed: int) -> list:
    values = [v for v, n in counts.items() for _ in range(n)]
    random.Random(seed).shuffle(values)
    return values


# 20 rows a side: plan drifts (js 0.31), region (0.063) and rating (0.060) do not.
REF = {
    "region": shuffled({"north": 6, "south": 5, "east": 5, "west": 4}, 1),
    "plan": shuffled({"free": 10, "basic": 6, "pro": 4}, 2),
    "rating": shuffled({1: 2, 2: 3, 3: 5, 4: 6, 5: 4}, 3),
}
CUR = {
    "region": shuffled({"north": 6, "south": 5, "east": 4, "west": 5}, 4),
    "plan": shuffled({"free": 4, "basic": 6, "pro": 10}, 5),
    "rating": shuffled({1: 2, 2: 3, 3: 5, 4: 5, 5: 5}, 6),
}
OBS = {"weather": shuffled({"sun": 9, "cloud": 6, "rain": 5}, 7)}
OBS_Q = {"sun": 0.5, "cloud": 0.3, "rain": 0.2}
OBS_Q_INLINE = "sun=0.5,cloud=0.3,rain=0.2"

FORMATS = ["csv", "tsv", "json", "jsonl", "parquet"]
COMPRESSIONS = ["none", "gz", "bz2", "xz", "zip"]
SUFFIX = {"none": "", "gz": ".gz", "bz2": ".bz2", "xz": ".xz", "zip": ".zip", "zst": ".zst"}


def delimited(data: dict[str, list], sep: str = ",", header: bool = True) -> bytes:
    names = list(data)
    lines = [sep.join(names)] if header else []
    for i in range(len(data[names[0]])):
        lines.append(sep.join("" if data[n][i] is None else str(data[n][i]) for n in names))
    return ("\n".join(lines) + "\n").encode()


def records(data: dict[str, list]) -> list[dict]:
    names = list(data)
    return [{n: data[n][i] for n in names} for i in range(len(data[names[0]]))]


def table_bytes(fmt: str, data: dict[str, list]) -> bytes:
    if fmt == "csv":
        return delimited(data, ",")
    if fmt == "tsv":
        return delimited(data, "\t")
    if fmt == "json":
        return json.dumps(records(data)).encode()
    if fmt == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in records(data)).encode()
    if fmt == "parquet":
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        sink = io.BytesIO()
        pq.write_table(pa.table(data), sink)
        return sink.getvalue()
    raise ValueError(fmt)


def compress(data: bytes, kind: str, member: str = "data.csv") -> bytes:
    if kind == "none":
        return data
    if kind == "gz":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    if kind == "zip":
        sink = io.BytesIO()
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(member, data)
        return sink.getvalue()
    if kind == "zst":
        return pytest.importorskip("zstandard").ZstdCompressor().compress(data)
    raise ValueError(kind)


def put(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def put_table(tmp_path: Path, stem: str, fmt: str, kind: str, data: dict[str, list]) -> str:
    name = f"{stem}.{fmt}"
    return put(tmp_path, name + SUFFIX[kind], compress(table_bytes(fmt, data), kind, member=name))


# ---------------------------------------------------------------------------
# Matrix: every table format x every compression, for every command


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_compare_reads_every_format_and_compression(tmp_path, fmt, kind):
    path = put_table(tmp_path, "obs", fmt, kind, OBS)
    _, data = compare(path, OBS_Q_INLINE)
    counts = counted(OBS["weather"])
    assert shares(data) == pytest.approx({k: v / 20 for k, v in counts.items()})
    assert data["metrics"]["kl_pq"] == pytest.approx(kl(counts, OBS_Q), rel=1e-9)
    assert data["metrics"]["kl_qp"] == pytest.approx(kl(OBS_Q, counts), rel=1e-9)


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_drift_reads_every_format_and_compression(tmp_path, fmt, kind):
    result, report = drift(put_table(tmp_path, "ref", fmt, kind, REF), put_table(tmp_path, "cur", fmt, kind, CUR))
    assert result.exit_code == 1
    assert report["total_columns"] == 3
    assert_drift_matches(report, REF, CUR)
    assert report["drifted_columns"] == ["plan"]


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_profile_reads_every_format_and_compression(tmp_path, fmt, kind):
    _, prof = profile(tmp_path, put_table(tmp_path, "ref", fmt, kind, REF))
    assert_profile_matches(prof, REF)


# ---------------------------------------------------------------------------
# Standard input: the same formats and compressions through `-`


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_compare_reads_stdin_in_every_format(fmt, kind):
    _, data = compare("-", OBS_Q_INLINE, input=compress(table_bytes(fmt, OBS), kind, member=f"obs.{fmt}"))
    counts = counted(OBS["weather"])
    assert shares(data) == pytest.approx({k: v / 20 for k, v in counts.items()})
    assert data["metrics"]["kl_pq"] == pytest.approx(kl(counts, OBS_Q), rel=1e-9)


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_drift_reads_current_from_stdin_in_every_format(tmp_path, fmt, kind):
    ref = put(tmp_path, "ref.csv", delimited(REF))
    result, report = drift(ref, "-", input=compress(table_bytes(fmt, CUR), kind, member=f"cur.{fmt}"))
    assert result.exit_code == 1
    assert_drift_matches(report, REF, CUR)


@pytest.mark.parametrize("kind", COMPRESSIONS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_profile_reads_stdin_in_every_format(tmp_path, fmt, kind):
    _, prof = profile(tmp_path, "-", input=compress(table_bytes(fmt, REF), kind, member=f"ref.{fmt}"))
    assert_profile_matches(prof, REF)


# ---------------------------------------------------------------------------
# Compression recognized by magic bytes; zstd through the optional extra (case 3)


def test_drift_of_gzipped_tsv_gives_the_uncompressed_report(tmp_path):
    plain = drift(put_table(tmp_path, "ref", "tsv", "none", REF), put_table(tmp_path, "cur", "tsv", "none", CUR))
    packed = drift(put_table(tmp_path, "ref", "tsv", "gz", REF), put_table(tmp_path, "cur", "tsv", "gz", CUR))
    assert packed[0].exit_code == plain[0].exit_code == 1
    for key in ("drifted_columns", "total_columns", "drift_detected"):
        assert packed[1][key] == plain[1][key]
    assert [c["value"] for c in packed[1]["columns"]] == [c["value"] for c in plain[1]["columns"]]
    assert packed[1]["total_columns"] == 3


def test_drift_of_sample_data_zipped_csv_finds_the_three_drifted_columns(tmp_path):
    zipped = [
        put(tmp_path, f"{name}.csv.zip", compress((SAMPLE / f"{name}.csv").read_bytes(), "zip", f"{name}.csv"))
        for name in ("reference", "current")
    ]
    result, report = drift(*zipped)
    assert result.exit_code == 1
    assert sorted(report["drifted_columns"]) == ["basket_value", "channel", "plan"]
    assert report["total_columns"] == 6


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_gzip_under_a_plain_csv_name_is_read_by_its_magic_bytes(tmp_path, command):
    if command == "compare":
        _, data = compare(put(tmp_path, "obs.csv", gzip.compress(table_bytes("csv", OBS))), OBS_Q_INLINE)
        assert data["metrics"]["kl_pq"] == pytest.approx(kl(counted(OBS["weather"]), OBS_Q), rel=1e-9)
    elif command == "drift":
        ref = put(tmp_path, "ref.csv", gzip.compress(delimited(REF)))
        _, report = drift(ref, put(tmp_path, "cur.csv", gzip.compress(delimited(CUR))))
        assert_drift_matches(report, REF, CUR)
    else:
        _, prof = profile(tmp_path, put(tmp_path, "ref.csv", gzip.compress(delimited(REF))))
        assert_profile_matches(prof, REF)


ZSTD_FRAME = b"\x28\xb5\x2f\xfd" + b"\x00" * 16  # zstd magic bytes: enough to be recognized


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_zstd_without_the_extra_is_one_line_naming_it(tmp_path, monkeypatch, command):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    path = put(tmp_path, "data.csv.zst", ZSTD_FRAME)
    if command == "compare":
        result = run("compare", path, OBS_Q_INLINE)
    elif command == "drift":
        result = run("drift", path, path)
    else:
        result = run("profile", path, "-o", str(tmp_path / "p.json"))
    line = error_line(result, "kl-cli[zstd]", "data.csv.zst")
    assert "--encoding" not in line


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_zstd_with_the_extra_reads_normally(tmp_path, command):
    pytest.importorskip("zstandard")
    if command == "compare":
        _, data = compare(put_table(tmp_path, "obs", "csv", "zst", OBS), OBS_Q_INLINE)
        assert data["metrics"]["kl_pq"] == pytest.approx(kl(counted(OBS["weather"]), OBS_Q), rel=1e-9)
    elif command == "drift":
        _, report = drift(put_table(tmp_path, "ref", "tsv", "zst", REF), put_table(tmp_path, "cur", "tsv", "zst", CUR))
        assert_drift_matches(report, REF, CUR)
    else:
        _, prof = profile(tmp_path, put_table(tmp_path, "ref", "jsonl", "zst", REF))
        assert_profile_matches(prof, REF)


# ---------------------------------------------------------------------------
# compare reads what drift reads: JSON lines, Parquet, gzip, records JSON (case 6)

OBSERVED_TABLE = {"weather": list(OBSERVED), "days": [int(v) for v in OBSERVED.values()]}
EXPECTED_KL = kl(FORECAST, OBSERVED)  # the issue's 0.0915


def test_expected_sample_kl_is_the_issue_figure():
    assert round(EXPECTED_KL, 4) == 0.0915


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("csv", "none"),
        ("jsonl", "none"),
        ("parquet", "none"),
        ("csv", "gz"),
        ("json", "none"),
        ("tsv", "xz"),
        ("jsonl", "gz"),
    ],
)
def test_compare_reads_a_label_value_table_in_any_format(tmp_path, fmt, kind):
    _, data = compare(str(SAMPLE / "forecast.csv"), put_table(tmp_path, "observed", fmt, kind, OBSERVED_TABLE))
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)
    total = sum(OBSERVED.values())
    assert {c["label"]: c["q"] for c in data["categories"]} == pytest.approx(
        {k: v / total for k, v in OBSERVED.items()}
    )


def test_compare_reads_records_json_with_label_and_value_keys(tmp_path):
    rows = [{"label": k, "value": int(v)} for k, v in OBSERVED.items()]
    _, data = compare(str(SAMPLE / "forecast.csv"), put(tmp_path, "observed.json", json.dumps(rows)))
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)


def test_compare_reads_a_json_list_of_strings_as_observations(tmp_path):
    _, data = compare(put(tmp_path, "obs.json", json.dumps(OBS["weather"])), OBS_Q_INLINE)
    assert data["metrics"]["kl_pq"] == pytest.approx(kl(counted(OBS["weather"]), OBS_Q), rel=1e-9)


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch, command):
    path = put_table(tmp_path, "data", "parquet", "none", OBS)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    if command == "compare":
        result = run("compare", path, OBS_Q_INLINE)
    elif command == "drift":
        result = run("drift", path, path)
    else:
        result = run("profile", path, "-o", str(tmp_path / "p.json"))
    line = error_line(result, "pyarrow", "kl-cli[parquet]", "data.parquet")
    assert "--encoding" not in line and "latin" not in line


# ---------------------------------------------------------------------------
# Stated formats win over content and extension

POQ = {  # one table with both sides: forecast probabilities and observed days
    "weather": list(OBSERVED),
    "forecast": [FORECAST.get(k, 0.0) for k in OBSERVED],
    "days": [int(v) for v in OBSERVED.values()],
}
POQ_ARGS = ("--label-column", "weather", "--p-column", "forecast", "--q-column", "days")


@pytest.mark.parametrize(
    ("content", "name", "stated"),
    [
        ("jsonl", "data.csv", "jsonl"),
        ("csv", "data.json", "csv"),
        ("tsv", "data.csv", "tsv"),
        ("json", "data.txt", "json"),
    ],
)
def test_compare_input_format_overrides_the_extension(tmp_path, content, name, stated):
    path = put(tmp_path, name, table_bytes(content, POQ))
    _, data = compare(path, *POQ_ARGS, "--input-format", stated)
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)


def test_compare_per_side_formats(tmp_path):
    p = put(tmp_path, "obs.csv", table_bytes("jsonl", OBS))
    q = put(tmp_path, "q.json", "weather,p\nsun,0.5\ncloud,0.3\nrain,0.2\n")
    _, data = compare(p, q, "--p-format", "jsonl", "--q-format", "csv")
    assert data["metrics"]["kl_pq"] == pytest.approx(kl(counted(OBS["weather"]), OBS_Q), rel=1e-9)


def test_jsonl_content_under_a_csv_name_is_recognized_without_stating_it(tmp_path):
    _, data = compare(put(tmp_path, "obs.csv", table_bytes("jsonl", OBS)), OBS_Q_INLINE)
    assert data["metrics"]["kl_pq"] == pytest.approx(kl(counted(OBS["weather"]), OBS_Q), rel=1e-9)


@pytest.mark.parametrize("options", [("--input-format", "jsonl"), ("--reference-format", "jsonl")])
def test_drift_stated_formats(tmp_path, options):
    ref = put(tmp_path, "ref.csv", table_bytes("jsonl", REF))
    cur = put(tmp_path, "cur.json", table_bytes("jsonl" if options[0] == "--input-format" else "csv", CUR))
    args = [*options] if options[0] == "--input-format" else [*options, "--current-format", "csv"]
    _, report = drift(ref, cur, *args)
    assert_drift_matches(report, REF, CUR)


@pytest.mark.parametrize(("content", "name", "stated"), [("csv", "ref.json", "csv"), ("jsonl", "ref.csv", "jsonl")])
def test_profile_input_format_overrides_the_extension(tmp_path, content, name, stated):
    _, prof = profile(tmp_path, put(tmp_path, name, table_bytes(content, REF)), "--input-format", stated)
    assert_profile_matches(prof, REF)


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_a_stated_format_wins_even_when_the_content_disagrees(tmp_path, command):
    path = put(tmp_path, "plain.csv", delimited(REF))
    if command == "compare":
        result = run("compare", path, OBS_Q_INLINE, "--p-format", "parquet")
    elif command == "drift":
        result = run("drift", path, path, "--current-format", "parquet")
    else:
        result = run("profile", path, "--input-format", "parquet", "-o", str(tmp_path / "p.json"))
    error_line(result, "plain.csv")


# ---------------------------------------------------------------------------
# Delimiters: comma, semicolon, tab, pipe recognized; --delimiter states it (case 5)

DELIMITERS = [";", "\t", "|"]
STATED = [("semicolon", ";"), (";", ";"), ("pipe", "|"), ("|", "|"), ("tab", "\t"), ("comma", ",")]


def forecast_pair(tmp_path: Path, sep: str) -> tuple[str, str]:
    p = put(
        tmp_path, "forecast.csv", delimited({"weather": list(FORECAST), "probability": list(FORECAST.values())}, sep)
    )
    return p, put(tmp_path, "observed.csv", delimited(OBSERVED_TABLE, sep))


@pytest.mark.parametrize("sep", DELIMITERS)
def test_compare_recognizes_the_delimiter(tmp_path, sep):
    _, data = compare(*forecast_pair(tmp_path, sep))
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)


@pytest.mark.parametrize(("stated", "sep"), STATED)
def test_compare_delimiter_option(tmp_path, stated, sep):
    _, data = compare(*forecast_pair(tmp_path, sep), "--delimiter", stated)
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)


@pytest.mark.parametrize("sep", DELIMITERS)
def test_drift_and_profile_recognize_the_delimiter(tmp_path, sep):
    ref, cur = put(tmp_path, "ref.csv", delimited(REF, sep)), put(tmp_path, "cur.csv", delimited(CUR, sep))
    _, report = drift(ref, cur)
    assert report["total_columns"] == 3
    assert_drift_matches(report, REF, CUR)
    assert_profile_matches(profile(tmp_path, ref)[1], REF)


@pytest.mark.parametrize(("stated", "sep"), STATED)
def test_drift_and_profile_delimiter_option(tmp_path, stated, sep):
    ref, cur = put(tmp_path, "ref.csv", delimited(REF, sep)), put(tmp_path, "cur.csv", delimited(CUR, sep))
    assert_drift_matches(drift(ref, cur, "--delimiter", stated)[1], REF, CUR)
    assert_profile_matches(profile(tmp_path, ref, "--delimiter", stated)[1], REF)


# ---------------------------------------------------------------------------
# Header rows: numbers above numeric columns are data; --header / --no-header (case 1)


def test_header_name_repeated_as_a_value_warns_and_no_header_reads_it_as_data(tmp_path):
    path = put(tmp_path, "obs.txt", "sun\nrain\nsun\nsun\n")
    result, _ = compare(path, "sun=0.5,rain=0.5")
    assert "--no-header" in result.stderr
    _, data = compare(path, "sun=0.5,rain=0.5", "--no-header")
    assert shares(data) == pytest.approx({"sun": 0.75, "rain": 0.25})
    exact = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert data["metrics"]["kl_pq"] == pytest.approx(exact, rel=1e-12)


def test_headerless_forecast_gives_the_same_kl_as_with_its_header(tmp_path):
    lines = (SAMPLE / "forecast.csv").read_text().splitlines(keepends=True)
    _, with_header = compare(str(SAMPLE / "forecast.csv"), str(SAMPLE / "observed.csv"))
    _, data = compare(put(tmp_path, "forecast.csv", "".join(lines[1:])), str(SAMPLE / "observed.csv"))
    assert data["metrics"]["kl_pq"] == pytest.approx(EXPECTED_KL, rel=1e-9)
    assert data["metrics"]["kl_pq"] == pytest.approx(with_header["metrics"]["kl_pq"], rel=1e-12)
    assert shares(data) == pytest.approx(shares(with_header))
    assert any("header" in note.lower() for note in data["notes"]), data["notes"]


SAMPLES_P = list(range(1, 11))  # uniform edges from P with 2 bins: 1, 5.5, 10
SAMPLES_Q = [1, 2, 3, 4, 6, 7, 8, 9, 10, 10]  # 4 at or below 5.5, 6 above


def test_headerless_samples_keep_their_first_value(tmp_path):
    p = put(tmp_path, "p.txt", "".join(f"{v}\n" for v in SAMPLES_P))
    q = put(tmp_path, "q.txt", "".join(f"{v}\n" for v in SAMPLES_Q))
    _, data = compare(p, q, "--samples", "--bins", "2", "--binning", "uniform")
    assert data["n_p"] == 10 and data["n_q"] == 10
    assert data["metrics"]["kl_pq"] == pytest.approx(kl({"lo": 5, "hi": 5}, {"lo": 4, "hi": 6}), rel=1e-9)


def test_samples_with_a_header_row_agree_with_the_headerless_file(tmp_path):
    p = put(tmp_path, "p.csv", "x\n" + "".join(f"{v}\n" for v in SAMPLES_P))
    q = put(tmp_path, "q.csv", "y\n" + "".join(f"{v}\n" for v in SAMPLES_Q))
    _, data = compare(p, q, "--samples", "--bins", "2", "--binning", "uniform")
    assert data["n_p"] == 10
    assert data["metrics"]["kl_pq"] == pytest.approx(kl({"lo": 5, "hi": 5}, {"lo": 4, "hi": 6}), rel=1e-9)


def test_compare_header_option_forces_a_numeric_first_row_to_be_a_name(tmp_path):
    path = put(tmp_path, "s.txt", "10\n1\n2\n3\n")
    assert compare(path, path, "--samples")[1]["n_p"] == 4
    assert compare(path, path, "--samples", "--header")[1]["n_p"] == 3


def header_note(result: Result, report: dict | None = None) -> bool:
    notes = " ".join((report or {}).get("notes", []))
    return "header" in (result.stderr + notes).lower()


def test_drift_reads_headerless_files_with_positional_names(tmp_path):
    ref = put(tmp_path, "ref.csv", delimited(REF, header=False))
    cur = put(tmp_path, "cur.csv", delimited(CUR, header=False))
    result, report = drift(ref, cur)
    positional = {str(i + 1): values for i, values in enumerate(REF.values())}
    current = {str(i + 1): values for i, values in enumerate(CUR.values())}
    assert {c["column"] for c in report["columns"]} == {"1", "2", "3"}
    assert_drift_matches(report, positional, current)
    assert header_note(result, report)


def test_profile_reads_a_headerless_file_with_positional_names(tmp_path):
    result, prof = profile(tmp_path, put(tmp_path, "ref.csv", delimited(REF, header=False)))
    assert_profile_matches(prof, {str(i + 1): values for i, values in enumerate(REF.values())})
    assert header_note(result)


LOOKS_LIKE_HEADER = "north,free\nsouth,pro\nnorth,free\nnorth,basic\n"


def test_drift_and_profile_warn_on_a_repeated_header_name_and_honour_no_header(tmp_path):
    path = put(tmp_path, "d.csv", LOOKS_LIKE_HEADER)
    result, _ = drift(path, path)
    assert "--no-header" in result.stderr
    result, _ = profile(tmp_path, path)
    assert "--no-header" in result.stderr
    expected = {"1": ["north", "south", "north", "north"], "2": ["free", "pro", "free", "basic"]}
    assert_profile_matches(profile(tmp_path, path, "--no-header")[1], expected)
    _, report = drift(path, path, "--no-header")
    assert {c["column"]: c["n_reference"] for c in report["columns"]} == {"1": 4, "2": 4}


def test_drift_and_profile_header_option_forces_a_numeric_first_row_to_be_names(tmp_path):
    path = put(tmp_path, "d.csv", "7,8\n1,2\n1,3\n2,2\n")
    _, prof = profile(tmp_path, path, "--header")
    assert_profile_matches(prof, {"7": [1, 1, 2], "8": [2, 3, 2]})
    _, report = drift(path, path, "--header")
    assert {c["column"]: c["n_reference"] for c in report["columns"]} == {"7": 3, "8": 3}


# ---------------------------------------------------------------------------
# Missing cells: blank lines of a one-column file, and the missing spellings (cases 2, 4)

BLANKS = "weather\nsun\n\nrain\n\n\nsun\n"  # six rows, three of them empty
SPELLINGS = "weather\nsun\nnan\nNULL\nNone\nNA\nsun\n"  # NA is a real category


def missing_share(data: dict, real: set[str]) -> float:
    """The single category of compare's output that is not real data."""
    others = [c["p"] for c in data["categories"] if c["label"] not in real and c["p"] > 0]
    assert len(others) == 1, data["categories"]
    return others[0]


def test_compare_counts_blank_lines_as_missing(tmp_path):
    path = put(tmp_path, "blanks.csv", BLANKS)
    _, data = compare(path, path)
    p = shares(data)
    assert p["sun"] == pytest.approx(2 / 6) and p["rain"] == pytest.approx(1 / 6)
    assert missing_share(data, {"sun", "rain"}) == pytest.approx(0.5)


def test_profile_and_drift_count_blank_lines_as_missing(tmp_path):
    path = put(tmp_path, "blanks.csv", BLANKS)
    col = profile(tmp_path, path)[1]["columns"]["weather"]
    assert col["rows"] == 6 and profile_missing(col) == 3
    assert by_column(drift(path, path)[1])["weather"]["n_reference"] == 6


def test_compare_treats_the_missing_spellings_as_missing(tmp_path):
    path = put(tmp_path, "spell.csv", SPELLINGS)
    _, data = compare(path, path)
    p = shares(data)
    assert not {"nan", "NULL", "None"} & set(p)
    assert p["sun"] == pytest.approx(2 / 6) and p["NA"] == pytest.approx(1 / 6)
    assert missing_share(data, {"sun", "NA"}) == pytest.approx(0.5)


def test_profile_and_drift_treat_the_missing_spellings_as_missing(tmp_path):
    path = put(tmp_path, "spell.csv", SPELLINGS)
    col = profile(tmp_path, path)[1]["columns"]["weather"]
    assert col["rows"] == 6 and profile_missing(col) == 3
    assert {k: v for k, v in col["counts"].items() if k != "(missing)"} == {"sun": 2, "NA": 1}
    ref = put(tmp_path, "ref.csv", "weather,region\nsun,a\nnan,a\nNULL,a\nNone,a\nNA,a\nsun,a\n")
    cur = put(tmp_path, "cur.csv", "weather,region\nsun,a\n,a\n,a\n,a\nNA,a\nsun,a\n")
    result, report = drift(ref, cur)
    assert result.exit_code == 0
    assert by_column(report)["weather"]["value"] == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------
# Cell rule: whitespace, exact integers, a literal "(missing)" (cases 9, 10, 11)


def test_drift_trims_trailing_whitespace(tmp_path):
    ref = put(tmp_path, "ref.csv", "region\nnorth\nnorth\nnorth\nsouth\n")
    cur = put(tmp_path, "cur.csv", "region\nnorth  \nnorth  \n  north\nsouth \n")
    result, report = drift(ref, cur)
    assert result.exit_code == 0
    col = by_column(report)["region"]
    assert col["value"] == pytest.approx(0.0, abs=1e-12) and col["drifted"] is False
    counts = profile(tmp_path, cur)[1]["columns"]["region"]["counts"]
    assert {k: v for k, v in counts.items() if k != "(missing)"} == {"north": 3, "south": 1}


BIG_A, BIG_B = 2**53 + 1, 2**53  # 9007199254740993, 9007199254740992: one double


def test_compare_keeps_integer_labels_beyond_2_53_distinct(tmp_path):
    path = put(tmp_path, "sku.csv", f"sku,count\n{BIG_A},2\n{BIG_B},1\n")
    _, data = compare(path, path, "--label-column", "sku", "--column", "count")
    assert shares(data) == pytest.approx({str(BIG_A): 2 / 3, str(BIG_B): 1 / 3})


def test_drift_and_profile_keep_integer_labels_beyond_2_53_distinct(tmp_path):
    ref = {"sku": [BIG_A, BIG_B, BIG_A, BIG_B]}
    cur = {"sku": [BIG_A, BIG_A, BIG_B, BIG_A]}
    ref_path, cur_path = put(tmp_path, "ref.csv", delimited(ref)), put(tmp_path, "cur.csv", delimited(cur))
    counts = profile(tmp_path, ref_path)[1]["columns"]["sku"]["counts"]
    assert {k: v for k, v in counts.items() if k != "(missing)"} == {str(BIG_A): 2, str(BIG_B): 2}
    _, report = drift(ref_path, cur_path)
    assert_drift_matches(report, ref, cur)  # merged, the value would be 0
    assert {t["label"] for t in by_column(report)["sku"]["top"]} >= {str(BIG_A), str(BIG_B)}


def test_compare_keeps_a_literal_missing_cell_apart_from_missing_cells(tmp_path):
    path = put(tmp_path, "lit.csv", "weather\n(missing)\nsun\n\n(missing)\n")
    _, data = compare(path, path)
    p = shares(data)
    assert p["(missing)"] == pytest.approx(0.5) and p["sun"] == pytest.approx(0.25)
    assert missing_share(data, {"(missing)", "sun"}) == pytest.approx(0.25)


def test_profile_keeps_a_literal_missing_cell_apart_from_missing_cells(tmp_path):
    col = profile(tmp_path, put(tmp_path, "lit.csv", "weather,n\n(missing),1\nsun,1\n,1\n(missing),1\n"))[1]
    col = col["columns"]["weather"]
    assert col["rows"] == 4
    assert col["counts"]["(missing)"] == 2 and col["counts"]["sun"] == 1
    real = {"sun", "(missing)"}
    others = col["missing"] if "missing" in col else sum(v for k, v in col["counts"].items() if k not in real)
    assert others == 1


def test_drift_keeps_a_literal_missing_cell_apart_from_missing_cells(tmp_path):
    ref = put(tmp_path, "ref.csv", "weather,n\n(missing),1\nnorth,1\n(missing),1\nnorth,1\n")
    cur = put(tmp_path, "cur.csv", "weather,n\n,1\nnorth,1\n,1\nnorth,1\n")
    result, report = drift(ref, cur)
    assert result.exit_code == 1  # merged, the two would be identical
    value = by_column(report)["weather"]["value"]
    assert value == pytest.approx(js_bits(Counter(lit=2, north=2), Counter(north=2, gap=2)), rel=1e-9)


# ---------------------------------------------------------------------------
# Ragged rows: an error naming the line, for every command (case 8)

EXTRA_FIELD = "weather,days\nsun,118,\ncloud,97,\nrain,81,\n"  # trailing comma on data rows only
SHORT_ROW = "weather,days\nsun,118\ncloud\nrain,81\n"


@pytest.mark.parametrize(("content", "line"), [(EXTRA_FIELD, "line 2"), (SHORT_ROW, "line 3")], ids=["extra", "short"])
@pytest.mark.parametrize("command", ["compare", "drift-reference", "drift-current", "profile"])
def test_ragged_rows_are_an_error_naming_the_line(tmp_path, command, content, line):
    bad = put(tmp_path, "ragged.csv", content)
    good = put(tmp_path, "good.csv", "weather,days\nsun,118\ncloud,97\nrain,81\n")
    if command == "compare":
        result = run("compare", str(SAMPLE / "forecast.csv"), bad)
    elif command == "drift-reference":
        result = run("drift", bad, good)
    elif command == "drift-current":
        result = run("drift", good, bad)
    else:
        result = run("profile", bad, "-o", str(tmp_path / "p.json"))
    error_line(result, line, "ragged.csv")


# ---------------------------------------------------------------------------
# drift fails closed; --columns / --exclude apply before typing (cases 7, 12)


def test_drift_of_only_an_identifier_column_exits_2(tmp_path):
    ids = "order_id\n" + "".join(f"A{i:04d}\n" for i in range(30))
    path = put(tmp_path, "ids.csv", ids)
    error_line(run("drift", path, path))
    error_line(run("drift", path, path, "--format", "json"))


def test_drift_with_no_shared_column_exits_2(tmp_path):
    ref, cur = put(tmp_path, "a.csv", "a\nx\ny\nx\n"), put(tmp_path, "b.csv", "b\nx\ny\nx\n")
    error_line(run("drift", ref, cur, "--format", "json"))


def test_drift_with_every_shared_column_excluded_exits_2(tmp_path):
    ref, cur = put(tmp_path, "ref.csv", delimited(REF)), put(tmp_path, "cur.csv", delimited(CUR))
    error_line(run("drift", ref, cur, "--exclude", "region,plan,rating"))


MIXED = {
    "region": shuffled({"north": 15, "south": 15}, 8),
    "mixed": [str(i) if i % 5 else "oops" for i in range(30)],  # 24 distinct numbers beside text
}


def test_drift_exclude_skips_a_column_that_would_fail_typing(tmp_path):
    path = put(tmp_path, "mixed.csv", delimited(MIXED))
    assert run("drift", path, path).exit_code == 2  # the column really fails typing
    result, report = drift(path, path, "--exclude", "mixed")
    assert result.exit_code == 0
    assert [c["column"] for c in report["columns"]] == ["region"]
    assert report["columns"][0]["n_reference"] == 30 and report["columns"][0]["value"] == pytest.approx(0.0)
    _, report = drift(path, path, "--columns", "region")
    assert [c["column"] for c in report["columns"]] == ["region"]


def test_profile_exclude_skips_a_column_that_would_fail_typing(tmp_path):
    path = put(tmp_path, "mixed.csv", delimited(MIXED))
    for option, value in (("--exclude", "mixed"), ("--columns", "region")):
        _, prof = profile(tmp_path, path, option, value)
        assert_profile_matches(prof, {"region": MIXED["region"]})


def test_one_table_holding_both_sides_names_each_side():
    """P and Q read from two columns of one file keep their own names (found by a fresh-clone trial)."""
    result = CliRunner().invoke(
        cli,
        [
            "compare",
            "sample_data/word_counts.tsv",
            "--p-column",
            "speeches_2019",
            "--q-column",
            "speeches_2023",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["p_source"].startswith("P (") and data["q_source"].startswith("Q (")
    assert any(n.startswith("Q (") and "speeches_2019" in n for n in data["notes"])
