"""The text of the reports (issue 14, "one consistent command line"):
--fail-above's verdict in every format, sides named by role, source and
column, piped reports at a width that fits (no word broken, no trailing
space), the legend of the P/Q bars, and the order of the categories."""

from __future__ import annotations

import csv
import html
import io
import math
import os
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from helpers import KL_PQ, REPO, assert_one_line_error, describe, run, strict_json

PLAIN = {"TERM": "dumb", "NO_COLOR": "1", "FORCE_COLOR": None, "COLUMNS": None}
P, Q = "a=0.7,b=0.3", "a=0.4,b=0.6"  # KL(P||Q) = KL_PQ
WORDS = "sample_data/word_counts.tsv"


def compare(*args: str, code: int = 0, env: dict | None = None, input: str | None = None) -> str:
    result = run("compare", *args, env={**PLAIN, **(env or {})}, input=input)
    assert result.exit_code == code, describe(result)
    return result.stdout


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# ---------------------------------------------------------------------------
# --fail-above: the verdict in every format


@pytest.mark.parametrize(("limit", "over"), [("0.1", True), ("0.2", False), (repr(KL_PQ), False)])
def test_compare_states_the_verdict_in_every_format(limit, over):
    code = 1 if over else 0
    data = strict_json(compare(P, Q, "--fail-above", limit, "--format", "json", code=code))
    assert data["fail_above"] == {
        "metric": "kl_pq",
        "limit": float(limit),
        "value": pytest.approx(KL_PQ, rel=1e-12),
        "exceeded": over,
        "infinite": [],
    }
    assert data["fail_above"]["value"] == data["metrics"]["kl_pq"]
    word = "above" if over else "within"
    for fmt in ("table", "markdown"):
        out = compare(P, Q, "--fail-above", limit, "--format", fmt, code=code)
        last = out.rstrip("\n").splitlines()[-1]
        assert f"is {word} the limit (exit status {code})" in last, out
        shown = last.replace("\\", "").strip("*")  # markdown: escaped and bold
        # both numbers to 6 digits, or exactly when those would look equal
        exactly = f"--fail-above {float(limit)!r}: kl_pq = {data['metrics']['kl_pq']!r} "
        assert shown.startswith((f"--fail-above {float(limit):.6g}: kl_pq = {KL_PQ:.6g} ", exactly)), last
        assert shown.startswith(exactly) == (f"{float(limit):.6g}" == f"{KL_PQ:.6g}"), last
    rows = csv_rows(compare(P, Q, "--fail-above", limit, "--format", "csv", code=code))
    header, body = rows[0], rows[1:]
    assert header[-4:] == ["fail_above_metric", "fail_above_limit", "fail_above_value", "fail_above_exceeded"]
    assert len(body) == 2 and all(len(row) == len(header) for row in rows)  # one rectangular table
    assert all(
        row[-4:] == ["kl_pq", repr(float(limit)), repr(data["metrics"]["kl_pq"]), str(over).lower()] for row in body
    )
    # value stays one number: the exit status is the verdict
    assert compare(P, Q, "--fail-above", limit, "--format", "value", code=code) == repr(data["metrics"]["kl_pq"]) + "\n"
    page = compare(P, Q, "--fail-above", limit, "--format", "html", code=code)
    verdicts = re.findall(r'<p class="verdict (good|bad)">([^<]*)</p>', page)
    assert len(verdicts) == 1, page
    assert verdicts[0][0] == ("bad" if over else "good")
    assert f"is {word} the limit (exit status {code})" in html.unescape(verdicts[0][1])


def test_the_metrics_csv_of_a_resampled_compare_carries_the_verdict_too():
    args = ("a=12,b=8", "a=9,b=9", "--permutations", "19", "--seed", "1", "--metric", "js_distance")
    rows = csv_rows(compare(*args, "--fail-above", "0.5", "--format", "csv"))
    assert rows[0][:2] == ["metric", "value"] and rows[0][-1] == "fail_above_exceeded"
    assert {len(r) for r in rows} == {len(rows[0])} and len(rows) == 12
    by_metric = {r[0]: r for r in rows[1:]}
    assert all(r[-4] == "js_distance" and r[-2] == by_metric["js_distance"][1] for r in rows[1:])


def test_a_rounded_value_equal_to_the_limit_is_shown_exactly():
    limit = float(f"{KL_PQ:.6g}")  # KL_PQ rounds to the limit at 6 digits
    value = strict_json(compare(P, Q, "--format", "json"))["metrics"]["kl_pq"]
    out = compare(P, Q, "--fail-above", repr(limit), code=1 if value > limit else 0)
    assert f"--fail-above {limit!r}: kl_pq = {value!r} is " in out


def test_an_infinite_value_and_an_infinite_limit_are_named_in_json():
    data = strict_json(compare("a=1,b=1", "a=1,b=0", "--fail-above", "5", "--format", "json", code=1))
    assert data["fail_above"] == {
        "metric": "kl_pq",
        "limit": 5.0,
        "value": None,
        "exceeded": True,
        "infinite": ["value"],
    }
    assert "kl_pq is infinite, above any limit (exit status 1)." in compare(
        "a=1,b=1", "a=1,b=0", "--fail-above", "5", code=1
    )
    data = strict_json(compare(P, Q, "--fail-above", "inf", "--format", "json"))
    assert data["fail_above"]["limit"] is None and data["fail_above"]["infinite"] == ["limit"]
    assert "--fail-above inf: kl\\_pq = " in compare(P, Q, "--fail-above", "inf", "--format", "markdown")
    rows = csv_rows(compare("a=1,b=1", "a=1,b=0", "--fail-above", "inf", "--format", "csv", code=1))
    assert rows[1][-3:] == ["inf", "inf", "true"]


def test_without_fail_above_no_format_changes():
    assert "fail_above" not in strict_json(compare(P, Q, "--format", "json"))
    assert csv_rows(compare(P, Q, "--format", "csv"))[0] == ["label", "p", "q", "kl_pq", "kl_qp"]
    for fmt in ("table", "markdown"):
        assert "--fail-above" not in compare(P, Q, "--format", fmt)


def test_two_distributions_state_the_verdict():
    # KL(N(0,1) || N(1,2)) = log 2 + (1 + 1) / 8 - 1/2
    expected = math.log(2) + 2 / 8 - 0.5
    data = strict_json(compare("normal(0, 1)", "normal(1, 2)", "--fail-above", "0.1", "--format", "json", code=1))
    assert data["fail_above"]["value"] == pytest.approx(expected, rel=1e-12) and data["fail_above"]["exceeded"]
    for fmt in ("table", "markdown"):
        out = compare("normal(0, 1)", "normal(1, 2)", "--fail-above", "0.5", "--format", fmt)
        assert "is within the limit (exit status 0)." in out.splitlines()[-1], out
    rows = csv_rows(compare("normal(0, 1)", "normal(1, 2)", "--fail-above", "0.5", "--format", "csv"))
    assert {len(r) for r in rows} == {len(rows[0])} and rows[1][-1] == "false"


@pytest.fixture
def batch_pair(tmp_path):
    rng = np.random.default_rng(7)
    p = rng.dirichlet(np.ones(4), size=6)
    q = rng.dirichlet(np.ones(4), size=6)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    # The per-row KL in exact rational arithmetic of the float inputs, then the mean.
    rows = [sum(float(Fraction(a)) * math.log(a / b) for a, b in zip(pr, qr)) for pr, qr in zip(p, q)]
    return str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), sum(rows) / len(rows)


def test_batch_states_the_verdict(batch_pair):
    p, q, mean = batch_pair
    limit = mean / 2
    result = run("batch", p, q, "--fail-above", repr(limit), "--format", "json", env=PLAIN)
    assert result.exit_code == 1, describe(result)
    verdict = strict_json(result.stdout)["fail_above"]
    assert verdict["metric"] == "kl_pq" and verdict["stat"] == "mean" and verdict["exceeded"] is True
    assert verdict["value"] == pytest.approx(mean, rel=1e-9) and verdict["limit"] == limit
    for fmt in ("table", "markdown"):
        out = run("batch", p, q, "--fail-above", repr(2 * mean), "--format", fmt, env=PLAIN).stdout
        assert (
            "kl_pq (mean) = " in out.splitlines()[-1].replace("\\", "") and "within the limit (exit status 0)" in out
        ), out
    rows = csv_rows(run("batch", p, q, "--fail-above", "1", "--stat", "max", "--format", "csv", env=PLAIN).stdout)
    assert rows[0][-5:] == [
        "fail_above_metric",
        "fail_above_stat",
        "fail_above_limit",
        "fail_above_value",
        "fail_above_exceeded",
    ]
    assert len(rows) == 7 and {len(r) for r in rows} == {len(rows[0])}
    assert {tuple(r[-5:-2]) for r in rows[1:]} == {("kl_pq", "max", "1.0")}


def test_sampled_states_the_verdict(write):
    logq = [-1.0, -2.0, -0.5, -1.5]
    logp = [-1.2, -1.7, -0.6, -1.1]
    path = write("tokens.csv", "logq,logp\n" + "".join(f"{a},{b}\n" for a, b in zip(logq, logp)))
    k3 = [math.expm1(b - a) - (b - a) for a, b in zip(logq, logp)]  # (r - 1) - log r
    expected = sum(k3) / len(k3)
    args = ("sampled", path, "--logq", "logq", "--logp", "logp", "--fail-above", "0.001")
    result = run(*args, "--format", "json", env=PLAIN)
    assert result.exit_code == 1, describe(result)
    verdict = strict_json(result.stdout)["fail_above"]
    assert verdict == {
        "metric": "k3",
        "stat": "mean",
        "per": "token",
        "limit": 0.001,
        "value": pytest.approx(expected, rel=1e-12),
        "exceeded": True,
        "infinite": [],
    }
    for fmt in ("table", "markdown"):
        last = run(*args, "--format", fmt, env=PLAIN).stdout.rstrip().splitlines()[-1]
        assert "k3 (mean, per token) = " in last.replace("\\", "") and "above the limit (exit status 1)" in last
    rows = csv_rows(run(*args, "--format", "csv", env=PLAIN).stdout)
    assert {len(r) for r in rows} == {len(rows[0])} and rows[1][-1] == "true"


# ---------------------------------------------------------------------------
# Sides named by role, source and column


@pytest.mark.usefixtures("at_repo_root")
def test_one_table_two_columns_names_both_sides():
    args = (WORDS, "--p-column", "speeches_2019", "--q-column", "speeches_2023")
    p_name, q_name = f"P ({WORDS}: speeches_2019)", f"Q ({WORDS}: speeches_2023)"
    data = strict_json(compare(*args, "--format", "json"))
    assert (data["p_source"], data["q_source"]) == (p_name, q_name)
    assert compare(*args).splitlines()[0] == f"KL divergence: {p_name} vs {q_name}"
    md = compare(*args, "--format", "markdown").splitlines()[0]
    assert md == "### KL divergence: " + f"{p_name} vs {q_name}".replace("_", "\\_")


@pytest.mark.usefixtures("at_repo_root")
def test_every_kind_of_side_has_one_naming_rule(write, tmp_path):
    def names(*args: str, input: str | None = None) -> tuple[str, str]:
        data = strict_json(compare(*args, "--format", "json", input=input))
        return data["p_source"], data["q_source"]

    assert names("sample_data/forecast.csv", "sample_data/observed.csv") == (
        "P (sample_data/forecast.csv: probability)",
        "Q (sample_data/observed.csv: days)",
    )
    assert names("-", "0.2,0.8", input="0.5,0.5\n") == ("P (stdin)", "Q (0.2,0.8)")
    assert names("-", "x=1,y=3", "--column", "n", input="label,n\nx,2\ny,3\n") == ("P (stdin: n)", "Q (x=1,y=3)")
    long = ",".join(["0.1"] * 20)
    assert names(long, long)[0] == f"P ({long[:39]}…)"
    pair = write("pair.json", '{"p": {"a": 1, "b": 2}, "q": {"a": 2, "b": 1}}')
    assert names(pair) == (f"P ({pair}: p)", f"Q ({pair}: q)")
    assert names("normal(0, 1)", "normal(1, 2)") == ("P (normal(mu=0, sigma=1))", "Q (normal(mu=1, sigma=2))")
    latency = "sample_data/latency_ms.csv"
    assert names(latency, latency, "--samples") == (f"P ({latency}: ms)", f"Q ({latency}: ms)")
    assert names("normal(60, 20)", latency, "--samples")[1] == f"Q ({latency}: ms)"


# ---------------------------------------------------------------------------
# Piped reports: a width that fits, no word broken, no trailing space

LONG_LABEL = "an_unusually_long_category_name_without_spaces"
LONG_P = f"{LONG_LABEL}=0.6,short=0.3,other=0.1"
LONG_Q = f"{LONG_LABEL}=0.2,short=0.3,other=0.5"


def no_trailing_spaces(text: str) -> None:
    bad = [line for line in text.split("\n") if line != line.rstrip(" \t")]
    assert not bad, bad


def test_a_piped_compare_wraps_no_prose_and_pads_no_line():
    data = strict_json(compare(LONG_P, LONG_Q, "--format", "json"))
    table = compare(LONG_P, LONG_Q)
    lines = table.splitlines()
    for sentence in data["explanation"]:  # every sentence whole, on one line
        assert any(sentence in line for line in lines), (sentence, table)
    assert lines[0] == f"KL divergence: P ({LONG_P[:39]}…) vs Q ({LONG_Q[:39]}…)"
    for fmt in ("table", "markdown", "csv", "json"):
        no_trailing_spaces(compare(LONG_P, LONG_Q, "--format", fmt))


def test_columns_is_the_width_when_it_is_a_number():
    lines = compare(LONG_P, LONG_Q, env={"COLUMNS": "100"}).splitlines()
    assert max(map(len, lines)) <= 100
    assert any(len(line) > 100 for line in compare(LONG_P, LONG_Q).splitlines())  # piped: as wide as it needs
    # COLUMNS that is not a number is ignored: the piped width
    assert compare(LONG_P, LONG_Q, env={"COLUMNS": "wide"}) == compare(LONG_P, LONG_Q)


def test_the_piped_width_is_bounded(monkeypatch):
    from kl_cli.render.writers import PIPED_WIDTH, report_width

    monkeypatch.delenv("COLUMNS", raising=False)
    assert report_width(io.StringIO()) == PIPED_WIDTH == 400


@pytest.fixture
def long_drift(write):
    labels = [LONG_LABEL, "short", "other"]
    ref = "".join(f"{i},{labels[i % 3]},{i % 7}\n" for i in range(300))
    cur = "".join(f"{i},{labels[0] if i % 2 else labels[i % 3]},{i % 5}\n" for i in range(300))
    header = "id,a_rather_long_column_name_for_the_category,n\n"
    return write("ref.csv", header + ref), write("cur.csv", header + cur)


def test_a_piped_drift_wraps_no_word_and_pads_no_line(long_drift):
    ref, cur = long_drift
    for fmt in ("table", "markdown", "csv", "json"):
        result = run("drift", ref, cur, "--exclude", "id", "--format", fmt, env=PLAIN)
        assert result.exit_code in (0, 1), describe(result)
        no_trailing_spaces(result.stdout)
    table = run("drift", ref, cur, "--exclude", "id", env=PLAIN).stdout
    assert re.search(rf"^a_rather_long_column_na… +cat .* {LONG_LABEL}: ", table, re.MULTILINE), table
    detail = run("drift", ref, cur, "--exclude", "id", "--detail", "n", env=PLAIN).stdout
    no_trailing_spaces(detail)
    verdict = [line for line in detail.splitlines() if "drift" in line and "of 2 columns" in line]
    assert verdict, detail


def test_batch_and_matrix_tables_pad_no_line(batch_pair):
    p, q, _ = batch_pair
    for fmt in ("table", "markdown"):
        no_trailing_spaces(run("batch", p, q, "--format", fmt, env=PLAIN).stdout)
        no_trailing_spaces(run("matrix", "a=1,b=2", "a=2,b=1", "a=1,b=1", "--format", fmt, env=PLAIN).stdout)


# ---------------------------------------------------------------------------
# The legend of the bars, and the order of the categories


def test_the_bars_have_a_legend_with_the_value_of_a_cell():
    out = compare(LONG_P, LONG_Q)
    legend = [line for line in out.splitlines() if line.startswith("P vs Q: ")]
    assert legend == ["P vs Q: left bar P, right bar Q; one █ = 0.06 (1/10 of the largest share shown)"]


def test_the_legend_is_ascii_where_the_output_cannot_hold_blocks():
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("COLUMNS", None)
    done = subprocess.run(
        [sys.executable, "-m", "kl_cli", "compare", P, Q], capture_output=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("ascii")
    assert "P vs Q: left bar P, right bar Q; one # = 0.07 (1/10 of the largest share shown)" in out.splitlines()


def bins_of(out: str) -> list[str]:
    return re.findall(r"^([(\[][^ ]*, [^ ]*[)\]]|\(missing\))", out, re.MULTILINE)


def low_end(label: str) -> float:
    return math.inf if label == "(missing)" else float(label[1:].split(",")[0])


@pytest.fixture
def samples(write):
    rng = np.random.default_rng(3)
    p = write("p.csv", "x\n" + "".join(f"{v:.4f}\n" for v in rng.normal(0, 1, 400)))
    q = write("q.csv", "x\n" + "".join(f"{v:.4f}\n" for v in rng.normal(0.7, 1.5, 400)))
    return p, q


def test_bins_are_listed_from_low_to_high_in_every_format(samples):
    p, q = samples
    table = compare(p, q, "--samples", "--bins", "6")
    shown = bins_of(table)
    assert len(shown) == 7 and shown == sorted(shown, key=low_end)
    assert "Bins: from low to high." in table
    data = strict_json(compare(p, q, "--samples", "--bins", "6", "--format", "json"))
    labels = [c["label"] for c in data["categories"]]
    assert labels == shown
    rows = csv_rows(compare(p, q, "--samples", "--bins", "6", "--format", "csv"))
    assert [r[0] for r in rows[1:]] == shown
    md = compare(p, q, "--samples", "--bins", "6", "--format", "markdown")
    assert bins_of(md.replace("| ", "").replace("\\", "")) == shown


def test_the_ranking_by_contribution_stays_available(samples):
    p, q = samples
    data = strict_json(compare(p, q, "--samples", "--bins", "6", "--order", "contribution", "--format", "json"))

    def jeffreys(c: dict) -> float:  # (p - q) log(p / q), the ranking key; infinite when one side is 0
        if c["p"] == c["q"]:
            return 0.0
        if c["p"] == 0 or c["q"] == 0:
            return math.inf
        return (c["p"] - c["q"]) * math.log(c["p"] / c["q"])

    keys = [jeffreys(c) for c in data["categories"]]
    assert keys == sorted(keys, reverse=True)
    table = compare(p, q, "--samples", "--bins", "6", "--order", "contribution")
    assert bins_of(table) == [c["label"] for c in data["categories"]]
    assert "Bins: largest contribution first." in table


def test_top_keeps_the_largest_contributions_in_the_chosen_order(samples):
    p, q = samples
    ranked = [
        c["label"]
        for c in strict_json(compare(p, q, "--samples", "--order", "contribution", "--format", "json"))["categories"]
    ]
    table = compare(p, q, "--samples", "--top", "3")
    assert bins_of(table) == sorted(ranked[:3], key=low_end)
    assert "Bins: the 3 largest contributions, from low to high." in table
    assert "… 8 more categories (--top 0 shows all)" in table
    ranked_table = compare(p, q, "--samples", "--top", "3", "--order", "contribution")
    assert bins_of(ranked_table) == ranked[:3]
    assert "Bins: the 3 largest contributions, largest first." in ranked_table


def test_categories_are_ranked_by_default_and_listed_as_read_on_request():
    p, q = "c=0.1,a=0.5,b=0.4", "c=0.4,a=0.45,b=0.15"
    ranked = [c["label"] for c in strict_json(compare(p, q, "--format", "json"))["categories"]]
    assert ranked == ["c", "b", "a"]
    as_read = strict_json(compare(p, q, "--order", "input", "--format", "json"))["categories"]
    assert [c["label"] for c in as_read] == ["c", "a", "b"]
    rows = csv_rows(compare(p, q, "--order", "input", "--format", "csv"))
    assert [r[0] for r in rows[1:]] == ["c", "a", "b"]
    assert "Categories: in the order read." in compare(p, q, "--order", "input")
    assert "Categories: largest contribution first." in compare(p, q)


def test_order_refuses_an_unknown_word():
    assert_one_line_error(run("compare", P, Q, "--order", "alphabetical"), ["--order"])


@pytest.mark.usefixtures("at_repo_root")
def test_drift_detail_lists_a_numeric_columns_bins_in_order():
    out = run("drift", "sample_data/reference.csv", "sample_data/current.csv", "--detail", "basket_value", env=PLAIN)
    assert out.exit_code == 1, describe(out)
    detail = out.stdout.split("KL divergence: ", 1)[1]
    assert detail.startswith(
        "P (sample_data/reference.csv: basket_value) vs Q (sample_data/current.csv: basket_value)\n"
    )
    shown = bins_of(detail)
    assert len(shown) == 11 and shown == sorted(shown, key=low_end) and shown[-1] == "(missing)"
    assert "Bins: from low to high." in detail
    # a categorical column keeps the ranking
    region = run("drift", "sample_data/reference.csv", "sample_data/current.csv", "--detail", "region", env=PLAIN)
    assert "Categories: largest contribution first." in region.stdout


def test_order_is_documented():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "--order input" in readme and "--order contribution" in readme


def test_a_long_path_is_cut_in_the_middle_so_the_columns_stay(tmp_path):
    folder = tmp_path / ("a_folder_with_a_long_name_" * 3)
    folder.mkdir()
    path = folder / "counts.tsv"
    path.write_text("word\tspeeches_2019\tspeeches_2023\ntax\t3\t4\njobs\t5\t2\n", encoding="utf-8")
    args = (str(path), "--p-column", "speeches_2019", "--q-column", "speeches_2023")
    title = compare(*args).splitlines()[0]
    assert re.fullmatch(r"KL divergence: P \(/.{10,}….*: speeches_2019\) vs Q \(/.{10,}….*: speeches_2023\)", title)
    data = strict_json(compare(*args, "--format", "json"))  # whole in JSON
    assert data["p_source"] == f"P ({path}: speeches_2019)"


def test_coloured_reports_pad_no_line_either():
    out = compare(LONG_P, LONG_Q, env={"FORCE_COLOR": "1", "NO_COLOR": None, "TERM": "xterm-256color"})
    assert "\x1b[" in out  # coloured
    padded = [line for line in out.split("\n") if re.search(r"[ \t](?:\x1b\[[0-9;]*m)*$", line)]
    assert not padded, padded
