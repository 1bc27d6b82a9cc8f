"""The benchmark harness runs end to end at tiny sizes, so it cannot rot.

Nothing here is about speed: the quick sizes are far too small for any
ratio to mean anything, and a shared CI machine is no place to time things.
It checks that every scenario runs (or says why it was skipped), that the
report has its table and checks, and that no generated data is left behind.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
HEADER = (
    "| scenario | kl-cli median (s) | baseline | baseline median (s) | ratio | target | met? "
    "| kl-cli peak MB | baseline peak MB |"
)
# (first words of the scenario cell, words of the baseline cell, optional module)
ROWS = [
    ("startup", "import numpy, click, rich.console", None),
    ("measures", "scipy", "scipy"),
    ("measures", "floor", None),
    ("compare", "minimal pandas", None),
    ("compare", "DuckDB", "duckdb"),
    ("compare", "polars", "polars"),
    ("drift:", "DuckDB", "duckdb"),
    ("drift peer", "Evidently", "evidently"),
    ("memory", "profile", None),
    ("sampled", "pandas", None),
    ("html:", "--format json", None),
]


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict, Path]:
    tmp = tmp_path_factory.mktemp("bench")
    raw = tmp / "raw.json"
    scratch = tmp / "scratch"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(raw)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, json.loads(raw.read_text()), scratch


def test_report_has_the_table_and_every_scenario_row(quick):
    proc, _, _ = quick
    lines = proc.stdout.splitlines()
    assert HEADER in lines
    rows = [line for line in lines if line.startswith("| ") and line != HEADER]
    for scenario, baseline, module in ROWS:
        match = [r for r in rows if r.startswith(f"| {scenario}") and baseline in r]
        assert match, f"no row for {scenario} / {baseline}"
        if module is not None and not installed(module):
            assert "skipped" in match[0] or "not installed" in match[0], match[0]


def test_report_names_the_machine_and_the_checks(quick):
    out = quick[0].stdout
    for fact in ("machine:", "CPUs", "numpy", "pandas", "Checks:"):
        assert fact in out
    assert "startup, inline input" in out
    assert "memory: profile of" in out
    if installed("scipy"):
        assert "measures: relative difference from scipy" in out


def test_raw_json_has_every_run(quick):
    _, raw, _ = quick
    assert raw["mode"] == "quick"
    assert {"platform", "cpu_count", "python", "versions"} <= set(raw["machine"])
    for row in raw["rows"]:
        assert row["kl_cli_runs"], row["scenario"]
        assert all(r["wall_s"] > 0 and r["exit"] in (0, 1) for r in row["kl_cli_runs"])
        if not row["skipped"]:
            assert row["baseline_runs"], row["scenario"]
            assert not row["failures"], row["failures"]


def test_generated_data_is_deleted(quick):
    scratch = quick[2]
    assert not [p for p in scratch.iterdir() if p.name.startswith("kl-cli-bench-")]


def test_unknown_scenario_is_a_usage_error():
    proc = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--only", "nope"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "unknown scenario" in proc.stderr


def test_the_dask_group_checks_equality_memory_and_costs(quick):
    """The dask group (issue 15) at its quick size: both Dask runs checked
    against the local profile, each worker's peak on fresh clusters for 1x
    and 2x the rows, and the costs the README's scaling note is built from."""
    if not installed("distributed"):
        pytest.skip("distributed is not installed")
    proc, raw, _ = quick
    out = proc.stdout
    for who in ("kl-cli dask", "kl-cli dask --workers 2"):
        assert f"dask: {who}: profile JSON equals `--engine local`'s apart from" in out
    assert "**FAIL**" not in out
    assert len([r for r in raw["rows"] if r["scenario"].startswith("dask")]) == 3
    memory = raw["dask"]["memory"]
    assert (memory["1x"]["rows"], memory["2x"]["rows"]) == (100_000, 200_000)
    assert all(len(memory[k]["peak_mb"]) == 2 for k in ("1x", "2x"))
    costs = raw["dask"]["costs"]
    assert costs["partition_rows"] > 0 and costs["dataset_partitions"] > 0
    assert costs["partial_pickle_bytes"] > costs["histogram_pickle_bytes"] > 0
    assert costs["binned_columns"] == ["latency", "amount"]


def test_the_dask_group_says_fail_when_the_profiles_differ(tmp_path):
    """A Dask profile that differs from the local one (or lacks its engine)
    is reported as FAIL, never as OK."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import run as bench
    finally:
        sys.path.pop(0)
    local = {"format": "kl-cli-profile", "engine": "local", "sources": ["a"], "rows": 2, "columns": {"x": {"n": 1}}}
    docs = {
        "local.json": local,
        "same.json": {**local, "engine": "dask", "sources": ["b"]},
        "differs.json": {**local, "engine": "dask", "columns": {"x": {"n": 2}}},
        "no-engine.json": {k: v for k, v in local.items() if k != "engine"},
    }
    for name, doc in docs.items():
        (tmp_path / name).write_text(json.dumps(doc))
    runner = bench.Bench(argparse.Namespace(quick=True, repeat=None, only=["dask"]), str(tmp_path))
    assert runner.same_profile("local.json", "same.json").endswith(": OK")
    differs = runner.same_profile("local.json", "differs.json")
    assert differs.startswith("**FAIL**") and "columns x" in differs
    assert runner.same_profile("local.json", "no-engine.json").startswith("**FAIL**")
