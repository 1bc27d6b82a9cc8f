"""Helpers shared by the test modules: ``from helpers import run, strict_json, ...``.

``tests/`` has no ``__init__.py``, so pytest's default ("prepend") import mode
puts this folder on ``sys.path`` before it imports a test module or
``conftest.py``; that is what makes ``import helpers`` work. Fixtures and the
hypothesis profiles stay in ``conftest.py``; everything here is a plain
function or class, usable from hypothesis tests and module-level code alike.

The CLI is driven through ``click.testing.CliRunner`` (click >= 8.2 keeps
stdout and stderr apart) and its group's ``main()``, so exit codes are the
real ones.
"""

from __future__ import annotations

import collections.abc
import contextlib
import csv
import json
import math
import os
import signal
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kl_cli.cli import cli

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"

# The known pair: KL(P||Q) and KL(Q||P) of P = (0.7, 0.3) and Q = (0.4, 0.6), in nats.
KL_PQ = 0.7 * math.log(0.7 / 0.4) + 0.3 * math.log(0.3 / 0.6)
KL_QP = 0.4 * math.log(0.4 / 0.7) + 0.6 * math.log(0.6 / 0.3)

METRIC_IDS = (
    "kl_pq",
    "kl_qp",
    "js_divergence",
    "js_distance",
    "jeffreys",
    "cross_entropy_pq",
    "cross_entropy_qp",
    "entropy_p",
    "entropy_q",
    "total_variation",
    "hellinger",
)


# ---------------------------------------------------------------------------
# Running the CLI and reading what it printed


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """``kl-cli ARGS`` in-process, through a fresh ``CliRunner``."""
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def strict_json(text: str) -> Any:
    """Parse RFC 8259 JSON: a NaN/Infinity token fails the test."""

    def reject(token: str) -> Any:
        pytest.fail(f"non-standard JSON constant {token!r} in output")

    return json.loads(text, parse_constant=reject)


def describe(result: Result) -> str:
    """A CLI result's exit status, stdout, stderr and exception, for assertion messages."""
    return (
        f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
        f"--- exc {result.exception!r}"
    )


def assert_one_line_error(result: Result, needles: Sequence[str] = (), code: int = 2) -> str:
    """Exit ``code``, nothing on stdout, exactly one 'kl-cli: error:' line on stderr; return that line.

    Every needle must occur in the line (case-sensitive).
    """
    assert result.exit_code == code, describe(result)
    assert result.stdout == "", describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, describe(result)
    line = lines[0]
    assert line.startswith("kl-cli: error:"), describe(result)
    for needle in needles:
        assert needle in line, f"{needle!r} not in error line {line!r}"
    return line


def error_line(result: Result) -> str:
    """The one 'kl-cli: error:' line on stderr (surrounding white space aside), no traceback.

    Looser than ``assert_one_line_error``: neither the exit status nor stdout is checked.
    """
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kl-cli: error:"), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def by_label(report: dict) -> dict[str, tuple[float, float]]:
    """A compare report's categories as ``{label: (p, q)}``."""
    return {c["label"]: (c["p"], c["q"]) for c in report["categories"]}


def profile_counts(column: dict) -> dict[str, float]:
    """A profile column's counts with its missing cells under "(missing)" (profile
    format 2 keeps them apart, as "missing"; no column in these tests holds a
    real "(missing)" cell)."""
    counts = dict(column["counts"])
    if "missing" in column:
        counts["(missing)"] = column["missing"]
    return counts


def by_column(report: dict) -> dict[str, dict]:
    """A drift report's columns by name."""
    return {c["column"]: c for c in report["columns"]}


def unescaped_pipes(line: str) -> int:
    """The | separators of a markdown table row, not counting escaped ones (\\|)."""
    count, i = 0, 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        count += line[i] == "|"
        i += 1
    return count


class Kl:
    """``kl-cli compare`` with the checks most compare tests want (the ``kl`` fixture)."""

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        """``kl-cli compare ARGS``."""
        return run("compare", *args, input=input, env=env)

    def run_raw(self, args: Sequence[str], input: str | bytes | None = None) -> Result:
        """``kl-cli ARGS`` (no implied ``compare``)."""
        return run(*args, input=input)

    def ok(self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
        """Run and require exit status 0 with no traceback anywhere."""
        result = self.run(*args, input=input, env=env)
        assert result.exit_code == 0, describe(result)
        assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str, input: str | bytes | None = None) -> dict[str, Any]:
        """Run with ``--format json``, require exit 0, parse stdout strictly."""
        return self.report(*args, input=input)[1]

    def report(self, *args: str, input: str | bytes | None = None) -> tuple[Result, dict[str, Any]]:
        """Like ``json`` but also return the result (for stderr)."""
        result = self.ok(*args, "--format", "json", input=input)
        data = strict_json(result.stdout)
        assert isinstance(data, dict)
        return result, data

    def value(self, *args: str, input: str | bytes | None = None) -> float:
        """Run with ``--format value`` and return the number printed."""
        result = self.ok(*args, "--format", "value", input=input)
        return float(result.stdout)

    def error(self, *args: str, needles: Sequence[str] = (), input: str | bytes | None = None) -> str:
        """Run, require exit 2 and one clean error line; return that line."""
        return assert_one_line_error(self.run(*args, input=input), needles)


# ---------------------------------------------------------------------------
# Writing input files


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> str:
    """Write ``header`` and ``rows`` as CSV to ``path``; return the path as a string."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


# ---------------------------------------------------------------------------
# Hardening helpers (fuzzing, nasty files, real processes)


class TimedOut(BaseException):
    """Raised by ``time_limit`` in the main thread. A BaseException, so the
    CLI's own ``except Exception`` cannot turn a hang into an exit status."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "the command") -> collections.abc.Iterator[None]:
    """Fail the test (instead of hanging the suite) when the body runs longer
    than ``seconds``. SIGALRM interrupts blocking calls such as opening a FIFO."""

    def alarm(signum: int, frame: Any) -> None:
        raise TimedOut

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimedOut:
        pytest.fail(f"{what} hung: still running after {seconds:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Characters that must never reach a terminal raw (newline aside): C0/C1
# controls, format characters such as bidi overrides, line/paragraph separators.
RAW_UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def raw_controls(text: str, allowed: str = "\n") -> list[str]:
    """The unsafe characters in ``text`` (as their escapes), for assertions."""
    return sorted(
        {
            ch.encode("unicode_escape").decode()
            for ch in text
            if ch not in allowed and unicodedata.category(ch) in RAW_UNSAFE
        }
    )


@dataclass
class ChildRun:
    """A finished ``python -m kl_cli`` run with its peak memory."""

    returncode: int
    stdout: bytes
    stderr: bytes
    peak_rss_mb: float
    killed_for: str | None  # "memory" or "time" when the watchdog stopped it
    seconds: float


def run_measured(
    args: Sequence[str], *, max_rss_mb: float, timeout: float, cwd: str | Path | None = None, stdin: Any = None
) -> ChildRun:
    """Run ``python -m kl_cli ARGS`` (``stdin``: a file or pipe to read) and
    measure its peak RSS with ``os.wait4``.

    A watchdog thread kills the child as soon as its resident memory passes
    ``max_rss_mb`` or it runs longer than ``timeout`` seconds, so a memory
    blow-up fails fast instead of swapping the machine or stalling the suite.
    """
    import subprocess
    import sys
    import tempfile
    import threading
    import time

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "kl_cli", *args], stdin=stdin, stdout=out, stderr=err, cwd=cwd)
        killed: list[str] = []
        done = threading.Event()

        def watchdog() -> None:
            status = Path(f"/proc/{proc.pid}/status")
            while not done.wait(0.05):
                if time.monotonic() - start > timeout:
                    killed.append("time")
                elif _rss_mb(status) > max_rss_mb:
                    killed.append("memory")
                else:
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                return

        thread = threading.Thread(target=watchdog, daemon=True)
        thread.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        thread.join()
        proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping twice
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return ChildRun(
            proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024, killed[0] if killed else None, seconds
        )


def run_measured_fed(args: Sequence[str], producer: Sequence[str], *, max_rss_mb: float, timeout: float) -> ChildRun:
    """``run_measured(args)`` with standard input fed by ``python -c PRODUCER...``
    (``producer`` is the code and its arguments); the producer is stopped
    at the end, so an endless one never outlives the run."""
    import subprocess
    import sys

    feeder = subprocess.Popen([sys.executable, "-c", *producer], stdout=subprocess.PIPE)
    try:
        return run_measured(args, max_rss_mb=max_rss_mb, timeout=timeout, stdin=feeder.stdout)
    finally:
        feeder.kill()
        feeder.wait(60)
        feeder.stdout.close()


def _rss_mb(status: Path) -> float:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


# ---------------------------------------------------------------------------
# Watching a running child process (Linux /proc)


def process_rss_mb(pid: int) -> float:
    """Resident memory of a running process in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a running process, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(predicate: collections.abc.Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


# ---------------------------------------------------------------------------
# Exact references


def exact_smoothed(w: list[Fraction], method: str, parameter: float | None) -> list[Fraction]:
    """The probabilities of weights ``w`` after kl-cli's smoothing, in exact rationals."""
    k, total = len(w), sum(w)
    if method == "additive":
        a = Fraction(parameter)
        return [(x + a) / (total + k * a) for x in w]
    p = [x / total for x in w]
    if method == "epsilon":
        e = Fraction(parameter)
        p = [e if x == 0 else x for x in p]
        s = sum(p)
        return [x / s for x in p]
    if method == "mix":
        lam = Fraction(parameter)
        return [(1 - lam) * x + lam / k for x in p]
    return p
