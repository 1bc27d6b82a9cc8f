"""Golden outputs: the ``table`` and ``markdown`` reports of a few sample runs,
pinned to files under ``tests/golden/`` (``<case>.<format>.txt``).

The runs go through CliRunner from the repository's root (so the source
names in the reports are the relative ``sample_data/...`` paths) with
``COLUMNS=100``, ``TERM=dumb`` and ``NO_COLOR=1`` (and ``FORCE_COLOR``
removed): rich then lays the table out at 100 columns in plain text, the
same on every machine.

A report that changes on purpose is re-recorded with::

    KL_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py

which rewrites the files instead of comparing (each test then reports itself
skipped, naming the file it wrote); review the change with ``git diff
tests/golden`` before committing. A report that differs from its file fails
with a unified diff (golden file first, then the output); a missing golden
file fails with the command above.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from helpers import REPO, describe, run

GOLDEN = Path(__file__).resolve().parent / "golden"
WIDTH = 100
# Plain text at a fixed width; FORCE_COLOR (None: unset for the run) would make rich colour a non-terminal.
ENV = {"COLUMNS": str(WIDTH), "TERM": "dumb", "NO_COLOR": "1", "FORCE_COLOR": None}
UPDATE = os.environ.get("KL_UPDATE_GOLDEN") == "1"

# case -> (arguments, expected exit status)
CASES: dict[str, tuple[list[str], int]] = {
    "compare_forecast": (["compare", "sample_data/forecast.csv", "sample_data/observed.csv"], 0),
    # P puts 0.07 on snow and 0.03 on fog where Q puts 0: KL(P||Q) itself is infinite
    # (the other way round, with the no-fog forecast as P, only KL(Q||P) is).
    "compare_infinite": (["compare", "sample_data/forecast.csv", "sample_data/forecast_no_fog.json"], 0),
    "compare_resampled": (
        [
            "compare",
            "sun=12,cloud=8,rain=6,snow=2",
            "sun=9,cloud=9,rain=9,snow=5",
            "--permutations",
            "999",
            "--bootstrap",
            "500",
            "--seed",
            "1",
        ],
        0,
    ),
    # Two parametric distributions: methods, the picture of both densities, the continuous explanation.
    "compare_normals": (["compare", "normal(0, 1)", "normal(1, 2)"], 0),
    "compare_discrete_models": (["compare", "poisson(3)", "geometric(p=0.3)"], 0),
    # Both sides from one table, named by their columns; --fail-above's verdict closes the report.
    "compare_word_counts": (
        [
            "compare",
            "sample_data/word_counts.tsv",
            "--p-column",
            "speeches_2019",
            "--q-column",
            "speeches_2023",
            "--fail-above",
            "0.1",
        ],
        1,
    ),
    # Observations binned against a model: the bins from low to high, not by contribution.
    "compare_binned": (["compare", "sample_data/latency_ms.csv", "lognormal(4, 0.5)", "--samples"], 0),
    "drift_sample": (["drift", "sample_data/reference.csv", "sample_data/current.csv"], 1),
    "drift_region": (["drift", "sample_data/reference.csv", "sample_data/current.csv", "--detail", "region"], 1),
}
FORMATS = ("table", "markdown")


def report(args: list[str], fmt: str, code: int) -> str:
    result = run(*args, "--format", fmt, env=ENV)
    assert result.exit_code == code, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    return result.stdout


pytestmark = pytest.mark.usefixtures("at_repo_root")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(CASES))
def test_report_matches_the_golden_file(case: str, fmt: str) -> None:
    args, code = CASES[case]
    text = report(args, fmt, code)
    path = GOLDEN / f"{case}.{fmt}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        pytest.skip(f"KL_UPDATE_GOLDEN=1: wrote {path.relative_to(REPO)}")
    if not path.exists():
        pytest.fail(
            f"golden file {path.relative_to(REPO)} is missing: create it with "
            "KL_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py, then review and commit it"
        )
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path.relative_to(REPO)), "output"
        )
        pytest.fail(
            f"the {fmt} report of {case} differs from its golden file (if on purpose, re-record it with "
            f"KL_UPDATE_GOLDEN=1):\n{''.join(diff)}",
            pytrace=False,
        )


@pytest.mark.parametrize("case", list(CASES))
def test_the_table_is_laid_out_at_the_fixed_width(case: str) -> None:
    """COLUMNS reaches rich under CliRunner: without it rich lays a non-terminal
    out at 80 columns, so a line past 80 (and none past 100) shows that the
    golden files really are the 100-column layout."""
    args, code = CASES[case]
    widest = max(len(line) for line in report(args, "table", code).splitlines())
    assert 80 < widest <= WIDTH, widest
