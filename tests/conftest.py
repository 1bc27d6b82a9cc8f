"""Shared fixtures for the kl-cli test suite.

The CLI is driven through ``click.testing.CliRunner`` (click >= 8.2 keeps
stdout and stderr apart). Helpers are fixtures rather than importable
functions so that every test module gets them without a ``tests`` package.
"""

from __future__ import annotations

import collections.abc
import contextlib
import json
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from kl_cli.cli import cli

# One profile for local runs and CI alike: deterministic (derandomize) so a
# failure reproduces, no deadline (the first numpy call can be slow), and few
# enough examples that the whole suite stays well under a minute.
settings.register_profile(
    "kl-cli",
    deadline=None,
    max_examples=200,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("kl-cli"), max_examples=5000, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "kl-cli"))

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

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"


def strict_json(text: str) -> Any:
    """Parse RFC 8259 JSON: a NaN/Infinity token fails the test."""

    def reject(token: str) -> Any:
        pytest.fail(f"non-standard JSON constant {token!r} in output")

    return json.loads(text, parse_constant=reject)


class Kl:
    """A thin wrapper around ``CliRunner`` for ``kl-cli compare``."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def run(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        """``kl-cli compare ARGS`` through the group's ``main()`` (so exit codes are the real ones)."""
        return self.runner.invoke(cli, ["compare", *args], input=input, env=env)

    def run_raw(self, args: Sequence[str], input: str | bytes | None = None) -> Result:
        """``kl-cli ARGS`` (no implied ``compare``)."""
        return self.runner.invoke(cli, list(args), input=input)

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
        """Run, require exit 2 and one clean error line; return that line.

        Every needle must occur in the line (case-sensitive).
        """
        result = self.run(*args, input=input)
        return assert_one_line_error(result, needles)


def describe(result: Result) -> str:
    return (
        f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}\n"
        f"--- exc {result.exception!r}"
    )


def assert_one_line_error(result: Result, needles: Sequence[str] = (), code: int = 2) -> str:
    """Exit ``code``, nothing on stdout, exactly one 'kl-cli: error:' line on stderr."""
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


@pytest.fixture
def kl() -> Kl:
    return Kl()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], str]:
    """Write a file under tmp_path (text is written byte-exact as UTF-8) and return its path."""

    def _write(name: str, content: str | bytes) -> str:
        path = tmp_path / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        return str(path)

    return _write


@pytest.fixture
def one_line_error() -> Callable[..., str]:
    return assert_one_line_error


@pytest.fixture(name="strict_json")
def strict_json_fixture() -> Callable[[str], Any]:
    return strict_json


# ---------------------------------------------------------------------------
# Hardening helpers (fuzzing, nasty files, real processes)

# The fuzz suite's profile: the same deterministic settings and an example count
# that keeps the fuzz file well under a minute (each example is a whole CLI run).
# For a longer local hunt, KL_CLI_FUZZ_EXAMPLES raises the count and
# KL_CLI_FUZZ_RANDOM=1 draws new examples on every run.
settings.register_profile(
    "kl-cli-fuzz",
    parent=settings.get_profile("kl-cli"),
    derandomize=not os.environ.get("KL_CLI_FUZZ_RANDOM"),
    max_examples=int(os.environ.get("KL_CLI_FUZZ_EXAMPLES", "200")),
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)


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
        {ch.encode("unicode_escape").decode() for ch in text if ch not in allowed and _category(ch) in RAW_UNSAFE}
    )


def _category(ch: str) -> str:
    import unicodedata

    return unicodedata.category(ch)


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


def _rss_mb(status: Path) -> float:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


@pytest.fixture(scope="session")
def tools() -> SimpleNamespace:
    """The helpers above and the shared assertions, for tests (hypothesis ones
    included) that cannot use function-scoped fixtures."""
    return SimpleNamespace(
        strict_json=strict_json,
        describe=describe,
        one_line_error=assert_one_line_error,
        time_limit=time_limit,
        raw_controls=raw_controls,
        run_measured=run_measured,
    )


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
