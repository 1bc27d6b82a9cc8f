"""kl-cli drift and kl-cli profile, driven through the CLI as a CI job would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import SAMPLE_DATA, by_column, error_line, run, strict_json, write_csv

from kl_cli.cli import cli

REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
DRIFTED = {"plan", "basket_value", "channel"}
STABLE = {"region", "age", "rating"}


# ---------------------------------------------------------------------------
# Verdicts on the sample data


def test_known_drift_is_flagged_and_stable_columns_are_not():
    result = run("drift", REFERENCE, CURRENT, "--format", "json")
    assert result.exit_code == 1, result.stderr
    report = strict_json(result.stdout)
    cols = by_column(report)
    assert {c for c, v in cols.items() if v["drifted"]} == DRIFTED
    for name in STABLE:
        assert cols[name]["drifted"] is False
        assert cols[name]["value"] < 0.1
    assert report["drift_detected"] is True
    assert sorted(report["drifted_columns"]) == sorted(DRIFTED)
    assert report["total_columns"] == 6
    assert cols["order_id"]["type"] == "skipped" and "identifier" in cols["order_id"]["skipped"]
    assert cols["age"]["type"] == "numeric" and "distinct" in cols["age"]["typed_by"]
    assert cols["rating"]["type"] == "categorical"


def test_no_drift_exits_zero_and_table_has_verdict():
    result = run("drift", REFERENCE, CURRENT, "--columns", "region,age,rating")
    assert result.exit_code == 0, result.stderr
    assert "0 of 3 columns drifted" in result.stdout
    assert "no drift" in result.stdout


def test_table_shows_one_row_per_column_and_top_change():
    result = run("drift", REFERENCE, CURRENT)
    assert result.exit_code == 1
    out = result.stdout
    assert "3 of 6 columns drifted" in out
    assert "enterprise: 0% → " in out
    for name in DRIFTED | STABLE:
        assert name in out


def test_max_drift_share():
    # 3 of 6 drifted: a share of 0.5 is reached, 0.6 is not.
    assert run("drift", REFERENCE, CURRENT, "--max-drift-share", "0.5").exit_code == 1
    assert run("drift", REFERENCE, CURRENT, "--max-drift-share", "0.6").exit_code == 0


def test_threshold_and_metric_choice():
    report = strict_json(run("drift", REFERENCE, CURRENT, "--metric", "hellinger", "--format", "json").stdout)
    cols = by_column(report)
    assert report["metric"] == "hellinger"
    assert cols["plan"]["value"] == pytest.approx(cols["plan"]["metrics"]["hellinger"])
    result = run("drift", REFERENCE, CURRENT, "--threshold", "0.9")
    assert result.exit_code == 0


def test_every_metric_reported_for_every_column():
    report = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    for col in report["columns"]:
        if col["type"] == "skipped":
            continue
        assert set(col["metrics"]) >= {"kl_pq", "kl_qp", "js_divergence", "js_distance", "hellinger"}
    # plan has a new category, so KL(current||reference) is infinite and reported as null
    plan = by_column(report)["plan"]
    assert plan["metrics"]["kl_qp"] is None and "kl_qp" in plan["infinite"]
    assert plan["new_in_current"] == ["enterprise"]


# ---------------------------------------------------------------------------
# Profiles


def test_profile_round_trip_equals_direct_run(tmp_path):
    prof = tmp_path / "ref.profile.json"
    made = run("profile", REFERENCE, "-o", str(prof))
    assert made.exit_code == 0, made.stderr
    direct = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    via = strict_json(run("drift", str(prof), CURRENT, "--format", "json").stdout)
    direct.pop("reference")
    via.pop("reference")
    assert direct == via


def test_committed_sample_profile_matches_reference_data(tmp_path):
    prof = tmp_path / "p.json"
    run("profile", REFERENCE, "-o", str(prof))
    fresh = strict_json(prof.read_text())
    kept = strict_json((SAMPLE_DATA / "reference.profile.json").read_text())
    assert fresh["columns"] == kept["columns"]


def test_profile_of_two_files_equals_profile_of_concatenation(tmp_path):
    rng = np.random.default_rng(7)
    header = ["x", "c"]
    a = [[f"{v:.3f}", rng.choice(["u", "v", "w"])] for v in rng.normal(size=400)]
    b = [[f"{v:.3f}", rng.choice(["u", "v", "z", ""])] for v in rng.normal(1, 2, size=300)]
    fa = write_csv(tmp_path / "a.csv", header, a)
    fb = write_csv(tmp_path / "b.csv", header, b)
    fab = write_csv(tmp_path / "ab.csv", header, a + b)
    assert run("profile", fa, fb, "-o", str(tmp_path / "two.json")).exit_code == 0
    assert run("profile", fab, "-o", str(tmp_path / "one.json")).exit_code == 0
    two = strict_json((tmp_path / "two.json").read_text())
    one = strict_json((tmp_path / "one.json").read_text())
    assert two["columns"] == one["columns"]
    assert two["rows"] == one["rows"] == 700


def test_extending_a_profile_adds_counts_with_its_edges(tmp_path):
    rng = np.random.default_rng(3)
    a_vals = rng.normal(size=500)
    b_vals = rng.normal(0.5, 1, size=200)
    fa = write_csv(tmp_path / "a.csv", ["x"], [[f"{v:.4f}"] for v in a_vals])
    fb = write_csv(tmp_path / "b.csv", ["x"], [[f"{v:.4f}"] for v in b_vals])
    pa = tmp_path / "a.json"
    assert run("profile", fa, "-o", str(pa)).exit_code == 0
    pab = tmp_path / "ab.json"
    assert run("profile", str(pa), fb, "-o", str(pab)).exit_code == 0
    a_prof = strict_json(pa.read_text())["columns"]["x"]
    ab_prof = strict_json(pab.read_text())["columns"]["x"]
    assert ab_prof["edges"] == a_prof["edges"]
    edges = np.array(a_prof["edges"])
    # Independent count: right-closed bins over the rounded values that were written.
    b_written = np.array([float(f"{v:.4f}") for v in b_vals])
    a_written = np.array([float(f"{v:.4f}") for v in a_vals])
    expected = np.bincount(np.searchsorted(edges, np.concatenate([a_written, b_written])), minlength=edges.size + 1)
    got = [v for k, v in ab_prof["counts"].items() if k != "(missing)"]
    assert got == expected.tolist()
    assert ab_prof["rows"] == 700
    # Merging two profiles with the same edges adds their counts.
    pmerged = tmp_path / "merged.json"
    assert run("profile", str(pa), str(pa), "-o", str(pmerged)).exit_code == 0
    merged = strict_json(pmerged.read_text())["columns"]["x"]["counts"]
    assert merged == {k: 2 * v for k, v in a_prof["counts"].items()}


def test_merging_profiles_with_different_edges_is_an_error(tmp_path):
    fa = write_csv(tmp_path / "a.csv", ["x"], [[i] for i in range(100)])
    fb = write_csv(tmp_path / "b.csv", ["x"], [[i * 3] for i in range(100)])
    run("profile", fa, "-o", str(tmp_path / "a.json"))
    run("profile", fb, "-o", str(tmp_path / "b.json"))
    result = run("profile", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o", str(tmp_path / "c.json"))
    assert result.exit_code == 2
    assert "'x'" in error_line(result)


def test_profile_version_and_option_conflicts(tmp_path):
    prof = tmp_path / "p.json"
    run("profile", REFERENCE, "-o", str(prof))
    result = run("drift", str(prof), CURRENT, "--bins", "5")
    assert result.exit_code == 2
    line = error_line(result)
    assert "--bins 10" in line and "--bins 5" in line
    # The same value as the profile's is no conflict.
    assert run("drift", str(prof), CURRENT, "--bins", "10").exit_code == 1
    data = strict_json(prof.read_text())
    data["version"] = 99
    prof.write_text(json.dumps(data))
    result = run("drift", str(prof), CURRENT)
    assert result.exit_code == 2
    assert "version 99" in error_line(result)


def test_profile_to_stdout_is_strict_json():
    result = run("profile", REFERENCE, "-o", "-")
    assert result.exit_code == 0
    assert strict_json(result.stdout)["format"] == "kl-cli-profile"


def test_profile_write_is_atomic_and_keeps_old_file_on_failure(tmp_path, monkeypatch):
    import kl_cli.profiles.store as profile_mod

    prof = tmp_path / "p.json"
    assert run("profile", REFERENCE, "-o", str(prof)).exit_code == 0
    before = prof.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(profile_mod.os, "replace", boom)
    result = run("profile", CURRENT, "-o", str(prof))
    assert result.exit_code == 130
    assert prof.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temporary left behind


# ---------------------------------------------------------------------------
# Binning, missing values, new categories


def test_out_of_range_current_values_land_in_open_bins(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["x"], [[i] for i in range(100)])
    cur = write_csv(tmp_path / "c.csv", ["x"], [[-1000], [5000], [5001], [50]])
    report = strict_json(run("drift", ref, cur, "--format", "json", "--bins", "4").stdout)
    col = by_column(report)["x"]
    assert col["n_current"] == 4
    result = run("drift", ref, cur, "--format", "json", "--bins", "4", "--numeric", "x")
    report = strict_json(result.stdout)
    top_labels = {t["label"]: t for t in by_column(report)["x"]["top"]}
    last = [label for label in top_labels if label.endswith("inf)")]
    assert top_labels[last[0]]["current"] == pytest.approx(0.5)
    # The first bin holds 25% on both sides (0..24, and -1000): no change, so
    # not among the largest changes; its shares are in the column's detail.
    assert not [label for label in top_labels if label.startswith("(-inf")]
    detail = run("drift", ref, cur, "--format", "markdown", "--bins", "4", "--numeric", "x", "--detail", "x").stdout
    first = [line.split("|") for line in detail.splitlines() if line.startswith("| (-inf")]
    assert len(first) == 1 and float(first[0][2]) == pytest.approx(0.25) and float(first[0][3]) == pytest.approx(0.25)


def test_bins_are_honoured_and_tie_merges_are_noted(tmp_path):
    values = [[0]] * 80 + [[i] for i in range(1, 41)]
    ref = write_csv(tmp_path / "r.csv", ["x"], values)
    prof = tmp_path / "p.json"
    assert run("profile", ref, "-o", str(prof), "--bins", "10").exit_code == 0
    col = strict_json(prof.read_text())["columns"]["x"]
    assert col["type"] == "numeric"
    assert any("merged" in n for n in col["notes"])
    assert len(col["edges"]) < 9
    assert run("profile", ref, "-o", str(prof), "--bins", "3").exit_code == 0
    assert len(strict_json(prof.read_text())["columns"]["x"]["edges"]) == 2


def test_uniform_binning_edges_come_from_reference_only(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["x"], [[i] for i in range(0, 101)])
    prof = tmp_path / "p.json"
    run("profile", ref, "-o", str(prof), "--binning", "uniform", "--bins", "4")
    assert strict_json(prof.read_text())["columns"]["x"]["edges"] == [25.0, 50.0, 75.0]


def test_missing_rate_change_is_drift(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["c"], [["a"], ["b"]] * 50)
    cur = write_csv(tmp_path / "c.csv", ["c"], [["a"], ["b"], [""], [""]] * 25)
    report = strict_json(run("drift", ref, cur, "--format", "json").stdout)
    col = by_column(report)["c"]
    assert col["drifted"] is True
    assert col["top"][0]["label"] == "(missing)"
    assert col["top"][0]["current"] == pytest.approx(0.5)


def test_new_categories_in_current_are_counted(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["c"], [["a"], ["b"]] * 50)
    cur = write_csv(tmp_path / "c.csv", ["c"], [["a"], ["b"], ["new"], ["b"]] * 25)
    report = strict_json(run("drift", ref, cur, "--format", "json").stdout)
    col = by_column(report)["c"]
    assert col["new_in_current"] == ["new"]
    assert "kl_qp" in col["infinite"]


def test_columns_on_one_side_are_reported(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["a", "old"], [["x", 1]] * 10)
    cur = write_csv(tmp_path / "c.csv", ["a", "new"], [["x", 1]] * 10)
    report = strict_json(run("drift", ref, cur, "--format", "json").stdout)
    assert report["only_in_reference"] == ["old"]
    assert report["only_in_current"] == ["new"]
    assert [c["column"] for c in report["columns"]] == ["a"]


def test_typing_rules_and_overrides(tmp_path):
    rows = [[i % 5, i, f"t{i % 3}"] for i in range(200)]
    ref = write_csv(tmp_path / "r.csv", ["few", "many", "text"], rows)
    report = strict_json(run("drift", ref, ref, "--format", "json").stdout)
    cols = by_column(report)
    assert cols["few"]["type"] == "categorical"
    assert cols["many"]["type"] == "numeric"
    assert cols["text"]["type"] == "categorical"
    forced = strict_json(run("drift", ref, ref, "--format", "json", "--numeric", "few", "--categorical", "many").stdout)
    cols = by_column(forced)
    assert (cols["few"]["type"], cols["few"]["typed_by"]) == ("numeric", "--numeric")
    assert (cols["many"]["type"], cols["many"]["typed_by"]) == ("categorical", "--categorical")
    assert all(c["value"] == 0 for c in forced["columns"])


def test_identifier_column_skipped_unless_forced(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["id", "c"], [[f"id{i}", "a"] for i in range(100)])
    report = strict_json(run("drift", ref, ref, "--format", "json").stdout)
    assert by_column(report)["id"]["type"] == "skipped"
    forced = strict_json(run("drift", ref, ref, "--format", "json", "--categorical", "id").stdout)
    assert by_column(forced)["id"]["type"] == "categorical"


# ---------------------------------------------------------------------------
# Formats


def test_csv_format_has_one_row_per_column():
    result = run("drift", REFERENCE, CURRENT, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["column"] for r in rows] == ["order_id", "region", "plan", "age", "basket_value", "channel", "rating"]
    assert {r["column"] for r in rows if r["drifted"] == "true"} == DRIFTED


def test_markdown_format_is_a_table_with_verdict():
    out = run("drift", REFERENCE, CURRENT, "--format", "markdown").stdout
    assert "3 of 6 columns drifted" in out
    table = [line for line in out.splitlines() if line.startswith("|")]
    widths = {line.replace("\\|", "").count("|") for line in table}
    assert widths == {7}
    assert len(table) == 2 + 7


def test_detail_shows_the_full_comparison():
    out = run("drift", REFERENCE, CURRENT, "--detail", "plan").stdout
    assert f"KL divergence: P ({REFERENCE}: plan) vs Q ({CURRENT}: plan)" in out  # named as compare names sides
    assert "enterprise" in out
    bad = run("drift", REFERENCE, CURRENT, "--detail", "nope")
    assert bad.exit_code == 2
    assert "nope" in error_line(bad)


def test_current_from_stdin():
    text = Path(CURRENT).read_text()
    result = run("drift", REFERENCE, "-", "--format", "json", input=text)
    assert result.exit_code == 1
    assert strict_json(result.stdout)["current"] == "stdin"


@pytest.mark.parametrize("ext", ["tsv", "jsonl"])
def test_other_data_formats_give_the_same_numbers(tmp_path, ext):
    import pandas as pd

    frame = pd.read_csv(CURRENT, keep_default_na=False, na_values=[""], dtype={"channel": object})
    path = tmp_path / f"current.{ext}"
    if ext == "tsv":
        frame.to_csv(path, sep="\t", index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    direct = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    other = strict_json(run("drift", REFERENCE, str(path), "--format", "json").stdout)
    for a, b in zip(direct["columns"], other["columns"], strict=True):
        assert a["metrics"] == b["metrics"], a["column"]


def test_parquet_reads_when_pyarrow_is_installed(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    frame = pd.read_csv(CURRENT)
    path = tmp_path / "current.parquet"
    frame.to_parquet(path)
    direct = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    other = strict_json(run("drift", REFERENCE, str(path), "--format", "json").stdout)
    assert [c["metrics"] for c in direct["columns"]] == [c["metrics"] for c in other["columns"]]


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 32)
    import kl_cli.inputs.datasets

    def no_pyarrow():
        raise ImportError("No module named 'pyarrow'")

    monkeypatch.setattr(kl_cli.inputs.datasets, "_import_parquet", no_pyarrow)
    result = run("drift", REFERENCE, str(path))
    assert result.exit_code == 2
    assert "kl-cli[parquet]" in error_line(result)


# ---------------------------------------------------------------------------
# Errors


def test_text_in_forced_numeric_column_names_the_column(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["x"], [["1"], ["oops"], ["3"]])
    result = run("drift", ref, ref, "--numeric", "x")
    assert result.exit_code == 2
    assert "'x'" in error_line(result)


def test_text_in_current_numeric_column_names_the_column(tmp_path):
    ref = write_csv(tmp_path / "r.csv", ["amount"], [[i] for i in range(100)])
    cur = write_csv(tmp_path / "c.csv", ["amount"], [["5"], ["lots"]])
    result = run("drift", ref, cur)
    assert result.exit_code == 2
    assert "'amount'" in error_line(result)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["drift", "nope.csv", CURRENT], "nope.csv"),
        (["drift", REFERENCE, "nope.csv"], "nope.csv"),
        (["drift", REFERENCE, CURRENT, "--columns", "ghost"], "ghost"),
        (["drift", REFERENCE, CURRENT, "--max-drift-share", "0"], "--max-drift-share"),
        (["drift", REFERENCE, CURRENT, "--bins", "0"], "--bins"),
        (["drift", REFERENCE, CURRENT, "--numeric", "age", "--categorical", "age"], "age"),
        (["drift", REFERENCE, CURRENT, "--threshold", "nan"], "--threshold"),
        (["profile", REFERENCE], "--output"),
    ],
)
def test_errors_are_one_line_and_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert fragment in error_line(result)


def test_empty_and_header_only_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header = tmp_path / "header.csv"
    header.write_text("a,b\n")
    for path in (empty, header):
        result = run("drift", REFERENCE, str(path))
        assert result.exit_code == 2
        assert str(path) in error_line(result)


# ---------------------------------------------------------------------------
# Chunked and bounded-memory reading give the in-memory numbers


def test_chunked_and_two_pass_results_equal_in_memory(tmp_path, monkeypatch):
    import kl_cli.core.binning

    whole = tmp_path / "whole.json"
    assert run("profile", REFERENCE, "-o", str(whole), "--chunk-rows", "100000000").exit_code == 0
    chunked = tmp_path / "chunked.json"
    assert run("profile", REFERENCE, "-o", str(chunked), "--chunk-rows", "97").exit_code == 0
    # Force the bounded path: values beyond this many per column are not kept,
    # and a second pass resolves the exact quantiles.
    monkeypatch.setattr(kl_cli.core.binning, "IN_MEMORY_VALUES", 50)
    bounded = tmp_path / "bounded.json"
    assert run("profile", REFERENCE, "-o", str(bounded), "--chunk-rows", "97").exit_code == 0
    a, b, c = (strict_json(p.read_text())["columns"] for p in (whole, chunked, bounded))
    assert a == b == c
    for binning in ("quantile", "uniform"):
        direct = run("drift", REFERENCE, CURRENT, "--format", "json", "--binning", binning, "--chunk-rows", "101")
        monkeypatch.setattr(kl_cli.core.binning, "IN_MEMORY_VALUES", 10**9)
        memory = run("drift", REFERENCE, CURRENT, "--format", "json", "--binning", binning)
        monkeypatch.setattr(kl_cli.core.binning, "IN_MEMORY_VALUES", 50)
        assert strict_json(direct.stdout)["columns"] == strict_json(memory.stdout)["columns"]


def test_quantile_edges_match_numpy():
    from kl_cli.core.binning import make_bins

    rng = np.random.default_rng(5)
    for values in (rng.normal(size=1001), rng.lognormal(2, 1, size=5000), rng.integers(0, 50, 777).astype(float)):
        expected = np.unique(np.quantile(values, np.arange(1, 10) / 10))
        assert np.allclose(make_bins(values, 10).edges, expected, rtol=1e-13, atol=0)


# ---------------------------------------------------------------------------
# compare --samples bins exactly as drift does


def test_compare_samples_equals_drift_column():
    drift = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json", "--base", "e").stdout)
    col = by_column(drift)["basket_value"]
    result = run("compare", REFERENCE, CURRENT, "--samples", "--column", "basket_value", "--format", "json")
    assert result.exit_code == 0, result.stderr
    samples = strict_json(result.stdout)
    assert samples["metrics"] == col["metrics"]


def test_compare_samples_inline_counts_by_bins():
    result = run("compare", "1,2,3,4,5,6,7,8", "1,1,1,1,8,8,8,100", "--samples", "--bins", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    cats = {c["label"]: (c["p"], c["q"]) for c in strict_json(result.stdout)["categories"]}
    # median of P is 4.5: P puts 4 of 8 on each side; Q puts 4 below, 4 above
    assert cats["(-inf, 4.5]"] == (0.5, 0.5)
    assert cats["(4.5, inf)"] == (0.5, 0.5)


@pytest.mark.parametrize(
    ("p", "q"),
    [("-1,2,-3,4", "1,-2,3,-4"), ("1e308,1e308,1,2", "1,2,3,1e308"), ("-1e308,1e308,0", "1e308,-1e308,5")],
    ids=["negative", "huge", "both-signs"],
)
def test_compare_samples_inline_are_the_observations_as_given(tmp_path, p, q):
    """Inline observations are numbers of any sign and size, read exactly as
    the same lists in JSON files are (they are not weights to validate or scale)."""
    pf, qf = tmp_path / "p.json", tmp_path / "q.json"
    pf.write_text(f"[{p}]")
    qf.write_text(f"[{q}]")
    inline = run("compare", "--samples", "--bins", "3", "--format", "json", "--", p, q)
    files = run("compare", str(pf), str(qf), "--samples", "--bins", "3", "--format", "json")
    assert inline.exit_code == 0 and files.exit_code == 0, (inline.output, files.output)
    a, b = strict_json(inline.stdout), strict_json(files.stdout)
    assert a["metrics"] == b["metrics"] and [c["label"] for c in a["categories"]] == [
        c["label"] for c in b["categories"]
    ]


def test_compare_samples_rejects_text_and_labels():
    text = run("compare", REFERENCE, CURRENT, "--samples", "--column", "plan")
    assert text.exit_code == 2 and "holds text" in error_line(text)
    labelled = run("compare", "a=1,b=2", "a=2,b=1", "--samples")
    assert labelled.exit_code == 2 and "plain numbers" in error_line(labelled)


def test_every_command_and_option_is_documented():
    readme = (SAMPLE_DATA.parent / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help, name
        assert f"kl-cli {name}" in readme, name
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{name} {param.opts}"


def test_progress_shows_only_on_a_terminal_and_never_on_stdout(monkeypatch, capsys):
    from kl_cli.render.progress import ReadProgress

    # Not a terminal (as under CliRunner or in CI): nothing is ever shown.
    result = run("drift", REFERENCE, CURRENT, "--format", "json")
    assert "reading" not in result.stderr
    strict_json(result.stdout)
    # A terminal, after the delay: a spinner on stderr, stdout untouched.
    from rich.console import Console

    monkeypatch.setattr(Console, "is_terminal", property(lambda self: True))
    monkeypatch.setattr(ReadProgress, "DELAY", 0.0)
    with ReadProgress() as progress:
        progress("big.csv", 1_000_000)
        assert progress._status is not None
    out = capsys.readouterr()
    assert out.out == ""
