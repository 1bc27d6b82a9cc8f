"""The refactors after the review of issue #12, through the CLI.

- compare recognizes a distribution file in the one read of each path's head
  (``inputs.sides.open_side``): every path input is opened as a source, and
  its head read, exactly once, whichever way it is then read; a small JSON
  file is read once in all. A document larger than the head is still read
  whole to see whether it names a family.
- the parametric and nearest-neighbour reports share one JSON shape.
"""

from __future__ import annotations

import collections
import gzip
import json
import math

import numpy as np
import pytest
from helpers import run, strict_json, write_csv

from kl_cli.inputs import source as source_module
from kl_cli.inputs.source import HEAD_BYTES


@pytest.fixture
def reads(monkeypatch):
    """Counts, per path, the sources built (each reads its head) and the reads from the start of the content."""
    built: collections.Counter[str] = collections.Counter()
    opened: collections.Counter[str] = collections.Counter()
    real_head, real_reading = source_module.Source._read_head, source_module.Source.reading

    def read_head(self):
        built[self.spec] += 1
        return real_head(self)

    def reading(self):
        opened[self.spec] += 1
        return real_reading(self)

    monkeypatch.setattr(source_module.Source, "_read_head", read_head)
    monkeypatch.setattr(source_module.Source, "reading", reading)
    return built, opened


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    rng = np.random.default_rng(12)

    def vectors(name: str, mean: float, n: int) -> str:
        rows = [[f"{u:.5f}", f"{w:.5f}"] for u, w in rng.normal(mean, 1, (n, 2))]
        return write_csv(folder / name, ["x", "y"], rows)

    paths = {
        "a": write_csv(folder / "a.csv", ["x"], [[f"{v:.6f}"] for v in rng.normal(0, 1, 200)]),
        "b": write_csv(folder / "b.csv", ["x"], [[f"{v:.6f}"] for v in rng.normal(0.5, 1.2, 150)]),
        "v1": vectors("v1.csv", 0, 120),
        "v2": vectors("v2.csv", 1, 130),
        "cp": write_csv(folder / "cp.csv", ["label", "value"], [["a", 10], ["b", 20], ["c", 5]]),
        "cq": write_csv(folder / "cq.csv", ["label", "value"], [["a", 12], ["b", 15], ["c", 9]]),
    }
    for key, value in {
        "normal": {"family": "normal", "mu": 0, "sigma": 1},
        "gamma": {"family": "gamma", "parameters": {"shape": 2, "rate": 3}},
        "hp": {"a": 10, "b": 20, "c": 5},
        "hq": {"a": 12, "b": 15, "c": 9},
        "pair": {"p": {"a": 10, "b": 20, "c": 5}, "q": {"a": 12, "b": 15, "c": 9}},
    }.items():
        path = folder / f"{key}.json"
        path.write_text(json.dumps(value))
        paths[key] = str(path)
    return paths


ROUTES = {
    "counts from two tables": (["cp", "cq"], []),
    "counts from two JSON documents": (["hp", "hq"], []),
    "one JSON file holding both": (["pair"], []),
    "inline and a table": (["=a=10,b=20,c=5", "cq"], []),
    "binned observations": (["a", "b"], ["--samples", "--bins", "5"]),
    "observations against a model file": (["a", "normal"], ["--samples", "--bins", "5"]),
    "a model file against observations": (["normal", "b"], ["--samples", "--bins", "5"]),
    "nearest neighbours": (["a", "b"], ["--samples", "--estimator", "knn"]),
    "nearest neighbours against a model file": (["a", "normal"], ["--samples", "--estimator", "knn"]),
    "nearest neighbours of vectors": (["v1", "v2"], ["--samples", "--estimator", "knn", "--columns", "x,y"]),
    "two model files": (["normal", "gamma"], []),
    "counts with a stated format": (["cp", "cq"], ["--input-format", "csv"]),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_path_input_is_opened_and_its_head_read_once(files, reads, route):
    sides, options = ROUTES[route]
    words = [w[1:] if w.startswith("=") else files[w] for w in sides]
    result = run("compare", *words, *options, "--format", "json")
    assert result.exit_code == 0, result.stderr
    strict_json(result.stdout)
    built, opened = reads
    paths = [files[w] for w in sides if not w.startswith("=")]
    assert dict(built) == dict.fromkeys(paths, 1)
    for path in paths:
        if path.endswith(".json"):  # the document is its head: no second read
            assert opened[path] == 1, (path, opened)


def _isotropic_kl(d: int, mu: float, s_p: float, s_q: float) -> float:
    """KL(N(0, s_p I) || N(mu 1, s_q I)) in d dimensions (variances s_p, s_q)."""
    return 0.5 * d * (s_p / s_q + mu * mu / s_q - 1 - math.log(s_p / s_q))


def test_a_distribution_larger_than_the_head_naming_its_family_last_is_still_one(tmp_path, reads):
    d = 130
    for name, mean, var in (("p", 0.0, 1.0), ("q", 0.1, 1.5)):
        cov = [[var if i == j else 0.0 for j in range(d)] for i in range(d)]
        (tmp_path / f"{name}.json").write_text(json.dumps({"mean": [mean] * d, "cov": cov, "family": "mvnormal"}))
    p, q = str(tmp_path / "p.json"), str(tmp_path / "q.json")
    assert (tmp_path / "p.json").stat().st_size > HEAD_BYTES
    assert b'"family"' not in (tmp_path / "p.json").read_bytes()[:HEAD_BYTES]
    report = strict_json(run("compare", p, q, "--format", "json").stdout)
    assert report["p_distribution"]["family"] == "mvnormal"
    assert report["metrics"]["kl_pq"] == pytest.approx(_isotropic_kl(d, 0.1, 1.0, 1.5), rel=1e-10)
    built, opened = reads
    assert dict(built) == {p: 1, q: 1}
    assert dict(opened) == {p: 2, q: 2}  # the head, then the whole document, once


def test_a_compressed_distribution_file_is_the_same_as_on_the_command_line(tmp_path, reads):
    path = tmp_path / "prior.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"family": "normal", "mu": 0, "sigma": 1}).encode()))
    a = strict_json(run("compare", "normal(0.3, 0.8)", str(path), "--format", "json").stdout)
    b = strict_json(run("compare", "normal(0.3, 0.8)", "normal(0, 1)", "--format", "json").stdout)
    assert a["metrics"] == b["metrics"]
    assert a["metrics"]["kl_pq"] == pytest.approx(math.log(1 / 0.8) + (0.8**2 + 0.3**2) / 2 - 0.5, rel=1e-14)
    assert reads[0][str(path)] == 1


def test_a_json_document_without_a_family_is_data_read_once(tmp_path, reads):
    path = tmp_path / "counts.json"
    path.write_text(json.dumps({"family": 3, "friends": 1}))  # the key, not a name: an error, as before
    result = run("compare", str(path), "family=1,friends=1")
    assert result.exit_code == 2 and "family must be a name" in result.stderr
    path.write_text(json.dumps({"families": 3, "friends": 1}))
    report = strict_json(run("compare", str(path), "families=1,friends=1", "--format", "json").stdout)
    want = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert report["metrics"]["kl_pq"] == pytest.approx(want, rel=1e-14)
    assert reads[0][str(path)] == 2 and reads[1][str(path)] == 2  # once per run


def test_the_parametric_and_nearest_neighbour_reports_share_one_shape(files):
    parametric = strict_json(run("compare", "normal(0,1)", "normal(1,2)", "--format", "json").stdout)
    knn_args = [files["a"], files["b"], "--samples", "--estimator", "knn"]
    knn = strict_json(run("compare", *knn_args, "--format", "json").stdout)
    compare = strict_json(run("compare", files["cp"], files["cq"], "--format", "json").stdout)
    assert [k for k in knn if k != "estimator"] == list(parametric)
    assert [k for k in parametric if k in compare] == list(compare)  # compare's keys, in compare's order
    for report in (parametric, knn):
        assert list(report["metrics"]) == list(compare["metrics"])
        assert set(report["methods"]) | set(report["not_estimated"]) == set(compare["metrics"])
