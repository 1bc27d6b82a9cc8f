"""Fixtures and hypothesis profiles for the kl-cli test suite.

The shared helpers (running the CLI, strict JSON, the one-line-error check,
file writers, time limits, measured child processes) live in ``helpers.py``
beside this file: ``from helpers import run, strict_json, ...``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import REPO, Kl
from hypothesis import HealthCheck, settings

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


@pytest.fixture(autouse=True)
def _no_job_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """drift --format github appends to the file GITHUB_STEP_SUMMARY names: a
    suite run inside GitHub Actions must not write into its own job summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def kl() -> Kl:
    """``kl-cli compare`` with checks: ``kl.json(P, Q)``, ``kl.value``, ``kl.error``..."""
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
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the repository's root, so ``sample_data/...`` paths (and the
    source names the reports print) are the same relative words everywhere."""
    monkeypatch.chdir(REPO)


from known_defects import pytest_collection_modifyitems  # noqa: E402, F401 - the hook, in one place


@pytest.fixture(scope="session")
def dask_cluster():
    """One distributed.LocalCluster of two worker processes for the whole run
    (the Dask engine's tests pass its ``scheduler_address`` as --scheduler)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster
