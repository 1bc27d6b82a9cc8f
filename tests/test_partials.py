"""Partial counts merge to exactly the one-pass result, in any grouping of the chunks.

This is what makes ``--engine dask`` equal to ``--engine local``: each
partition is counted into a partial and the partials are merged. Checked here
in-process (no cluster) with hypothesis, against one pass over all the
values and against numpy's quantiles, in memory and through the bucket
histograms with their second pass.
"""

from __future__ import annotations

import copy
import io
import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kl_cli.core.binning as binning
from kl_cli.core.binning import NumericSummary
from kl_cli.profiles.build import LocalCounting, build_profile, count_against
from kl_cli.profiles.model import ProfileOptions
from kl_cli.profiles.partial import CurrentCounts, DatasetPartial, count_frames, first_pass, second_pass
from kl_cli.render.progress import ReadProgress, partitions_status

values = st.lists(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=True, width=64),
        st.sampled_from([0.0, -0.0, 1.0, 1.0, 2.5, -3.0]),  # ties
    ),
    min_size=1,
    max_size=120,
)


def _split(data: list[float], cuts: list[int]) -> list[np.ndarray]:
    """``data`` cut at the given places (sorted, possibly repeated: empty partitions)."""
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    return [np.asarray(data[a:b], dtype=np.float64) for a, b in itertools.pairwise(bounds)]


def _tree(items: list, merge, shape: list[int]):
    """Merge neighbours in an order ``shape`` chooses, as a cluster's tree may."""
    items = list(items)
    k = 0
    while len(items) > 1:
        i = shape[k % len(shape)] % (len(items) - 1) if shape else 0
        items[i : i + 2] = [merge(items[i], items[i + 1])]
        k += 1
    return items[0]


def _one_pass(parts: list[np.ndarray], bins: int, method: str):
    summary = NumericSummary()
    for part in parts:
        summary.add(part)
    if summary.needs_second_pass:
        summary.plan(bins, method)
        for part in parts:
            summary.add_detail(part)
    return summary.finish(bins, method)


def _partitioned(parts: list[np.ndarray], bins: int, method: str, shape: list[int]):
    partials = []
    for part in parts:
        s = NumericSummary()
        s.add(part)
        partials.append(s)
    merged = _tree(partials, lambda a, b: a.merged(b), shape)
    if merged.needs_second_pass:
        merged.plan(bins, method)
        details = []
        for part in parts:
            d = merged.planned()
            d.add_detail(part)
            details.append(pickle.loads(pickle.dumps(d)))  # as it travels
        merged.take_detail(_tree(details, lambda a, b: a.merged_detail(b), shape))
        assert merged.detail_matches()
    return merged.finish(bins, method)


@pytest.mark.parametrize("limit", [10**9, 7], ids=["in-memory", "histograms"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=values,
    cuts=st.lists(st.integers(0, 200), max_size=6),
    shape=st.lists(st.integers(0, 50), max_size=6),
    bins=st.integers(1, 12),
    method=st.sampled_from(["quantile", "uniform"]),
)
def test_merged_partials_give_the_one_pass_edges_and_counts(monkeypatch, limit, data, cuts, shape, bins, method):
    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", limit)
    parts = _split(data, cuts)
    if not np.isfinite(np.asarray(data)).any():
        return
    edges, counts = _one_pass(parts, bins, method)
    edges2, counts2 = _partitioned(parts, bins, method, shape)
    assert edges2.edges == edges.edges
    assert edges2.note == edges.note
    assert counts2.tolist() == counts.tolist()
    assert counts2.sum() == len(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=80), cuts=st.lists(st.integers(0, 100), max_size=4))
def test_merged_quantile_edges_are_numpys_quantiles(monkeypatch, data, cuts):
    """The independent reference: numpy's default (linear) quantiles, ties merged."""
    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 5)  # the histograms and the second pass
    edges, _ = _partitioned(_split(data, cuts), 4, "quantile", [1, 0])
    expected = np.unique(np.quantile(np.asarray(data) + 0.0, [0.25, 0.5, 0.75]))
    # numpy interpolates from the nearer end (a last-digit difference); ours from the lower
    np.testing.assert_allclose(np.asarray(edges.edges), expected, rtol=1e-12, atol=1e-300)


def test_merging_changes_neither_side(monkeypatch):
    """A cluster may hand one partial to a merge run again: merges are pure."""
    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 10)
    rng = np.random.default_rng(0)
    a, b = NumericSummary(), NumericSummary()
    a.add(rng.normal(size=8))
    b.add(rng.normal(size=8))  # together past the limit: both become histograms
    before = (copy.deepcopy(a.__dict__), copy.deepcopy(b.__dict__))
    merged = a.merged(b)
    assert merged.needs_second_pass and merged.n_finite == 16
    for side, state in zip((a, b), before):
        assert side.chunks is not None and len(side.chunks) == len(state["chunks"])
        assert all(np.array_equal(x, y) for x, y in zip(side.chunks, state["chunks"]))
        assert side.bucket_counts is None
    twice = merged.merged(merged)
    assert twice.n_finite == 32 and int(merged._histogram().sum()) == 16


def test_a_histogram_travels_sparse_and_arrives_whole(monkeypatch):
    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", 3)
    s = NumericSummary()
    s.add(np.array([1.0, 2.0, 3.0, 4.0, -7.5]))
    assert s.bucket_counts is not None
    wire = pickle.dumps(s)
    assert len(wire) < 2_000  # 2**20 dense int64 buckets would be 8 MiB
    back = pickle.loads(wire)
    assert np.array_equal(back.bucket_counts, s.bucket_counts)
    assert (back.n_finite, back.low, back.high) == (5, -7.5, 4.0)


def _frames(texts: list[str]) -> list[pd.DataFrame]:
    frames = []
    for text in texts:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        frame.attrs["kl_cli.text_cells"] = True
        frames.append(frame)
    return frames


class Partitioned:
    """A ``Counting`` that counts each frame as a partition and merges the partials
    in a tree, in process: the Dask engine's arithmetic without a cluster."""

    def __init__(self, frames: list[pd.DataFrame], shape: list[int]) -> None:
        self.frames, self.shape = frames, shape

    def _parts(self, read):
        for frame in self.frames:
            yield [frame if read is None else frame[[c for c in frame.columns if c in read]]]

    def first_pass(self, wanted, read=None) -> DatasetPartial:
        partials = [pickle.loads(pickle.dumps(first_pass(p, wanted))) for p in self._parts(read)]
        return _tree(partials, lambda a, b: a.merged(b), self.shape)

    def second_pass(self, planned):
        details = [second_pass(p, {n: s.planned() for n, s in planned.items()}) for p in self._parts(list(planned))]
        return _tree(details, lambda a, b: {n: s.merged_detail(b[n]) for n, s in a.items()}, self.shape)

    def count(self, kinds, source) -> CurrentCounts:
        counts = [count_frames(p, kinds, source) for p in self._parts(list(kinds))]
        return _tree(counts, lambda a, b: a.merged(b), self.shape)


TEXTS = [
    "x,k,t\n1.5,a,yes\n2,b,\n,a,no\n",
    "k,x\nc,3.25\na,-1\n",  # another column order, no t
    "x,k,t\n",  # no rows
    "x,k,t\n7,a,yes\n1e300,b,yes\n0,c,no\n4,a,\n",
]


@pytest.mark.parametrize("limit", [10**9, 2], ids=["in-memory", "second-pass"])
@pytest.mark.parametrize("shape", [[0], [1, 0], [2, 1, 0]])
def test_a_profile_and_current_counts_from_partials_equal_one_pass(monkeypatch, limit, shape):
    monkeypatch.setattr(binning, "IN_MEMORY_VALUES", limit)
    options = ProfileOptions(bins=3, numeric=("x",))
    frames = _frames(TEXTS)
    local = build_profile(LocalCounting(frames), options, ["ref"])
    partitioned = build_profile(Partitioned(frames, shape), options, ["ref"])
    assert partitioned.to_dict() == local.to_dict()
    assert local.columns["x"].type == "numeric" and local.columns["x"].rows == local.rows == 9
    assert local.columns["t"].counts[None] == 4  # three rows lack the column, one cell is empty
    current = _frames(TEXTS[::-1])
    assert count_against(Partitioned(current, shape), local, "cur") == count_against(
        LocalCounting(current), local, "cur"
    )


def test_the_partitions_bar_counts_done_of_total():
    assert partitions_status(5, 20, width=8) == "counting on the cluster [##------] 5 of 20 partitions (25%)"
    assert partitions_status(0, 0, width=4) == "counting on the cluster [####] 0 of 0 partitions (100%)"
    from rich.console import Console

    out = io.StringIO()
    progress = ReadProgress(Console(file=out, force_terminal=True, width=100))
    progress.DELAY = 0.0
    progress.partitions(3, 4)
    progress.__exit__(None, None, None)
    assert "3 of 4 partitions (75%)" in out.getvalue()
    assert "#" * 18 in out.getvalue()
