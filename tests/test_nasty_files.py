"""Nasty files (issue 5, point 4), for compare and for drift/profile.

Every case ends in one of two ways: exit 2 with one stderr line that names
the file, or (where the input really is valid) a correct result. Never a
hang, a traceback, an "internal error" or unbounded memory.

Already covered elsewhere and not repeated: a directory and a missing file
as compare's P (test_inputs), missing files and empty/header-only current
data for drift (test_drift), Latin-1 and UTF-16 CSV for compare (test_inputs).
"""

from __future__ import annotations

import builtins
import io
import json
import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers import (
    assert_one_line_error,
    describe,
    profile_counts,
    run,
    run_measured,
    run_measured_fed,
    strict_json,
    time_limit,
)

GOOD_CSV = "w,v\na,1\nb,3\n"  # a (probability) table compare reads; kl_pq against a=1,b=3 is 0
GOOD_DATA = "x,y\n1,a\n2,b\n3,a\n"  # a dataset drift and profile read
MAX_RSS_MB = 1500


@pytest.fixture
def good(tmp_path) -> str:
    path = tmp_path / "good.csv"
    path.write_text(GOOD_DATA)
    return str(path)


def roles(good: str) -> dict[str, list[str]]:
    """Where a file can go; ``{}`` is replaced by the path under test."""
    return {
        "compare-P": ["compare", "{}", "a=1,b=3"],
        "compare-Q": ["compare", "a=1,b=3", "{}"],
        "drift-reference": ["drift", "{}", good],
        "drift-current": ["drift", good, "{}"],
        "profile": ["profile", "{}", "-o", "-"],
    }


def args_for(role: str, path: str, good: str, *extra: str) -> list[str]:
    return [path if a == "{}" else a for a in roles(good)[role]] + list(extra)


def assert_names_the_file(result, path: str, *needles: str) -> str:
    line = assert_one_line_error(result, [os.path.basename(path), *needles])
    assert "internal error" not in line, line
    return line


def assert_valid_or_names_the_file(result, path: str) -> dict | None:
    """Exit 0/1 with a strictly valid JSON report, or exit 2 naming the file."""
    if result.exit_code == 2:
        assert_names_the_file(result, path)
        return None
    assert result.exit_code in (0, 1), describe(result)
    assert "Traceback" not in result.stderr
    assert all(line.startswith("kl-cli: ") for line in result.stderr.splitlines()), result.stderr
    return strict_json(result.stdout)


ALL_ROLES = ["compare-P", "compare-Q", "drift-reference", "drift-current", "profile"]


# ---------------------------------------------------------------------------
# Directories, missing files, permissions


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != "compare-P"])
def test_a_directory(tmp_path, good, role):
    folder = tmp_path / "a_folder.csv"
    folder.mkdir()
    result = run(*args_for(role, str(folder), good))
    assert_names_the_file(result, str(folder), "directory")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_missing_file_in_a_missing_folder(tmp_path, good, role, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = os.path.join("no_such_folder", "missing.csv")
    result = run(*args_for(role, path, good))
    line = assert_names_the_file(result, path)
    assert "no such file" in line.lower()


LONG_FOLDER = "quarterly_reports_" * 5  # any path longer than about 60 characters


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_missing_file_with_a_long_path_is_still_named(tmp_path, good, role):
    path = str(tmp_path / LONG_FOLDER / "forecast_2024.csv")
    assert_names_the_file(run(*args_for(role, path, good)), path)


def _unreadable(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content)
    return str(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; see the monkeypatched test")
@pytest.mark.parametrize("role", ALL_ROLES)
def test_permission_denied_for_real(tmp_path, good, role):
    path = _unreadable(tmp_path, "secret.csv", GOOD_CSV if role.startswith("compare") else GOOD_DATA)
    os.chmod(path, 0)
    try:
        result = run(*args_for(role, path, good))
    finally:
        os.chmod(path, 0o600)
    assert_names_the_file(result, path, "ermission denied")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_permission_denied(tmp_path, good, role, monkeypatch):
    """As root chmod 000 changes nothing, so make open() itself refuse the file,
    wherever it is opened from (kl-cli's readers, pandas, the profile loader)."""
    path = _unreadable(tmp_path, "secret.csv", GOOD_CSV if role.startswith("compare") else GOOD_DATA)
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(file)) == path:
            raise PermissionError(13, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    result = run(*args_for(role, path, good))
    assert_names_the_file(result, path, "ermission denied")
    # The guard really is what failed it: the same file reads fine without it.
    monkeypatch.undo()
    assert run(*args_for(role, path, good)).exit_code in (0, 1)


def test_profile_output_in_a_missing_folder(tmp_path, good):
    out = tmp_path / "no_such_folder" / "p.json"
    assert_names_the_file(run("profile", good, "-o", str(out)), str(out))
    assert not (tmp_path / "no_such_folder").exists()


def test_profile_output_onto_a_folder(tmp_path, good):
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert_names_the_file(run("profile", good, "-o", str(folder)), str(folder))
    assert list(folder.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kl-cli-")] == []


# ---------------------------------------------------------------------------
# FIFOs and /dev/stdin: read once, as a pipe is


def _fifo(path: Path, data: bytes) -> threading.Thread:
    """A named pipe and a producer thread that writes ``data`` once, as
    ``<(cat file)`` would."""
    os.mkfifo(path)

    def produce() -> None:
        try:
            fd = os.open(path, os.O_WRONLY)  # waits for the reader
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError:
            pass

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    return thread


def _release(path: Path, thread: threading.Thread) -> None:
    if thread.is_alive():  # the reader never came: let the producer finish
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(5)
        os.close(fd)


# One case per reading path: compare's table and JSON readers, and the dataset
# reader that drift (current and reference) and profile share.
FIFO_CASES = {
    "compare-P-csv": (["compare", "{}", "a=1,b=3", "--format", "json"], GOOD_CSV),
    "compare-P-json": (["compare", "{}", "a=1,b=3", "--format", "json"], '{"a": 1, "b": 3}'),
    "drift-current": (["drift", "GOOD", "{}", "--format", "json"], GOOD_DATA),
}


@pytest.mark.parametrize("case", list(FIFO_CASES))
def test_a_fifo_is_read_once(tmp_path, good, case):
    import pandas  # noqa: F401  (imported now, so the time limit below measures the read alone)

    template, content = FIFO_CASES[case]
    fifo = tmp_path / "pipe.csv"
    thread = _fifo(fifo, content.encode())
    args = [str(fifo) if a == "{}" else good if a == "GOOD" else a for a in template]
    try:
        with time_limit(2, f"kl-cli {' '.join(template)} on a FIFO"):  # a normal run takes ~50 ms
            result = run(*args)
    finally:
        _release(fifo, thread)
    data = assert_valid_or_names_the_file(result, str(fifo))
    if data is not None and case.startswith("compare"):
        assert data["metrics"]["kl_pq"] == 0.0
    elif data is not None and case.startswith("drift"):
        assert data["drift_detected"] is False and data["total_columns"] == 2


@pytest.mark.parametrize("copy", ["memory", "disk"])
@pytest.mark.parametrize("how", ["fifo", "stdin"])
def test_a_reference_stream_serves_both_passes(tmp_path, monkeypatch, how, copy):
    """A numeric reference column too large to keep in memory is read twice;
    a stream gives its bytes once, so they are copied (to memory, or to a
    temporary file when large) for the second pass."""
    import tempfile

    import kl_cli.core.binning as binning
    import kl_cli.inputs.streams as sources

    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 50)  # force the second pass
    spilled = []
    if copy == "disk":
        monkeypatch.setattr(sources, "STREAM_MEMORY", 1000)
        real_temporary_file = tempfile.TemporaryFile
        monkeypatch.setattr(tempfile, "TemporaryFile", lambda: spilled.append(1) or real_temporary_file())
    content = "num,cat\n" + "".join(f"{i * 37 % 1000 / 7},c{i % 5}\n" for i in range(500))
    steady = tmp_path / "steady.csv"
    steady.write_text(content)
    expected = run("drift", str(steady), str(steady), "--format", "json")
    assert expected.exit_code == 0, expected.output
    if how == "stdin":
        result = run("drift", "-", str(steady), "--format", "json", input=content)
    else:
        fifo = tmp_path / "ref.csv"
        thread = _fifo(fifo, content.encode())
        try:
            with time_limit(5, "drift on a FIFO reference"):
                result = run("drift", str(fifo), str(steady), "--format", "json")
        finally:
            _release(fifo, thread)
    assert result.exit_code == 0, result.output
    got, want = json.loads(result.stdout), json.loads(expected.stdout)
    assert got["columns"] == want["columns"]
    assert any(c["type"] == "numeric" for c in got["columns"])
    assert len(spilled) == (1 if copy == "disk" else 0)


ENDLESS_LINE = """
import sys
block = bytes(1 << 16)
try:
    while True:
        sys.stdout.buffer.write(block)
except OSError:  # the reader is gone
    pass
"""


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["compare", "-", "0.5,0.5"], "64 MiB"),
        (["drift", "GOOD", "-"], "16 MiB"),
        (["profile", "-", "-o", "-"], "16 MiB"),
    ],
    ids=["compare", "drift", "profile"],
)
def test_an_endless_line_on_stdin_is_refused_as_it_is_read(good, args, limit):
    """/dev/zero-like input: NUL bytes with no newline, forever. Refused once
    the first line passes the limit, with memory bounded, not read to the end."""
    r = run_measured_fed([good if a == "GOOD" else a for a in args], [ENDLESS_LINE], max_rss_mb=MAX_RSS_MB, timeout=60)
    assert r.killed_for is None, f"{r.killed_for}: {r.peak_rss_mb:.0f} MB"
    lines = r.stderr.decode().splitlines()
    assert r.returncode == 2 and len(lines) == 1, lines
    assert "stdin" in lines[0] and f"the first line is longer than {limit}" in lines[0], lines


def test_stdin_cannot_be_both_sides_of_drift():
    line = assert_one_line_error(run("drift", "-", "-", input=GOOD_DATA), ["standard input"])
    assert "internal error" not in line


def _kl_cli(args: list[str], stdin) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kl_cli", *args], stdin=stdin, capture_output=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    "args",
    [["compare", "/dev/stdin", "a=1,b=3", "--format", "value"], ["drift", "GOOD", "/dev/stdin", "--format", "json"]],
    ids=["compare", "drift"],
)
def test_dev_stdin_redirected_from_a_file(tmp_path, good, args):
    data = tmp_path / "in.csv"
    data.write_text(GOOD_CSV if args[0] == "compare" else GOOD_DATA)
    with data.open("rb") as handle:
        proc = _kl_cli([good if a == "GOOD" else a for a in args], handle)
    assert proc.returncode == 0, proc.stderr
    if args[0] == "compare":
        assert float(proc.stdout) == 0.0
    else:
        assert json.loads(proc.stdout)["total_columns"] == 2


def test_drift_refuses_stdin_twice_whatever_it_is_called():
    content = GOOD_DATA.encode()
    for args in (["-", "/dev/stdin"], ["/dev/stdin", "-"]):
        producer = subprocess.Popen(
            [sys.executable, "-c", f"import sys; sys.stdout.buffer.write({content!r})"], stdout=subprocess.PIPE
        )
        try:
            proc = _kl_cli(["drift", *args], producer.stdout)
        finally:
            producer.stdout.close()
            producer.wait(30)
        lines = proc.stderr.decode().splitlines()
        assert proc.returncode == 2 and len(lines) == 1 and "one stream" in lines[0], lines


@pytest.mark.parametrize(
    "args",
    [["compare", "/dev/stdin", "a=1,b=3", "--format", "value"], ["drift", "GOOD", "/dev/stdin", "--format", "json"]],
    ids=["compare", "drift"],
)
def test_dev_stdin_fed_by_a_pipe(good, args):
    content = (GOOD_CSV if args[0] == "compare" else GOOD_DATA).encode()
    producer = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.stdout.buffer.write({content!r})"], stdout=subprocess.PIPE
    )
    try:
        proc = _kl_cli([good if a == "GOOD" else a for a in args], producer.stdout)
    finally:
        producer.stdout.close()
        producer.wait(30)
    stderr = proc.stderr.decode()
    if proc.returncode == 2:  # a clear refusal is fine, a false statement is not
        assert "/dev/stdin" in stderr and "empty" not in stderr and len(stderr.splitlines()) == 1, stderr
    else:
        assert proc.returncode == 0, stderr
        if args[0] == "compare":
            assert float(proc.stdout) == 0.0
        else:
            assert json.loads(proc.stdout)["total_columns"] == 2


# ---------------------------------------------------------------------------
# Empty files, header-only files, data with nothing to compare

EMPTYISH = {
    "bom-only.csv": b"\xef\xbb\xbf",
    "whitespace.csv": b"  \n\t\n\n",
    "header-only.tsv": b"w\tv\n",
    "bom-header-only.csv": b"\xef\xbb\xbfw,v\r\n",
    "newline.jsonl": b"\n",
}


@pytest.mark.parametrize("name", list(EMPTYISH))
@pytest.mark.parametrize("role", ALL_ROLES)
def test_empty_and_header_only_files(tmp_path, good, role, name):
    path = tmp_path / name
    path.write_bytes(EMPTYISH[name])
    line = assert_names_the_file(run(*args_for(role, str(path), good)), str(path))
    assert any(word in line for word in ("empty", "no data rows", "no values", "JSON")), line


@pytest.mark.parametrize("name", ["empty_list.json", "empty_object.json", "one_empty_row.jsonl"])
def test_compare_refuses_json_without_values(tmp_path, good, name):
    path = tmp_path / name
    path.write_text({"empty_list.json": "[]", "empty_object.json": "{}", "one_empty_row.jsonl": "{}\n"}[name])
    assert_names_the_file(run("compare", str(path), "a=1"), str(path), "empty")


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty_list.json", "[]"), ("one_empty_row.jsonl", "{}\n"), ("other_table.csv", "w,v\na,1\n")],
)
@pytest.mark.parametrize("side", ["current", "reference"])
def test_drift_with_nothing_to_compare_is_trouble_not_no_drift(tmp_path, good, name, content, side):
    path = tmp_path / name
    path.write_text(content)
    args = ["drift", good, str(path)] if side == "current" else ["drift", str(path), good]
    result = run(*args)
    assert result.exit_code == 2, describe(result)
    assert_one_line_error(result)


# ---------------------------------------------------------------------------
# 100 MB on a single line: a clear answer in bounded memory

MB100 = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """100 MB single-line files, made on first use and removed with the module."""
    folder = tmp_path_factory.mktemp("big")
    made: dict[str, Path] = {}

    def make(kind: str) -> Path:
        if kind not in made:
            path = folder / {"cell": "cell.csv", "wide": "wide.csv", "json": "lists.json"}[kind]
            with path.open("wb") as handle:
                if kind == "cell":  # one 100 MB label in an otherwise normal table
                    handle.write(b"w,v\n")
                    handle.write(b"a" * MB100)
                    handle.write(b",1\n")
                elif kind == "wide":  # a 100 MB header line: 50 million columns, no newline
                    handle.write(b"1," * (MB100 // 2))
                else:  # a 100 MB JSON list of empty lists, one line
                    handle.write(b"[" + b"[]," * (MB100 // 3) + b"[]]")
            made[kind] = path
        return made[kind]

    yield make
    for path in made.values():
        path.unlink()


def _check_big(run_: object, path: Path) -> None:
    assert run_.killed_for is None, (
        f"killed for {run_.killed_for} after {run_.seconds:.1f} s, {run_.peak_rss_mb:.0f} MB"
    )
    assert run_.peak_rss_mb < MAX_RSS_MB
    stderr = run_.stderr.decode(errors="replace")
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[:500]
    if run_.returncode == 2:
        assert len(stderr.splitlines()) == 1 and path.name in stderr, stderr[:500]
    else:
        assert run_.returncode in (0, 1), stderr[:500]


def test_100mb_label_cell_compare(big):
    path = big("cell")
    r = run_measured(["compare", str(path), "a=1", "--format", "value"], max_rss_mb=MAX_RSS_MB, timeout=60)
    _check_big(r, path)
    if r.returncode == 0:  # the giant label is P's only category and Q rules it out
        assert r.stdout == b"inf\n"


def test_100mb_label_cell_drift(big, tmp_path):
    path = big("cell")
    ref = tmp_path / "ref.csv"
    ref.write_text("w,v\nb,1\nc,2\n")
    r = run_measured(["drift", str(ref), str(path), "--format", "json"], max_rss_mb=MAX_RSS_MB, timeout=60)
    _check_big(r, path)
    if r.returncode != 2:
        assert json.loads(r.stdout)["drift_detected"] is True


@pytest.mark.parametrize("kind", ["wide", "json"], ids=["header-line", "json-line"])
@pytest.mark.parametrize("command", ["compare", "drift"])
def test_100mb_single_line(big, good, kind, command):
    path = big(kind)
    args = ["compare", str(path), "a=1"] if command == "compare" else ["drift", good, str(path)]
    r = run_measured(args, max_rss_mb=MAX_RSS_MB, timeout=60)
    _check_big(r, path)


# ---------------------------------------------------------------------------
# Deeply nested JSON (200,000 levels)

DEEP = "[" * 200_000


@pytest.mark.parametrize(
    ("role", "name", "content"),
    [
        ("compare-P", "deep.json", DEEP),
        ("compare-Q", "deep.json", '{"a": ' + DEEP),
        ("drift-current", "deep.jsonl", '{"x": ' + DEEP + "\n"),
        ("drift-reference", "deep.jsonl", '{"x": ' + DEEP + "\n"),
        ("profile", "deep.jsonl", DEEP + "\n"),
        ("drift-reference", "deep_profile.json", '{"format": "kl-cli-profile", "version": 1, "x": ' + DEEP),
    ],
)
def test_deeply_nested_json(tmp_path, good, role, name, content):
    path = tmp_path / name
    path.write_text(content)
    with time_limit(30):
        result = run(*args_for(role, str(path), good))
    assert_names_the_file(result, str(path))


def test_deeply_nested_json_on_stdin(good):
    with time_limit(30):
        line = assert_one_line_error(run("compare", "-", "a=1", input=DEEP), ["stdin", "nested"])
        assert "internal error" not in line
        line = assert_one_line_error(run("drift", good, "-", input='{"x": ' + DEEP + "\n"), ["stdin"])
        assert "internal error" not in line


# ---------------------------------------------------------------------------
# Mixed encodings and UTF-16

MIXED = b"w,v\n" + "café,1\n".encode() + "thé,2\n".encode("latin-1")
MIXED_DATA = b"x,y\n" + "1,café\n".encode() + "2,thé\n".encode("latin-1")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_mixed_utf8_and_latin1(tmp_path, good, role):
    path = tmp_path / "mixed.csv"
    path.write_bytes(MIXED if role.startswith("compare") else MIXED_DATA)
    line = assert_names_the_file(run(*args_for(role, str(path), good)), str(path), "--encoding")
    assert "0xe9" in line  # the offending byte
    result = run(*args_for(role, str(path), good, "--encoding", "latin-1"))
    if role.startswith("compare"):
        assert result.exit_code == 0, describe(result)
    elif role == "drift-reference":  # the good file is ASCII, so latin-1 reads it too
        assert result.exit_code in (0, 1), describe(result)
    else:
        assert result.exit_code in (0, 1), describe(result)


def test_mixed_encoding_far_into_the_file(tmp_path, good):
    """The bad byte comes after the first 4 KB and the first 2,000 rows (compare)
    or the first chunk (drift): still one error naming the file, no partial output."""
    rows = "".join(f"k{i},{i % 9 + 1}\n" for i in range(5000)).encode()
    path = tmp_path / "late.csv"
    path.write_bytes(b"w,v\n" + rows + "thé,2\n".encode("latin-1"))
    assert_names_the_file(run("compare", str(path), "k1=1"), str(path), "--encoding")
    data = tmp_path / "late_data.csv"
    data.write_bytes(b"x,y\n" + b"".join(f"{i},a{i % 3}\n".encode() for i in range(5000)) + "1,thé\n".encode("latin-1"))
    for args in (["drift", good, str(data), "--chunk-rows", "100"], ["drift", str(data), good, "--chunk-rows", "100"]):
        assert_names_the_file(run(*args), str(data), "--encoding")


def test_utf16_json_and_stdin_for_compare(tmp_path):
    path = tmp_path / "u16.json"
    path.write_bytes('{"a": 1, "b": 3}'.encode("utf-16"))
    assert_names_the_file(run("compare", str(path), "a=1,b=3"), str(path), "UTF-16", "--encoding")
    ok = run("compare", str(path), "a=1,b=3", "--encoding", "utf-16", "--format", "value")
    assert ok.exit_code == 0 and float(ok.stdout) == 0.0, describe(ok)
    stdin = run("compare", "-", "a=1,b=3", input="w,v\na,1\nb,3\n".encode("utf-16"))
    assert_one_line_error(stdin, ["stdin", "UTF-16"])


@pytest.mark.parametrize("role", ["drift-reference", "drift-current", "profile"])
def test_utf16_dataset(tmp_path, good, role):
    path = tmp_path / "u16.csv"
    path.write_bytes(GOOD_DATA.encode("utf-16"))
    assert_names_the_file(run(*args_for(role, str(path), good)), str(path), "--encoding")


def test_utf16_datasets_with_the_encoding_given(tmp_path):
    ref = tmp_path / "r16.csv"
    cur = tmp_path / "c16.csv"
    ref.write_bytes(GOOD_DATA.encode("utf-16"))
    cur.write_bytes(GOOD_DATA.encode("utf-16"))
    result = run("drift", str(ref), str(cur), "--encoding", "utf-16", "--format", "json")
    assert result.exit_code == 0, describe(result)
    data = strict_json(result.stdout)
    assert [c["column"] for c in data["columns"]] == ["x", "y"] and data["drift_detected"] is False


@pytest.mark.parametrize("role", ["drift-reference", "drift-current", "profile"])
def test_utf16_dataset_without_a_bom_names_the_variants(tmp_path, good, role):
    path = tmp_path / "le.csv"
    path.write_bytes(GOOD_DATA.encode("utf-16-le"))
    args = [*args_for(role, str(path), good), "--encoding", "utf-16"]
    if role == "drift-current":  # the reference is read first, with the same encoding: use a UTF-16 one
        ref = tmp_path / "ref16.csv"
        ref.write_bytes(GOOD_DATA.encode("utf-16"))
        args = ["drift", str(ref), str(path), "--encoding", "utf-16"]
    line = assert_names_the_file(run(*args), str(path), "byte-order mark")
    assert "--encoding utf-16-le or utf-16-be" in line, line


def test_utf16_dataset_is_named_as_utf16(tmp_path, good):
    path = tmp_path / "u16.csv"
    path.write_bytes(GOOD_DATA.encode("utf-16"))
    line = assert_names_the_file(run("drift", good, str(path)), str(path))
    assert "UTF-16" in line and "latin-1" not in line


# ---------------------------------------------------------------------------
# A file that changes while it is read


def _mutate(path: Path, how: str, table: bool = False) -> None:
    """Change a file in place. ``table``: it is compare's w,v table; else a num,cat dataset."""
    with path.open("r+b") as handle:
        if how == "truncate":
            handle.truncate(0)
        elif how == "garbage":
            handle.truncate(0)
            handle.write(bytes(range(256)) * 20)
        elif how == "append":  # more rows of the same shape
            handle.seek(0, 2)
            handle.write((b"zz,3\n" if table else b"5000,zz\n") * 100)
        elif how == "other columns":
            handle.truncate(0)
            handle.write(b"p,q,r\n1,2,3\n")
        elif how == "text":  # a numeric column turns into text
            handle.truncate(0)
            handle.write(b"num,cat\n" + b"abc,c1\n" * 300)
        elif how == "shorter":
            handle.truncate(0)
            handle.write(b"w,v\na,1\n" if table else b"num,cat\n1,c1\n")


MUTATIONS = ["truncate", "garbage", "append", "other columns", "shorter"]


class ChangeWhileReading:
    """Change a file at a chosen moment of kl-cli's reading of it, whatever code
    reads it: ``open`` and ``io.open`` are wrapped, so the moment is defined by
    the file's own life, not by kl-cli's internals.

    ``when`` is ("open", n): just before the file is opened for reading the
    n-th time; ("bulk", n): right after the n-th read of 64 KiB or more (a
    first look at the file, or the middle of the real read, whose handle stays
    open); ("eof", n): once a handle has been read to its end the n-th time
    (between two passes).
    """

    BULK = 1 << 16

    def __init__(self, path: Path, how: str, when: tuple[str, int], table: bool, monkeypatch) -> None:
        self.path, self.how, self.when, self.table = str(path), how, when, table
        self.counts = {"open": 0, "bulk": 0, "eof": 0}
        self.fired = False
        real_open = builtins.open
        changer = self

        class Handle:
            def __init__(self, handle) -> None:
                self._handle = handle

            def read(self, *args):
                data = self._handle.read(*args)
                if len(data) >= changer.BULK:
                    changer.tick("bulk")
                elif not data and args != (0,):
                    changer.tick("eof")
                return data

            def __iter__(self):
                return iter(self._handle)

            def __next__(self):
                return next(self._handle)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._handle.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(self._handle, name)

        def watched_open(file, mode="r", *args, **kwargs):
            ours = isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == changer.path
            if ours and "r" in mode and "+" not in mode:
                changer.tick("open")
                return Handle(real_open(file, mode, *args, **kwargs))
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", watched_open)
        monkeypatch.setattr(io, "open", watched_open)

    def tick(self, event: str) -> None:
        self.counts[event] += 1
        if (event, self.counts[event]) == self.when and not self.fired:
            self.fired = True
            _mutate(Path(self.path), self.how, self.table)


def _table(path: Path, rows: int) -> None:
    path.write_text("w,v\n" + "".join(f"k{i % 50},{i % 7 + 1}\n" for i in range(rows)))


def _dataset(path: Path, rows: int, seed: int = 0) -> None:
    path.write_text("num,cat\n" + "".join(f"{(i * 37 + seed) % 1000 / 7},c{i % 5}\n" for i in range(rows)))


@pytest.mark.parametrize("how", MUTATIONS)
@pytest.mark.parametrize("when", [("bulk", 1), ("bulk", 2)], ids=["after-first-look", "mid-read"])
def test_compare_file_changes_while_read(tmp_path, monkeypatch, how, when):
    path = tmp_path / "moving.csv"
    _table(path, 250_000)  # 1.5 MB: more than the first MiB that is peeked at, so it is read again
    changer = ChangeWhileReading(path, how, when, table=True, monkeypatch=monkeypatch)
    result = run("compare", str(path), "k1=1,k2=2", "--format", "json")
    monkeypatch.undo()
    assert changer.fired, f"the change never happened: {changer.counts}"
    assert_valid_or_names_the_file(result, str(path))


@pytest.mark.parametrize("how", MUTATIONS)
@pytest.mark.parametrize("side", ["current", "reference"])
def test_drift_file_changes_while_read(tmp_path, monkeypatch, how, side):
    path = tmp_path / "moving.csv"
    other = tmp_path / "steady.csv"
    _dataset(path, 60_000, seed=3)  # 0.6 MB, read in chunks of 1,000 rows and in several reads
    _dataset(other, 500)
    changer = ChangeWhileReading(path, how, ("bulk", 1), table=False, monkeypatch=monkeypatch)
    args = [str(other), str(path)] if side == "current" else [str(path), str(other)]
    result = run("drift", *args, "--chunk-rows", "1000", "--format", "json")
    monkeypatch.undo()
    assert changer.fired, f"the change never happened: {changer.counts}"
    assert_valid_or_names_the_file(result, str(path))


@pytest.mark.parametrize(
    "how",
    ["truncate", "garbage", "append", "other columns", "text", "shorter"],
)
def test_drift_reference_changes_between_its_two_passes(tmp_path, monkeypatch, how):
    """A numeric column larger than memory allows is read twice (bucket counts,
    then exact edges); the file changes once the first pass has read it all."""
    import kl_cli.core.binning as binning

    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 50)  # force the bounded-memory second pass
    path = tmp_path / "moving.csv"
    other = tmp_path / "steady.csv"
    _dataset(path, 500, seed=3)
    _dataset(other, 500)
    changer = ChangeWhileReading(path, how, ("eof", 1), table=False, monkeypatch=monkeypatch)
    result = run("drift", str(path), str(other), "--format", "json")
    monkeypatch.undo()
    assert changer.fired and changer.counts["open"] >= 3, changer.counts  # changed between the passes
    # Every one of these changes is seen: the second pass checks it meets the values the first counted.
    assert_names_the_file(result, str(path))


def test_files_rewritten_concurrently(tmp_path, good):
    """A real writer thread truncates, rewrites and appends to the file while
    compare and drift read it, again and again."""
    import time

    path = tmp_path / "live.csv"
    _dataset(path, 20_000)
    stop = threading.Event()

    def churn() -> None:
        i = 0
        while not stop.is_set():
            i += 1
            with path.open("r+b") as handle:
                if i % 3 == 0:
                    handle.truncate(0)
                elif i % 3 == 1:
                    handle.seek(0, 2)
                    handle.write(b"1.5,c9\n" * 2000)
                else:
                    handle.truncate(0)
                    handle.write(b"num,cat\n" + b"2.5,c1\n" * 5000)
            time.sleep(0.001)

    writer = threading.Thread(target=churn, daemon=True)
    writer.start()
    try:
        for _ in range(6):
            with time_limit(30):
                for args in (
                    ["compare", str(path), "c1=1,c2=1", "--column", "cat", "--format", "json"],
                    ["drift", good, str(path), "--chunk-rows", "500", "--format", "json"],
                    ["drift", str(path), str(path), "--format", "json"],
                ):
                    assert_valid_or_names_the_file(run(*args), str(path))
    finally:
        stop.set()
        writer.join(5)


# ---------------------------------------------------------------------------
# One bad cell deep in a file


def _late_text(tmp_path: Path) -> tuple[str, str]:
    rows = "".join(f"{i / 7},c{i % 5}\n" for i in range(3000))
    bad = tmp_path / "late_text.csv"
    bad.write_text("num,cat\n" + rows + "zz,c1\n")
    steady = tmp_path / "steady.csv"
    steady.write_text("num,cat\n" + rows)
    return str(bad), str(steady)


@pytest.mark.parametrize("side", ["current", "reference", "profile"])
def test_text_in_a_numeric_column_names_the_file(tmp_path, side):
    bad, steady = _late_text(tmp_path)
    args = {
        "current": ["drift", steady, bad],
        "reference": ["drift", bad, steady],
        "profile": ["profile", bad, "-o", "-"],
    }[side]
    assert_names_the_file(run(*args, "--chunk-rows", "1000"), bad, "num")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"x": 1}\n{"x": {"deep": 1}}\n', "line 2: field 'x' holds a JSON object"),
        (b'{"x": 1}\n{"x": [1, 2]}\n', "line 2: field 'x' holds a JSON array"),
        (b'{"x": 1}\n{"x": NaN}\n', "line 2: NaN is not a number JSON allows"),
        (b'[{"x": 1}, {"x": 2}]\n', "line 1 is a JSON array, not an object"),
        (b'{"x": 1}\n{"x": 2\n', "line 2: malformed JSON"),
        (b'{"x": 1}\n7\n', "line 2 is '7', not an object"),
    ],
    ids=["object-cell", "array-cell", "nan-token", "json-array", "cut-off", "number-row"],
)
def test_json_lines_are_strict(tmp_path, good, content, fragment):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(content)
    # Stated as JSON lines: content recognition would read a JSON array as records.
    for args in (
        ["drift", good, str(path), "--current-format", "jsonl"],
        ["drift", str(path), good, "--reference-format", "jsonl"],
        ["profile", str(path), "-o", "-", "--input-format", "jsonl"],
    ):
        line = assert_names_the_file(run(*args), str(path))
        assert fragment in line, line


def test_json_lines_keep_their_types_and_missing_keys(tmp_path):
    """Rows with different keys (absent is missing), CRLF, a byte-order mark, a
    blank line; a date-like column name changes nothing (no date guessing)."""
    path = tmp_path / "rows.jsonl"
    rows = ['{"created_at": 1700000000, "k": "a"}', '{"k": "b"}', "", '{"created_at": 1700000001, "k": true}']
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    result = run("profile", str(path), "-o", "-")
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)["columns"]
    assert profile_counts(columns["created_at"]) == {"1700000000": 1, "1700000001": 1, "(missing)": 1}
    assert profile_counts(columns["k"]) == {"a": 1, "b": 1, "true": 1, "(missing)": 0}


MIXED_CELLS = {
    # pandas types a CSV column per chunk: one text cell turns its chunk's numbers into text
    "numbers-then-text.csv": "k,v\n" + "".join(f"{['1', '2.0', '0.10'][i % 3]},{i}\n" for i in range(2500)) + "A,1\n",
    "text-then-numbers.csv": "k,v\nA,0\n" + "".join(f"{i % 12 / 4},{i}\n" for i in range(2500)),
    "json-lines.jsonl": '{"k": "A", "v": 0}\n' + "".join(f'{{"k": {i % 7}, "v": "{i % 3}"}}\n' for i in range(2500)),
}


@pytest.mark.parametrize("name", list(MIXED_CELLS))
@pytest.mark.parametrize("categorical", [False, True], ids=["typed", "forced-categorical"])
def test_a_profile_does_not_depend_on_the_chunk_size(tmp_path, name, categorical):
    """Each cell is typed on its own: CSV text that reads as a number is that
    number (0.10 is 0.1 whether its chunk held text or not); JSON keeps its types."""
    path = tmp_path / name
    path.write_text(MIXED_CELLS[name])
    forced = ["--categorical", "k"] if categorical else []
    profiles = []
    for chunk in ("1000", "1000000"):
        result = run("profile", str(path), "-o", "-", "--chunk-rows", chunk, *forced)
        assert result.exit_code == 0, result.output
        profiles.append(json.loads(result.stdout)["columns"])
    assert profiles[0] == profiles[1]
    k = profiles[0]["k"]
    if name.endswith(".csv"):
        assert "A" in k["counts"] and not any(label in k["counts"] for label in ("0.10", "2.0", "0.0"))
    else:  # the JSON string "1" is text, the JSON number 1 a number; both count as the label '1'
        assert profiles[0]["v"]["type"] == "categorical"


# Pairs (reference, current) that must give one verdict at every chunk size.
CHUNK_PAIRS = {
    # a chunk of only True/False is booleans to pandas; one 'maybe' made it text
    "booleans.csv": (
        "k,n\n" + "".join(f"{['True', 'False'][i % 2]},{i % 3}\n" for i in range(2000)),
        "k,n\n" + "".join(f"{['True', 'false'][i % 2]},{i % 3}\n" for i in range(2000)) + "maybe,1\n",
    ),
    # a key that first appears after the first chunk: the rows before lack it (missing)
    "late-key.jsonl": (
        "".join(f'{{"a": {i % 3}, "b": "x"}}\n' for i in range(1000)),
        "".join(f'{{"a": {i % 3}}}\n' if i < 500 else f'{{"a": {i % 3}, "b": "x"}}\n' for i in range(1000)),
    ),
    # rows that are {} are rows, all of whose cells are missing
    "empty-rows.jsonl": (
        "".join('{"a": 1}\n{}\n' for _ in range(300)),
        "".join('{"a": 1}\n{}\n{}\n' for _ in range(200)),
    ),
}


@pytest.mark.parametrize("name", list(CHUNK_PAIRS))
def test_drift_does_not_depend_on_the_chunk_size(tmp_path, name):
    reference, current = tmp_path / f"ref-{name}", tmp_path / f"cur-{name}"
    reference.write_text(CHUNK_PAIRS[name][0])
    current.write_text(CHUNK_PAIRS[name][1])
    outputs = []
    for chunk in ("1", "7", "1000", "1000000"):
        result = run("drift", str(reference), str(current), "--format", "json", "--chunk-rows", chunk)
        assert result.exit_code in (0, 1), result.output
        outputs.append((result.exit_code, result.stdout))
        profile = run("profile", str(current), "-o", "-", "--chunk-rows", chunk)
        assert profile.exit_code == 0, profile.output
        outputs.append((0, json.dumps(json.loads(profile.stdout)["columns"])))
    assert all(o == outputs[0] for o in outputs[0::2]) and all(o == outputs[1] for o in outputs[1::2])
    report = json.loads(outputs[0][1])
    if name == "booleans.csv":  # 'False' and 'false' are one boolean; one row of 'maybe' is no drift
        assert report["drift_detected"] is False
        k = profile_counts(json.loads(outputs[1][1])["k"])
        assert set(k) == {"true", "false", "maybe", "(missing)"}
    elif name == "late-key.jsonl":
        b = next(c for c in report["columns"] if c["column"] == "b")
        assert b["n_current"] == 1000 and b["drifted"] is True  # half of the rows lack 'b'
    else:
        assert profile_counts(json.loads(outputs[1][1])["a"]) == {"1": 200, "(missing)": 400}


# Single files whose profile must not depend on the chunk size (found by fuzzing).
CHUNK_FILES = {
    "true-and-one.jsonl": '{"x": true}\n{"x": 1}\n{"x": false}\n{"x": 0}\n',  # True == 1 in Python
    "keys-with-spaces.jsonl": '{" a": 1}\n{"a": 2}\n',  # JSON keys are exact, never trimmed
    "booleans-any-case.csv": "x\nTrue\nabc\nFALSE\n",
    "white-space-before-numbers.csv": 'x\n\t1\nabc\n\x0b2\n"  3"\n',
    "integers-beyond-floats.csv": "x\n1" + "0" * 309 + "\nabc\n-1" + "0" * 309 + "\n",
    "integers-beyond-floats-only.csv": "x\n1" + "0" * 309 + "\n5\n",
    # pandas forgets its missing spellings in a chunk holding an integer beyond 64 bits
    "missing-beside-a-huge-integer.csv": "x,y\n1" + "0" * 30 + ",a\n,a\nnan,a\nNA,a\n",
    "missing-beside-two-to-the-63.csv": "x,y\n9223372036854775808,a\nnan,a\n",
}


@pytest.mark.parametrize("name", list(CHUNK_FILES))
def test_a_profile_of_odd_cells_does_not_depend_on_the_chunk_size(tmp_path, name):
    path = tmp_path / name
    path.write_text(CHUNK_FILES[name])
    outputs = set()
    for chunk in ("1", "2", "1000"):
        result = run("profile", str(path), "-o", "-", "--chunk-rows", chunk)
        assert result.exit_code == 0, result.output
        outputs.add(json.dumps(json.loads(result.stdout)["columns"], sort_keys=True))
    assert len(outputs) == 1, outputs
    columns = json.loads(outputs.pop())
    counts = profile_counts(next(iter(columns.values())))
    # Integers keep their exact value as labels at any size (issue 10).
    expected = {
        "true-and-one.jsonl": {"true": 1, "1": 1, "false": 1, "0": 1},
        "keys-with-spaces.jsonl": {"1": 1, "(missing)": 1},
        "booleans-any-case.csv": {"true": 1, "false": 1, "abc": 1},
        "white-space-before-numbers.csv": {"1": 1, "2": 1, "3": 1, "abc": 1},
        "integers-beyond-floats.csv": {"1" + "0" * 309: 1, "-1" + "0" * 309: 1, "abc": 1},
        "integers-beyond-floats-only.csv": {"1" + "0" * 309: 1, "5": 1},
        "missing-beside-a-huge-integer.csv": {"1" + "0" * 30: 1, "NA": 1, "(missing)": 2},
        "missing-beside-two-to-the-63.csv": {"9223372036854775808": 1, "(missing)": 1},
    }[name]
    assert {k: v for k, v in counts.items() if k != "(missing)" or v} == expected
    if name == "keys-with-spaces.jsonl":
        assert sorted(columns) == [" a", "a"]


@pytest.mark.parametrize(
    "args", [["profile", "{}", "-o", "-", "--binning", "uniform"], ["drift", "{}", "{}", "--binning", "uniform"]]
)
def test_uniform_bins_over_the_whole_float_range(tmp_path, args):
    path = tmp_path / "wide.csv"
    path.write_text("x\n" + "".join(f"{v}\n" for v in [-1.7e308, 1.7e308, *range(40)]))
    result = run(*[str(path) if a == "{}" else a for a in args])
    assert result.exit_code == 0, result.output
    assert all(line.startswith("kl-cli: warning: ") for line in result.stderr.splitlines()), result.stderr
    if args[0] == "profile":
        edges = json.loads(result.stdout)["columns"]["x"]["edges"]
        assert len(edges) == 9 and all(math.isfinite(e) for e in edges) and edges == sorted(edges)
    sample = run("compare", "--samples", str(path), "0,1", "--binning", "uniform", "--bins", "3", "--format", "json")
    labels = [c["label"] for c in strict_json(sample.stdout)["categories"] if c["label"] != "(missing)"]
    assert "inf, inf" not in " ".join(labels) and len(labels) == 3, labels


def test_one_fifo_twice_is_refused_not_a_hang(tmp_path):
    for args in (["compare", "{}", "{}", "--column", "x"], ["drift", "{}", "{}"]):
        fifo = tmp_path / f"twice-{args[0]}.csv"
        thread = _fifo(fifo, GOOD_DATA.encode())
        try:
            with time_limit(5, f"kl-cli {args[0]} on one FIFO twice"):
                result = run(*[str(fifo) if a == "{}" else a for a in args])
        finally:
            _release(fifo, thread)
        line = assert_one_line_error(result, ["one stream"])
        assert "internal error" not in line


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--", "\x00=0", "\x00=0"],
        ["drift", "a\x00.csv", "b.csv"],
        ["profile", "a\x00.csv", "-o", "-"],
        ["profile", "GOOD", "-o", "x\x00.json"],
        ["compare", "GOOD", "a=1", "--encoding", "utf\x008"],
    ],
)
def test_a_nul_byte_in_an_argument_is_a_usage_error(good, args):
    """Only possible in-process (no shell passes a NUL byte), but still one line."""
    line = assert_one_line_error(run(*[good if a == "GOOD" else a for a in args]), ["NUL byte"])
    assert "internal error" not in line


@pytest.mark.parametrize("codec", ["hex", "rot13", "base64", "zlib"])
@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_an_encoding_that_is_not_text_is_refused(good, codec, command):
    args = {
        "compare": ["compare", good, "a=1"],
        "drift": ["drift", good, good],
        "profile": ["profile", good, "-o", "-"],
    }[command]
    line = assert_one_line_error(run(*args, "--encoding", codec), [f"--encoding '{codec}' is not a text encoding"])
    assert "internal error" not in line


def test_header_names_equal_once_trimmed_survive_the_second_pass(tmp_path, monkeypatch):
    import kl_cli.core.binning as binning

    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 50)  # force a second pass over the numeric one
    path = tmp_path / "dup.csv"
    path.write_text("n,n\t\n" + "".join(f"c{i % 3},{i / 3}\n" for i in range(500)))
    result = run("profile", str(path), "-o", "-")
    assert result.exit_code == 0, result.output
    columns = json.loads(result.stdout)["columns"]
    assert [columns[c]["type"] for c in ("n", "n.1")] == ["categorical", "numeric"]


def test_json_lines_with_a_key_absent_from_a_whole_chunk_survive_the_second_pass(tmp_path, monkeypatch):
    import kl_cli.core.binning as binning

    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 50)
    path = tmp_path / "gap.jsonl"
    path.write_text('{"c": "x"}\n' * 300 + "".join(f'{{"a": {i / 7}}}\n' for i in range(500)))
    outputs = set()
    for chunk in ("100", "1000000"):
        result = run("profile", str(path), "-o", "-", "--chunk-rows", chunk)
        assert result.exit_code == 0, result.output
        outputs.add(json.dumps(json.loads(result.stdout)["columns"]))
    assert len(outputs) == 1
    assert profile_counts(json.loads(outputs.pop())["a"])["(missing)"] == 300


@pytest.mark.parametrize("number", ["1" + "0" * 400, "1e400", "-1e999"])
def test_json_lines_numbers_beyond_floats_are_refused(tmp_path, good, number):
    path = tmp_path / "big.jsonl"
    path.write_text(f'{{"x": 1}}\n{{"x": {number}}}\n{{"x": 3}}\n')
    for args in (["profile", str(path), "-o", "-"], ["drift", good, str(path)], ["drift", str(path), good]):
        line = assert_names_the_file(run(*args), str(path))
        assert "line 2" in line and "beyond the range of a float" in line, line


def test_one_long_distinct_cell_costs_no_memory(tmp_path):
    """The number check looks at each distinct cell's first character only:
    a fixed-width array as wide as the longest cell took 2 GB for this file."""
    path = tmp_path / "long.csv"
    path.write_text("k,v\n" + "".join(f"id{i},{i % 5}\n" for i in range(10000)) + "x" * 50000 + ",1\n")
    r = run_measured(["profile", str(path), "-o", "-"], max_rss_mb=400, timeout=60)
    assert r.killed_for is None and r.returncode == 0, (r.killed_for, r.peak_rss_mb, r.stderr)


def test_one_text_cell_gives_the_same_verdict_whatever_the_chunk_size(tmp_path):
    bad, steady = _late_text(tmp_path)
    whole = run("drift", bad, steady, "--format", "json")
    chunked = run("drift", bad, steady, "--format", "json", "--chunk-rows", "1000")
    assert (whole.exit_code, whole.stdout, whole.stderr) == (chunked.exit_code, chunked.stdout, chunked.stderr)
