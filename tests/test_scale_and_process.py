"""High cardinality and sample size (issue 5, point 5) and process behaviour
with real processes (point 6): ``| head -1``, Ctrl-C, atomic profile writes.

test_drift.py already checks that an id column is skipped unless forced and
that ``profile -o`` keeps the old file when ``os.replace`` raises inside
CliRunner; here the reason, the boundary, every format and real signals.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import by_column, describe, process_cpu_seconds, run, run_measured, strict_json, wait_until, write_csv

KL = [sys.executable, "-m", "kl_cli"]


# ---------------------------------------------------------------------------
# Point 5: an identifier-like column is skipped, with the reason


def _id_data(tmp_path: Path, name: str, distinct: int, rows: int = 100, missing: int = 0, offset: int = 0) -> str:
    """A text id column with ``distinct`` values over ``rows`` rows (``missing`` of them empty)."""
    data = []
    for i in range(rows):
        ident = "" if i < missing else f"user-{offset + (i - missing) % distinct:05d}"
        data.append([ident, ["basic", "pro", "team"][i % 3], i % 4])
    return write_csv(tmp_path / name, ["user_id", "plan", "seats"], data)


def test_id_column_is_skipped_with_the_reason_in_every_format(tmp_path):
    ref = _id_data(tmp_path, "ref.csv", distinct=100)
    cur = _id_data(tmp_path, "cur.csv", distinct=100, offset=500)  # not one id in common
    result = run("drift", ref, cur, "--format", "json")
    assert result.exit_code == 0, describe(result)  # the ids changed completely, and that is not drift
    report = strict_json(result.stdout)
    col = by_column(report)["user_id"]
    assert col["type"] == "skipped"
    assert "identifier-like" in col["skipped"] and "100 distinct values in 100 rows" in col["skipped"]
    assert "--categorical" in col["skipped"]
    assert col["value"] is None and col["drifted"] is False and col["metrics"] is None
    assert report["total_columns"] == 2 and "user_id" not in report["drifted_columns"]
    table = run("drift", ref, cur).stdout
    assert "skipped" in table and "identifier-like" in table
    markdown = run("drift", ref, cur, "--format", "markdown").stdout
    assert "identifier-like" in markdown
    rows = list(csv.DictReader(run("drift", ref, cur, "--format", "csv").stdout.splitlines()))
    skipped = next(r for r in rows if r["column"] == "user_id")
    assert "identifier-like" in skipped["skipped"] and skipped["drifted"] == "false" and skipped["value"] == ""


def test_forcing_an_id_column_compares_it(tmp_path):
    ref = _id_data(tmp_path, "ref.csv", distinct=100)
    cur = _id_data(tmp_path, "cur.csv", distinct=100, offset=500)
    result = run("drift", ref, cur, "--categorical", "user_id", "--format", "json")
    assert result.exit_code == 1, describe(result)  # disjoint ids: total drift
    col = by_column(strict_json(result.stdout))["user_id"]
    assert (col["type"], col["typed_by"]) == ("categorical", "--categorical")
    assert col["skipped"] is None and col["value"] == pytest.approx(1.0) and col["drifted"] is True


@pytest.mark.parametrize(
    ("distinct", "missing", "skipped"),
    [
        (51, 0, True),  # more than half of 100 rows
        (50, 0, False),  # exactly half: still categorical
        (31, 40, True),  # more than half of the 60 present rows
        (30, 40, False),
        (21, 60, True),  # the smallest id-like column here: more than 20 distinct values
    ],
)
def test_the_half_of_the_rows_boundary(tmp_path, distinct, missing, skipped):
    ref = _id_data(tmp_path, "ref.csv", distinct=distinct, missing=missing)
    col = by_column(strict_json(run("drift", ref, ref, "--format", "json").stdout))["user_id"]
    assert (col["type"] == "skipped") == skipped, col
    if skipped:
        assert f"{distinct} distinct values in {100 - missing} rows" in col["skipped"]


def test_a_kept_profile_remembers_the_skip_and_its_reason(tmp_path):
    ref = _id_data(tmp_path, "ref.csv", distinct=100)
    cur = _id_data(tmp_path, "cur.csv", distinct=100, offset=500)
    prof = tmp_path / "ref.profile.json"
    assert run("profile", ref, "-o", str(prof)).exit_code == 0
    stored = strict_json(prof.read_text())["columns"]["user_id"]
    assert stored["type"] == "skipped" and "identifier-like" in stored["reason"]
    assert stored["counts"] == {}  # the ids themselves are not kept
    result = run("drift", str(prof), cur, "--format", "json")
    assert result.exit_code == 0, describe(result)
    col = by_column(strict_json(result.stdout))["user_id"]
    assert col["type"] == "skipped" and "identifier-like" in col["skipped"]


# ---------------------------------------------------------------------------
# Point 5: 12 observations against 1,000,000

SMALL = "a=3,b=4,c=5"  # 12 observations
LARGE = "a=300000,b=300000,c=400000"  # 1,000,000


def _sample_size_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "sample size" in line]


@pytest.mark.parametrize(("p", "q", "side"), [(SMALL, LARGE, "P"), (LARGE, SMALL, "Q")])
def test_12_against_a_million_warns(kl, p, q, side):
    result, data = kl.report(p, q)
    lines = _sample_size_warnings(result.stderr)
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"kl-cli: warning: {side} has only 12 observations against 1e+06"), line
    assert "dominated by sample size" in line
    assert any("only 12 observations" in w for w in data["warnings"])
    assert data["n_p"] + data["n_q"] == 1_000_012


def test_12_raw_observations_against_a_million_counts_warns(kl, write):
    obs = write("obs.csv", "sky\n" + "\n".join(["a"] * 3 + ["b"] * 4 + ["c"] * 5) + "\n")
    result = kl.ok(obs, LARGE, "--format", "value")
    lines = _sample_size_warnings(result.stderr)
    assert len(lines) == 1 and "only 12 observations against 1e+06" in lines[0], result.stderr


def test_a_million_against_a_million_does_not_warn(kl):
    assert _sample_size_warnings(kl.ok(LARGE, "a=310000,b=290000,c=400000").stderr) == []


def test_drift_of_12_rows_against_a_million_row_profile_warns(tmp_path):
    small = write_csv(tmp_path / "today.csv", ["plan"], [[p] for p in ["basic"] * 3 + ["pro"] * 4 + ["team"] * 5])
    prof = tmp_path / "ref.profile.json"
    assert run("profile", small, "-o", str(prof)).exit_code == 0
    data = json.loads(prof.read_text())
    # The profile of a million reference rows: the same format, its counts scaled.
    data["rows"] = 1_000_000
    data["columns"]["plan"]["rows"] = 1_000_000
    data["columns"]["plan"]["counts"] = {"basic": 300_000, "pro": 300_000, "team": 400_000, "(missing)": 0}
    prof.write_text(json.dumps(data))
    result = run("drift", str(prof), small, "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    lines = _sample_size_warnings(result.stderr)
    assert len(lines) == 1 and "'plan'" in lines[0] and "only 12 observations against 1e+06" in lines[0], lines


def test_stated_sample_sizes_of_12_against_a_million_warn(kl):
    result = kl.ok("a=0.25,b=0.33,c=0.42", "a=0.3,b=0.3,c=0.4", "--n-p", "12", "--n-q", "1000000")
    lines = _sample_size_warnings(result.stderr)
    assert len(lines) == 1 and "12" in lines[0], result.stderr


# ---------------------------------------------------------------------------
# Point 6: `| head -1` exits quietly


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> dict[str, str]:
    """Inputs whose reports are far larger than a pipe's buffer (64 KiB, up to
    1 MiB here), so the writer really meets a closed pipe; no warnings."""
    folder = tmp_path_factory.mktemp("many")
    out = {}
    for name, k in (("", 20_000), ("t", 1_500)):  # the rich table is slower: fewer rows (300 KB)
        out[name + "p"] = write_csv(
            folder / f"{name}p.csv", ["label", "n"], [[f"category-{i}", 1000 + i % 500] for i in range(k)]
        )
        out[name + "q"] = write_csv(
            folder / f"{name}q.csv", ["label", "n"], [[f"category-{i}", 4000 - i % 700] for i in range(k)]
        )
    for name, k in (("", 1_500), ("big", 10_000)):
        rows = [[f"c{i % k}", i % 5] for i in range(6 * k)]  # 6 rows a category: no small-sample warning
        out[name + "ref"] = write_csv(folder / f"{name}ref.csv", ["cat", "n"], rows)
        out[name + "cur"] = write_csv(folder / f"{name}cur.csv", ["cat", "n"], rows[::-1])
    return out


def _through_head(args: list[str]) -> tuple[bytes, bytes, int]:
    """``kl-cli ARGS | head -1`` with real processes; returns head's output,
    kl-cli's stderr and its exit status."""
    producer = subprocess.Popen([*KL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    producer.stdout.close()  # only head holds the read end now
    first, _ = head.communicate(timeout=60)
    err = producer.stderr.read()
    return first, err, producer.wait(timeout=60)


def _quiet(err: bytes, rc: int) -> None:
    assert b"Traceback" not in err and b"BrokenPipe" not in err and b"Exception ignored" not in err, err
    assert err == b"", err
    assert rc in (0, -signal.SIGPIPE), rc  # done, or ended by SIGPIPE as cat is


@pytest.mark.parametrize(
    ("fmt", "first"),
    [
        ("table", b"KL divergence: "),
        ("csv", b"label,p,q,kl_pq,kl_qp"),
        ("markdown", b"### KL divergence"),
        ("json", b"{"),
    ],
)
def test_compare_into_head_is_quiet(many, fmt, first):
    p, q = (many["tp"], many["tq"]) if fmt == "table" else (many["p"], many["q"])
    top = ["--top", "0"] if fmt in ("table", "markdown") else []  # csv and json list every category anyway
    out, err, rc = _through_head(["compare", p, q, *top, "--format", fmt])
    assert out.startswith(first) and out.count(b"\n") == 1, out
    _quiet(err, rc)


@pytest.mark.parametrize(
    "args",
    [
        ["drift", "REF", "CUR", "--detail", "cat"],
        ["drift", "BIGREF", "BIGCUR", "--detail", "cat", "--format", "markdown"],
        ["profile", "P", "-o", "-", "--categorical", "label"],
    ],
    ids=["drift-table", "drift-markdown", "profile"],
)
def test_drift_and_profile_into_head_are_quiet(many, args):
    names = {"REF": "ref", "CUR": "cur", "BIGREF": "bigref", "BIGCUR": "bigcur", "P": "p"}
    args = [many[names[a]] if a in names else a for a in args]
    out, err, rc = _through_head(args)
    assert out.count(b"\n") == 1 and len(out) > 1, out
    _quiet(err, rc)


def test_reader_closing_early_is_quiet(many):
    proc = subprocess.Popen(
        [*KL, "compare", many["p"], many["q"], "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"label,p,q,kl_pq,kl_qp\n"
    proc.stdout.close()
    err = proc.stderr.read()
    _quiet(err, proc.wait(timeout=60))


# ---------------------------------------------------------------------------
# Point 6: Ctrl-C exits 130 without a traceback


def _blocked_on_a_pipe(pid: int) -> bool:
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False
    return "pipe" in wchan


def _interrupt(proc: subprocess.Popen) -> tuple[int, bytes, bytes]:
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    out, err = proc.stdout.read(), proc.stderr.read()
    if proc.stdin:
        proc.stdin.close()
    return rc, out, err


def _assert_interrupted(rc: int, out: bytes, err: bytes) -> None:
    assert rc == 130, (rc, err)
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err, err
    # click echoes a newline on Ctrl-C (the terminal's ^C ends its line); then one error line
    assert [line for line in err.decode().splitlines() if line.strip()] == ["kl-cli: error: interrupted"], err
    assert out == b""


@pytest.mark.parametrize(
    "args", [["compare", "-", "0.5,0.5"], ["drift", "REF", "-"]], ids=["compare-stdin", "drift-stdin"]
)
def test_ctrl_c_while_waiting_for_stdin(many, args):
    args = [many["ref"] if a == "REF" else a for a in args]
    proc = subprocess.Popen([*KL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:  # the pipe stays open: kl-cli sits in read() until we interrupt it
        wait_until(lambda: _blocked_on_a_pipe(proc.pid) or proc.poll() is not None, 20, "kl-cli to block on stdin")
        assert proc.poll() is None, proc.stderr.read()
        _assert_interrupted(*_interrupt(proc))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ctrl_c_while_computing(tmp_path):
    """Interrupted in the middle of a long permutation test (numpy at work)."""
    p, q = "a=1000,b=1100,c=900,d=1000,e=1050", "a=1100,b=1000,c=950,d=1000,e=1000"
    proc = subprocess.Popen(
        [*KL, "compare", p, q, "--permutations", "3000000", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    try:
        # The permutations are under way: more CPU time than start-up takes (the
        # batches are small, so memory no longer tells; issue 11).
        wait_until(lambda: process_cpu_seconds(proc.pid) > 1.5 or proc.poll() is not None, 30, "the computation")
        assert proc.poll() is None, proc.stderr.read()
        _assert_interrupted(*_interrupt(proc))
    finally:
        if proc.poll() is None:
            proc.kill()


# The parts of the two pausing scripts below: a file-handle proxy that can
# pause (drop a marker file, then sleep until the SIGINT comes), and the run.
PAUSING_PROXY = r"""
import builtins, os, sys, time

marker, target = sys.argv[1], os.path.abspath(sys.argv[2])
del sys.argv[1:3]
real_open, real_fdopen = builtins.open, os.fdopen


def pause():
    with real_open(marker, "w"):
        pass
    time.sleep(60)


class Proxy:
    def __init__(self, handle):
        self._handle = handle

    def __iter__(self):
        return iter(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._handle, name)
"""
RUN_KL_CLI = r"""
from kl_cli.cli import run

sys.argv[0] = "kl-cli"
run()
"""

# Runs kl-cli with the read of the data file that pandas' C parser makes
# paused: a SIGINT then arrives while the CSV is being read.
PAUSING_READER = (
    PAUSING_PROXY
    + r"""
class Paused(Proxy):
    # Pauses once the reader is past the head kl-cli sniffs (64 KiB): in the bulk read.

    def read(self, *args):
        if self._handle.tell() > (1 << 17):
            pause()
        return self._handle.read(*args)


def paused_open(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    if "r" in mode and isinstance(file, (str, os.PathLike)) and os.path.abspath(file) == target:
        return Paused(handle)
    return handle


builtins.open = paused_open

# Arrow reads a plain file itself, not through Python's open: its CSV readers
# stall too, as a slow disk would make them.
import pyarrow.csv as _csv

for _name in ("read_csv", "open_csv"):
    _real = getattr(_csv, _name)

    def _stalled(source, *args, _real=_real, **kwargs):
        if isinstance(source, (str, os.PathLike)) and os.path.abspath(source) == target:
            pause()
        return _real(source, *args, **kwargs)

    setattr(_csv, _name, _stalled)
"""
    + RUN_KL_CLI
)


@pytest.mark.parametrize("command", ["compare", "drift", "profile"])
def test_ctrl_c_while_reading_a_csv(tmp_path, command):
    # Much larger than the head kl-cli sniffs, so the pause lands in the bulk read.
    data = write_csv(tmp_path / "data.csv", ["w", "v"], [[f"k{i % 5000}", i % 7 + 1] for i in range(200_000)])
    args = {
        "compare": ["compare", data, "k1=1,k2=1"],
        "drift": ["drift", data, data],
        "profile": ["profile", data, "-o", "-"],
    }[command]
    marker = tmp_path / "reading"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSING_READER, str(marker), data, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: marker.exists() or proc.poll() is not None, 30, "the bulk read of the file")
        assert proc.poll() is None, proc.stderr.read()
        _assert_interrupted(*_interrupt(proc))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_huge_permutation_count_is_refused_or_runs_in_bounded_memory(tmp_path):
    p = ",".join(f"k{i}={1000 + i}" for i in range(200))
    q = ",".join(f"k{i}={1200 - i}" for i in range(200))
    r = run_measured(
        ["compare", p, q, "--permutations", "100000000", "--seed", "1"], max_rss_mb=1500, timeout=8, cwd=tmp_path
    )
    assert r.killed_for != "memory", f"{r.peak_rss_mb:.0f} MB"
    if r.killed_for is None:  # finished: fine, or refused with a clear message
        err = r.stderr.decode()
        assert "internal error" not in err and "Traceback" not in err, err
        assert r.returncode == 0 or (r.returncode == 2 and "--permutations" in err), err


# ---------------------------------------------------------------------------
# Point 6: profile -o writes atomically, even when really interrupted

# Runs kl-cli with every file it opens for writing in the output folder slowed
# down: the first write stops halfway, drops a marker and sleeps. A SIGINT sent
# then lands in the middle of writing the profile, whatever the writer's design.
PAUSING_WRITER = (
    PAUSING_PROXY
    + r"""
folder = target


class Paused(Proxy):
    _paused = False

    def write(self, data):
        if self._paused:
            return self._handle.write(data)
        self._paused = True
        half = len(data) // 2
        self._handle.write(data[:half])
        self._handle.flush()
        pause()
        return half + self._handle.write(data[half:])


def writing(mode):
    return any(c in str(mode) for c in "wax+")


def paused_open(file, mode="r", *args, **kwargs):
    handle = real_open(file, mode, *args, **kwargs)
    if writing(mode) and isinstance(file, (str, os.PathLike)) and os.path.dirname(os.path.abspath(file)) == folder:
        return Paused(handle)
    return handle


def paused_fdopen(fd, mode="r", *args, **kwargs):
    handle = real_fdopen(fd, mode, *args, **kwargs)
    return Paused(handle) if writing(mode) else handle


builtins.open = paused_open
os.fdopen = paused_fdopen
"""
    + RUN_KL_CLI
)


def _existing_profile(folder: Path, data: str) -> tuple[Path, bytes]:
    out = folder / "out.json"
    assert run("profile", data, "-o", str(out)).exit_code == 0
    return out, out.read_bytes()


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_profile_interrupted_while_writing_keeps_the_old_file(tmp_path):
    data = write_csv(tmp_path / "data.csv", ["x", "c"], [[i / 3, f"c{i % 7}"] for i in range(2000)])
    newer = write_csv(tmp_path / "newer.csv", ["x", "c"], [[i / 5, f"c{i % 9}"] for i in range(3000)])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, before = _existing_profile(out_dir, data)
    marker = tmp_path / "writing"
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSING_WRITER, str(marker), str(out_dir), "profile", newer, "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: marker.exists() or proc.poll() is not None, 30, "the profile to be written")
        assert proc.poll() is None, f"profile finished without writing into {out_dir}: {proc.stderr.read()!r}"
        rc, _, err = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 130, err
    assert b"Traceback" not in err
    assert out.read_bytes() == before  # the previous profile survives byte for byte
    assert _leftovers(out_dir, {"out.json"}) == []  # and no temporary file is left behind


def test_profile_interrupted_at_any_moment_never_leaves_a_broken_file(tmp_path):
    """Real SIGINTs, without any hook, aimed at the moment the new profile is
    being written (a new file appears next to out.json): each time out.json is
    the old profile or a complete new one, never a truncated mix, and no
    temporary file is left behind."""
    import random

    rng = random.Random(5)
    data = tmp_path / "large.csv"
    with data.open("w") as handle:
        handle.write("amount,region,sku\n")
        for i in range(100_000):
            handle.write(f"{rng.random() * 1000:.3f},r{i % 7},s{rng.randrange(100_000)}\n")
    small = write_csv(tmp_path / "small.csv", ["amount", "region", "sku"], [[1.5, "r1", "s1"], [2.5, "r2", "s2"]])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, before = _existing_profile(out_dir, small)
    outcomes = []
    for _ in range(3):
        proc = subprocess.Popen(
            [*KL, "profile", str(data), "-o", str(out), "--categorical", "sku"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            while proc.poll() is None and not _leftovers(out_dir, {"out.json"}):
                time.sleep(0.0005)
            rc, _, err = _interrupt(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert b"Traceback" not in err, err
        assert _leftovers(out_dir, {"out.json"}) == []
        now = out.read_bytes()
        outcomes.append(rc)
        if rc == 130:
            assert now == before
        else:
            assert rc == 0, err
            profile = json.loads(now)  # complete and valid
            assert profile["rows"] == 100_000 and profile["format"] == "kl-cli-profile"
            before = now
    # The temporary file's appearance is a window of several milliseconds (write,
    # fsync, rename): at least one signal lands in it.
    assert 130 in outcomes, outcomes


def _has_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in folder.iterdir())
    except OSError:
        return False


def test_profile_rewrite_keeps_the_file_mode(tmp_path):
    data = write_csv(tmp_path / "data.csv", ["c"], [["a"], ["b"]])
    out = tmp_path / "out.json"
    assert run("profile", data, "-o", str(out)).exit_code == 0  # an old profile (only those are replaced)
    out.chmod(0o644)
    assert run("profile", data, "-o", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o644
