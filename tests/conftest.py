"""Shared fixtures for the kl-cli test suite.

The CLI is driven through ``click.testing.CliRunner`` (click >= 8.2 keeps
stdout and stderr apart). Helpers are fixtures rather than importable
functions so that every test module gets them without a ``tests`` package.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
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
