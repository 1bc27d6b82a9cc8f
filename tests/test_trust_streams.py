"""Issue 11, streams and odd inputs: compare reads a stream in one pass, in
bounded memory, to the same result as the same bytes given by path; endless
and garbage streams end with one error line; a closed standard input, huge
integers, Parquet columns of every type, codecs that are not text encodings
and huge --chunk-rows are each a right answer or one clear error line.

Expected numbers come from scipy or exact arithmetic (fractions, math), or
from the same bytes read as a file (the promise being that equality).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import math
import os
import subprocess
import sys
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_line_error, describe, run, run_measured, run_measured_fed, strict_json, time_limit
from scipy.stats import entropy

MAX_RSS_MB = 1500

# ---------------------------------------------------------------------------
# Data: one table in every format, plain or compressed

CITIES = ["oslo", "lima", "pune", "kyiv", "baku"]
ROWS = [
    {"city": CITIES[(i * 7) % 5 if i % 3 else i % 2], "label": f"k{i % 4}", "w": (i % 9) + 1, "x": (i * 37 % 101) / 7}
    for i in range(3000)
]
Q_CITIES = "oslo=5,lima=3,pune=2,kyiv=1,baku=1"
Q_LABELS = "k0=1,k1=2,k2=3,k3=4"


def table_bytes(fmt: str, rows: list[dict[str, Any]] = ROWS) -> bytes:
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.DictWriter(out, list(rows[0]), delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()
    if fmt == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in rows).encode()
    if fmt == "json":
        return json.dumps(rows).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def compress(data: bytes, kind: str, member: str = "data") -> bytes:
    if kind == "none":
        return data
    if kind == "gzip":
        return gzip.compress(data)
    if kind == "bz2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data, preset=0)
    if kind == "zstd":
        zstandard = pytest.importorskip("zstandard")
        return zstandard.ZstdCompressor().compress(data)
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        archive.writestr(member, data)
    return sink.getvalue()


def report(result: Any) -> dict:
    assert result.exit_code == 0, describe(result)
    return strict_json(result.stdout)


def same_result(a: dict, b: dict) -> None:
    """Two compare reports agree in every number and category (names aside)."""
    assert a["metrics"] == b["metrics"]
    assert [(c["label"], c["p"], c["q"]) for c in a["categories"]] == [
        (c["label"], c["p"], c["q"]) for c in b["categories"]
    ]


FORMATS = ["csv", "tsv", "jsonl", "json", "parquet"]
KINDS = ["none", "gzip", "bz2", "xz", "zstd", "zip"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stream_gives_the_result_of_the_same_bytes_by_path(tmp_path, fmt, kind):
    data = compress(table_bytes(fmt), kind, member=f"t.{fmt}")
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(data)
    for args in (["--column", "city", Q_CITIES], ["--column", "w", "--label-column", "label", Q_LABELS]):
        by_path = report(run("compare", str(path), *args, "--format", "json"))
        by_stream = report(run("compare", "-", *args, "--format", "json", input=data))
        same_result(by_path, by_stream)
    # ... and both are right: the observations against scipy.
    counts = Counter(r["city"] for r in ROWS)
    q = dict(item.split("=") for item in Q_CITIES.split(","))
    p_vec = [counts[c] for c in CITIES]
    q_vec = [float(q[c]) for c in CITIES]
    assert by_stream_kl(data, ["--column", "city", Q_CITIES]) == pytest.approx(entropy(p_vec, q_vec), rel=1e-12)


def by_stream_kl(data: bytes, args: list[str]) -> float:
    return report(run("compare", "-", *args, "--format", "json", input=data))["metrics"]["kl_pq"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_one_table_on_a_stream_serves_both_sides(tmp_path, fmt):
    """--p-column and --q-column of one stream: read once for both sides, text
    observations and weights alike (a stream cannot be read twice)."""
    observations = [{"a": r["city"], "b": CITIES[(i * 3) % 5]} for i, r in enumerate(ROWS)]
    weights = [{"k": f"k{i}", "w": r["w"], "v": r["x"]} for i, r in enumerate(ROWS)]
    for rows, extra in ((observations, []), (weights, []), (weights, ["--samples"])):
        data = table_bytes(fmt, rows)
        path = tmp_path / f"both.{fmt}"
        path.write_bytes(data)
        columns = ["--p-column", *rows[0].keys() - {"k", "b", "v"}, "--q-column", *rows[0].keys() - {"k", "a", "w"}]
        args = [*columns, *extra, "--format", "json"]
        same_result(report(run("compare", str(path), *args)), report(run("compare", "-", *args, input=data)))


def test_a_fifo_is_read_in_one_pass_like_stdin(tmp_path):
    import threading

    data = table_bytes("csv")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)

    def produce() -> None:
        with open(fifo, "wb") as handle:
            handle.write(data)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    with time_limit(20, "compare of a FIFO"):
        got = report(run("compare", str(fifo), "--column", "city", Q_CITIES, "--format", "json"))
    thread.join(5)
    same_result(got, report(run("compare", "-", "--column", "city", Q_CITIES, "--format", "json", input=data)))


@pytest.fixture
def small_replay(monkeypatch):
    """A stream keeps only its first block (1 MiB) of bytes, and no temporary file
    may be made: the rest of a compare read comes from the stream itself, in one pass."""
    import tempfile

    import kl_cli.inputs.streams as streams

    monkeypatch.setattr(streams, "REPLAY_BYTES", (1 << 20) + 1)

    def no_copy(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compare copied a stream to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_copy)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
@pytest.mark.parametrize("kind", ["none", "gzip", "xz"])
def test_compare_reads_past_the_kept_head_without_a_copy(tmp_path, small_replay, fmt, kind):
    import random

    rng = random.Random(1)
    rows = [{"city": rng.choice(CITIES), "w": rng.randint(1, 9), "x": rng.random()} for _ in range(120_000)]
    data = compress(table_bytes(fmt, rows), kind)
    assert len(data) > 1 << 20
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(data)
    args = ["--column", "city", Q_CITIES, "--format", "json"]
    same_result(report(run("compare", str(path), *args)), report(run("compare", "-", *args, input=data)))


def test_first_rows_beyond_the_head_continue_the_one_read(small_replay):
    """A quoted field that crosses the 64 KiB head: the first rows need more than
    the kept bytes, so the read that found them goes on for the rest."""
    rows = [{"note": "x" * 1_100_000, "city": "oslo"}] + [{"note": "n", "city": c} for c in CITIES * 10]
    data = table_bytes("csv", rows)
    got = report(run("compare", "-", "--column", "city", Q_CITIES, "--format", "json", input=data))
    counts = Counter(r["city"] for r in rows)
    q = dict(item.split("=") for item in Q_CITIES.split(","))
    want = entropy([counts[c] for c in CITIES], [float(q[c]) for c in CITIES])
    assert got["metrics"]["kl_pq"] == pytest.approx(want, rel=1e-12)


def test_a_ragged_row_past_the_kept_head_names_the_stream_and_the_row(small_replay):
    data = table_bytes("csv") * 20 + b"oslo,k1,3,4.5,extra\n"  # the header again, as a row: counted
    line = assert_one_line_error(run("compare", "-", "--column", "city", Q_CITIES, input=data), ["stdin"])
    assert "has 5 fields" in line and "oslo,k1,3,4.5,extra" in line


def test_a_ragged_row_in_a_short_stream_is_named_by_line():
    data = b"city,w\noslo,1\nlima,2,3\n"
    assert_one_line_error(run("compare", "-", "--column", "city", Q_CITIES, input=data), ["stdin", "line 3"])


# ---------------------------------------------------------------------------
# Endless and garbage streams: one error line, bounded memory and time

ENDLESS = {
    # what a producer writes forever
    "yes": "b'y\\n' * 65536",
    "yes-1": "b'1\\n' * 65536",
    "zero": "bytes(1 << 16)",
    "urandom": "os.urandom(1 << 16)",
}
PRODUCER = """
import os, sys
try:
    while True:
        sys.stdout.buffer.write({block})
except OSError:
    pass
"""


@pytest.mark.parametrize("what", list(ENDLESS))
def test_an_endless_stream_to_compare_ends_with_one_error_line(what):
    r = run_measured_fed(
        ["compare", "-", "0.5,0.5"], [PRODUCER.format(block=ENDLESS[what])], max_rss_mb=MAX_RSS_MB, timeout=60
    )
    assert r.killed_for is None, f"{r.killed_for}: {r.peak_rss_mb:.0f} MB"
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("kl-cli: error:"), lines
    assert "internal error" not in lines[0]


@pytest.mark.parametrize("command", [["compare", "/dev/urandom", "0.5,0.5"], ["compare", "/dev/zero", "a=1"]])
def test_device_streams_to_compare_end_at_their_head(command):
    r = run_measured(command, max_rss_mb=MAX_RSS_MB, timeout=60)
    assert r.killed_for is None, f"{r.killed_for}: {r.peak_rss_mb:.0f} MB"
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and command[1] in lines[0], lines


@pytest.mark.parametrize("command", [["drift", "GOOD", "/dev/urandom"], ["profile", "/dev/urandom", "-o", "-"]])
def test_garbage_streams_to_drift_and_profile_end_at_their_head(tmp_path, command):
    """The stream is parsed as it is kept, so garbage is refused at once, not
    after copying gigabytes of it."""
    good = tmp_path / "good.csv"
    good.write_text("x,y\n1,a\n2,b\n")
    r = run_measured([str(good) if a == "GOOD" else a for a in command], max_rss_mb=MAX_RSS_MB, timeout=30)
    assert r.killed_for is None, f"{r.killed_for}: {r.peak_rss_mb:.0f} MB after {r.seconds:.0f} s"
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "/dev/urandom" in lines[0], lines


class Endless(io.RawIOBase):
    """Standard input that never ends: one row after another."""

    def __init__(self, header: bytes, row: bytes) -> None:
        self.pending = header
        self.row = row * 4096
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.pending or self.row
        self.pending = b""
        n = min(len(buffer), len(data))
        buffer[:n] = data[:n]
        self.given += n
        return n


@pytest.mark.parametrize("args", [["profile", "-", "-o", "-"], ["drift", "GOOD", "-"], ["drift", "-", "GOOD"]])
def test_an_endless_stream_to_drift_or_profile_stops_at_the_copy_limit(tmp_path, monkeypatch, args):
    """drift and profile keep a stream's bytes for a second pass, up to a stated
    limit (4 GiB; 2 MiB here): an endless stream is refused there, never copied on."""
    import kl_cli.inputs.streams as streams

    monkeypatch.setattr(streams, "STREAM_SPOOL_LIMIT", 2 << 20)
    good = tmp_path / "good.csv"
    good.write_text("x,y\n1,a\n2,b\n")
    stdin = Endless(b"x,y\n", b"1,a\n")
    with time_limit(60, "an endless stream"):
        result = run(*[str(good) if a == "GOOD" else a for a in args], input=io.BufferedReader(stdin))
    assert_one_line_error(result, ["stdin", "longer than 2 MiB"])
    assert stdin.given < 8 << 20


def test_the_copy_limit_is_the_real_one():
    import kl_cli.inputs.streams as streams

    assert streams.STREAM_SPOOL_LIMIT == 4 << 30
    assert "4 GiB" in str(streams.too_long_to_copy("stdin"))


# ---------------------------------------------------------------------------
# Bounded memory: a stream 4x larger costs about the same

PRODUCE_ROWS = """
import sys
rows = int(sys.argv[1])
block = b"".join(b"c%d\\n" % (i % 50) for i in range(100_000))
sys.stdout.buffer.write(b"city\\n")
for _ in range(rows // 100_000):
    sys.stdout.buffer.write(block)
"""


def _measured_stream(rows: int) -> Any:
    q = ",".join(f"c{i}=1" for i in range(50))
    r = run_measured_fed(
        ["compare", "-", q, "--format", "json"], [PRODUCE_ROWS, str(rows)], max_rss_mb=MAX_RSS_MB, timeout=240
    )
    assert r.killed_for is None and r.returncode == 0, (r.killed_for, r.stderr.decode())
    data = json.loads(r.stdout)
    assert all(c["p"] == pytest.approx(1 / 50, abs=1e-15) for c in data["categories"])
    assert data["metrics"]["kl_pq"] == pytest.approx(0, abs=1e-12)
    return r


def test_compare_of_a_stream_runs_in_bounded_memory():
    """Peak memory of compare reading 2M and 8M rows (10 and 40 MB) from a pipe:
    the larger is read in the same chunks, so costs about the same (no copy,
    no whole column in memory). No timing is asserted."""
    small = _measured_stream(2_000_000)
    large = _measured_stream(8_000_000)
    assert large.peak_rss_mb < small.peak_rss_mb * 1.25 + 20, (small.peak_rss_mb, large.peak_rss_mb)


# ---------------------------------------------------------------------------
# A closed standard input


def _closed_stdin(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kl_cli", *args],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=cwd,
        preexec_fn=lambda: os.close(0),
    )


@pytest.mark.parametrize(
    "args",
    [["compare", "-", "0.5,0.5"], ["drift", "-", "GOOD"], ["drift", "GOOD", "-"], ["profile", "-", "-o", "p.json"]],
    ids=["compare", "drift-reference", "drift-current", "profile"],
)
def test_a_closed_stdin_is_one_error_line(tmp_path, args):
    (tmp_path / "good.csv").write_text("x,y\n1,a\n2,b\n")
    proc = _closed_stdin(["good.csv" if a == "GOOD" else a for a in args], tmp_path)
    lines = proc.stderr.decode().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, lines
    assert "standard input is closed" in lines[0] and "internal error" not in lines[0], lines
    assert not (tmp_path / "p.json").exists()


def test_api_open_stdin_that_fails_is_one_error():
    from kl_cli.errors import InputError
    from kl_cli.reports.compare import run_compare

    def closed() -> Any:
        raise ValueError("I/O operation on closed file")

    with pytest.raises(InputError, match="standard input is closed"):
        run_compare("-", "0.5,0.5", open_stdin=closed)


# ---------------------------------------------------------------------------
# Huge integers: exact at any size Python converts, scaled by a power of two

BIG = 10**400
KL_10_3 = (Fraction(10, 13), Fraction(3, 13))  # P = (10, 3) normalized


def _kl(p: tuple[Fraction, ...], q: tuple[Fraction, ...]) -> float:
    return sum(float(a) * math.log(float(a) / float(b)) for a, b in zip(p, q) if a)


def _metrics(*args: str, input: bytes | None = None) -> dict:
    return report(run("compare", *args, "--format", "json", input=input))["metrics"]


@pytest.mark.parametrize("how", ["inline", "csv", "csv-stdin", "json", "json-stdin", "positional"])
def test_400_digit_counts_are_exact(tmp_path, how):
    """Counts of 400 digits, 10:3, give the divergences of 10:3 exactly (no
    overflow to inf, no refusal), from every way of giving them."""
    a, b = BIG, 3 * BIG // 10
    csv_text = f"label,n\na,{a}\nb,{b}\n".encode()
    json_text = json.dumps({"a": a, "b": b}).encode()
    (tmp_path / "big.csv").write_bytes(csv_text)
    (tmp_path / "big.json").write_bytes(json_text)
    cases = {
        "inline": ([f"a={a},b={b}", "a=1,b=1"], None),
        "csv": ([str(tmp_path / "big.csv"), "a=1,b=1"], None),
        "csv-stdin": (["-", "a=1,b=1"], csv_text),
        "json": ([str(tmp_path / "big.json"), "a=1,b=1"], None),
        "json-stdin": (["-", "a=1,b=1"], json_text),
        "positional": ([f"{a},{b}", "1,1"], None),
    }
    args, stdin = cases[how]
    got = _metrics(*args, input=stdin)
    half = (Fraction(1, 2), Fraction(1, 2))
    assert got["kl_pq"] == pytest.approx(_kl(KL_10_3, half), rel=1e-12)
    assert got["kl_qp"] == pytest.approx(_kl(half, KL_10_3), rel=1e-12)
    small = _metrics("10,3", "1,1") if how == "positional" else _metrics("a=10,b=3", "a=1,b=1")
    assert got == pytest.approx(small, rel=1e-12)


def test_huge_counts_keep_their_size_beyond_floats():
    """Scaled, not clipped: the sample size is beyond floats (null, and said so)."""
    data = report(run("compare", f"a={BIG},b={BIG}", "a=1,b=1", "--format", "json"))
    assert data["metrics"]["kl_pq"] == 0 and data["n_p"] is None and data["n_q"] == 2
    assert any("more than 1.8e+308" in n for n in data["notes"])


def test_a_ratio_of_1e299_between_huge_counts_is_finite_and_right():
    got = _metrics(f"a={BIG},b={10**101}", "a=1,b=1")
    # KL(Q||P) = 1/2 log(1/2 / pa) + 1/2 log(1/2 / pb), pa = BIG/(BIG+b), pb = b/(BIG+b)
    total = Fraction(BIG + 10**101)
    pa = Fraction(BIG) / total
    want = 0.5 * math.log(0.5 / float(pa)) + 0.5 * (math.log(0.5) - math.log(10**101) + math.log(BIG + 10**101))
    assert got["kl_qp"] == pytest.approx(want, rel=1e-12)
    # KL(P||Q) = pa log(2 pa) + pb log(2 pb); pb log(2 pb) is about -7e-297, beyond any tolerance here
    assert got["kl_pq"] == pytest.approx(float(pa) * math.log(2 * float(pa)), rel=1e-12)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        ([f"a={10**700},b=1", "a=1,b=1"], ["too wide a range", "701 digits", "'b' is 1"]),
        ([f"a={BIG},b=1", "a=1,b=1"], ["too wide a range", "401 digits", "'b' is 1"]),
        ([f"a=-{BIG},b=1", "a=1,b=1"], ["negative", "'a'", "401 digits"]),
        (["a=" + "9" * 5000, "a=1"], ["more than 4300 digits"]),
        (["1," + str(BIG), "1,2", "--samples"], ["item 2", "beyond the range of a float"]),
    ],
)
def test_integers_beyond_reach_are_one_clear_error(args, needles):
    assert_one_line_error(run("compare", *args), needles)


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_a_number_longer_than_python_converts_is_one_error_line(tmp_path, fmt):
    long = "9" * 5000
    text = {
        "csv": f"l,n\na,{long}\nb,1\n",
        "json": f'{{"a": {long}, "b": 1}}',
        "jsonl": f'{{"n": {long}}}\n{{"n": 1}}\n',
    }[fmt]
    path = tmp_path / f"long.{fmt}"
    path.write_text(text)
    command = (
        ["profile", str(path), "-o", str(tmp_path / "p.json")] if fmt == "jsonl" else ["compare", str(path), "a=1"]
    )
    result = run(*command)
    line = assert_one_line_error(result, [str(path), "digits"])
    assert "internal error" not in line


def test_profile_keeps_exact_labels_of_long_integers(tmp_path):
    """A text cell of more digits than Python converts is still a number (beyond
    the float range, like 1e400) with its exact digits as its label."""
    long_a, long_b = "9" * 5000, "8" * 5000
    path = tmp_path / "longs.csv"
    path.write_text(f"v\n{long_a}\n{long_b}\n+000{long_a}\n{BIG}\n1\n")
    out = tmp_path / "p.json"
    result = run("profile", str(path), "-o", str(out))
    assert result.exit_code == 0, describe(result)
    counts = json.loads(out.read_text())["columns"]["v"]["counts"]
    assert counts == {long_a: 2, long_b: 1, str(BIG): 1, "1": 1}
    drift = report(run("drift", str(path), str(path), "--format", "json"))
    assert drift["drift_detected"] is False


# ---------------------------------------------------------------------------
# Parquet columns of every type


def _parquet(path: Path, columns: dict[str, Any]) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return str(path)


@pytest.mark.parametrize("kind", ["list", "struct", "map", "large_list"])
def test_a_nested_parquet_column_is_refused_by_name_and_type(tmp_path, kind):
    import pyarrow as pa

    nested = {
        "list": pa.array([[1, 2], [3]]),
        "struct": pa.array([{"x": 1}, {"x": 2}]),
        "map": pa.array([[("k", 1)], [("k", 2)]], pa.map_(pa.string(), pa.int64())),
        "large_list": pa.array([[1], [2]], pa.large_list(pa.int64())),
    }[kind]
    path = _parquet(tmp_path / "n.parquet", {"n": nested, "v": [1.0, 2.0]})
    for command in (["profile", path, "-o", str(tmp_path / "p.json")], ["drift", path, path]):
        line = assert_one_line_error(run(*command), [path, "column 'n'", "cannot count"])
        assert str(nested.type).split("<")[0] in line
    assert_one_line_error(run("compare", path, "a=1", "--column", "n"), ["column 'n'", "cannot count"])
    # compare never picks such a column itself: the numeric one beside it is read.
    data = report(run("compare", path, path, "--format", "json"))
    assert data["metrics"]["kl_pq"] == 0 and [c["label"] for c in data["categories"]] == ["0", "1"]
    assert any("columns not used: 'n'" in n for n in data["notes"])


def test_a_parquet_file_of_one_nested_column_is_refused(tmp_path):
    import pyarrow as pa

    path = _parquet(tmp_path / "l.parquet", {"l": pa.array([[1], [2]])})
    assert_one_line_error(run("compare", path, path), ["column 'l'", "list<"])
    with open(path, "rb") as handle:
        stdin = handle.read()
    assert_one_line_error(run("compare", "-", path, input=stdin), ["stdin", "column 'l'", "list<"])


def _profile_counts(tmp_path: Path, path: str) -> dict:
    out = tmp_path / "p.json"
    result = run("profile", path, "-o", str(out))
    assert result.exit_code == 0, describe(result)
    return {name: col.get("counts") for name, col in json.loads(out.read_text())["columns"].items()}


def test_parquet_plain_readings_match_csv(tmp_path):
    """Dictionary columns read as their values (no category of count 0 from an
    unused dictionary entry), UTF-8 binary as text, decimals as the numbers
    their text is: the same profile as the same cells written as CSV."""
    import decimal

    import pyarrow as pa

    cities = ["oslo", "lima", "oslo", "kyiv"]
    amounts = ["1.10", "2.50", "1.10", "3.00"]
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 0, 3], pa.int32()), pa.array([*CITIES[:2], "x", "kyiv"])
    )
    path = _parquet(
        tmp_path / "plain.parquet",
        {
            "dict": dictionary,
            "bin": pa.array([c.encode() for c in cities], pa.binary()),
            "fixed": pa.array([c.encode() for c in cities], pa.binary(4)),
            "dec": pa.array([decimal.Decimal(a) for a in amounts], pa.decimal128(6, 2)),
        },
    )
    csv_path = tmp_path / "plain.csv"
    csv_path.write_text("dict,bin,fixed,dec\n" + "".join(f"{c},{c},{c},{a}\n" for c, a in zip(cities, amounts)))
    got, want = _profile_counts(tmp_path, path), _profile_counts(tmp_path, str(csv_path))
    assert got == want
    assert got["dict"] == {"oslo": 2, "lima": 1, "kyiv": 1} and got["dec"] == {"1.1": 2, "2.5": 1, "3": 1}


def test_parquet_binary_that_is_not_text_is_refused(tmp_path):
    import pyarrow as pa

    path = _parquet(tmp_path / "b.parquet", {"b": pa.array([b"\xff\xfe", b"a"])})
    assert_one_line_error(run("profile", path, "-o", str(tmp_path / "p.json")), ["column 'b'", "not UTF-8"])


def test_parquet_dates_times_and_durations_are_counted_as_their_text(tmp_path):
    import datetime

    import pyarrow as pa

    days = [datetime.date(2024, 1, 1), datetime.date(2024, 1, 2), datetime.date(2024, 1, 1)]
    path = _parquet(
        tmp_path / "t.parquet",
        {
            "day": pa.array(days, pa.date32()),
            "at": pa.array([datetime.datetime(2024, 1, d.day, 12) for d in days], pa.timestamp("s")),
            "took": pa.array([1, 2, 1], pa.duration("s")),
        },
    )
    counts = _profile_counts(tmp_path, path)
    assert counts["day"] == {"2024-01-01": 2, "2024-01-02": 1}
    assert counts["at"] == {"2024-01-01 12:00:00": 2, "2024-01-02 12:00:00": 1}
    assert sum(counts["took"].values()) == 3 and len(counts["took"]) == 2


# ---------------------------------------------------------------------------
# --encoding: only text encodings that decode block by block

NOT_TEXT = ["idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "rot13", "hex", "base64", "zlib"]


@pytest.mark.parametrize("encoding", NOT_TEXT)
def test_codecs_that_are_not_text_encodings_are_refused_by_the_inputs_rule(encoding):
    from kl_cli.errors import UsageError
    from kl_cli.inputs.streams import text_encoding

    with pytest.raises(UsageError, match="--encoding"):
        text_encoding(encoding)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "UTF8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-32-le", "shift_jis", "utf-7"]
)
def test_text_encodings_pass_the_rule(encoding):
    from kl_cli.inputs.streams import text_encoding

    assert text_encoding(encoding) == encoding


@pytest.mark.parametrize("encoding", ["idna", "punycode", "unicode_escape"])
def test_the_api_refuses_codecs_that_are_not_text_encodings(tmp_path, encoding):
    from kl_cli import api
    from kl_cli.errors import UsageError

    path = tmp_path / "t.csv"
    path.write_text("city\noslo\nlima\n")
    for call in (
        lambda: api.compare(str(path), "oslo=1,lima=1", encoding=encoding),
        lambda: api.profile([str(path)], encoding=encoding),
        lambda: api.drift(str(path), str(path), encoding=encoding),
    ):
        with pytest.raises(UsageError, match=f"--encoding '{encoding}'"):
            call()


@pytest.mark.parametrize(
    "encoding",
    [
        "idna",
        "punycode",
        "unicode_escape",
        "raw_unicode_escape",
    ],
)
def test_the_cli_refuses_codecs_that_are_not_text_encodings(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_text("city\noslo\nlima\n")
    line = assert_one_line_error(run("compare", str(path), "oslo=1,lima=1", "--encoding", encoding), ["--encoding"])
    assert "internal error" not in line


# ---------------------------------------------------------------------------
# Huge --chunk-rows: the reader never allocates by it


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("chunk_rows", [10**9, 10**18, 2**63 + 5])
def test_the_dataset_reader_takes_any_chunk_size(tmp_path, fmt, chunk_rows):
    from kl_cli.inputs.datasets import iter_dataset

    path = tmp_path / f"t.{fmt}"
    path.write_bytes(table_bytes(fmt))
    rows = sum(len(chunk) for chunk in iter_dataset(str(path), str(path), chunk_rows=chunk_rows))
    assert rows == len(ROWS)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_profile_with_the_largest_chunk_rows_matches_the_default(tmp_path, fmt):
    """The command line's bound (vocabulary.MAX_CHUNK_ROWS) in a real run: the
    reader allocates by the data, not by --chunk-rows (any size: the test above)."""
    from kl_cli.vocabulary import MAX_CHUNK_ROWS

    path = tmp_path / f"t.{fmt}"
    path.write_bytes(table_bytes(fmt))
    out_default, out_huge = tmp_path / "a.json", tmp_path / "b.json"
    assert run("profile", str(path), "-o", str(out_default)).exit_code == 0
    r = run_measured(
        ["profile", str(path), "-o", str(out_huge), "--chunk-rows", str(MAX_CHUNK_ROWS)],
        max_rss_mb=MAX_RSS_MB,
        timeout=60,
    )
    assert r.returncode == 0 and r.killed_for is None, r.stderr.decode()
    assert json.loads(out_default.read_text())["columns"] == json.loads(out_huge.read_text())["columns"]
