"""Review findings on issue 14's drift reports (renderfix): the run's warnings
in markdown and as GitHub annotations, one rule for drift tolerated by
--max-drift-share in JUnit and GitHub, the annotation cap ranked by value
over threshold, the chart legend's side names, the rule of each column on
the HTML page, the largest changes without unchanged categories, and one
warning per small-sample problem."""

from __future__ import annotations

import json
import math
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import SAMPLE_DATA, by_column, run, strict_json, unescaped_pipes
from lxml import etree

REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "schemas" / "junit.xsd")))


def write_jsonl(path: Path, columns: dict[str, list]) -> str:
    n = len(next(iter(columns.values())))
    rows = [{col: cells[i] for col, cells in columns.items()} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def noisy(tmp_path: Path, names: list[str], steady: list[str] = ()) -> tuple[str, str]:
    """60 rows per side; each column in ``names`` draws from 18 categories
    independently on both sides (drift by noise alone, the plug-in bias
    warning's case); each column in ``steady`` is the same two categories on both."""
    rng = random.Random(14)
    sides = []
    for side in ("ref", "cur"):
        cols = {n: [f"c{rng.randrange(18)}" for _ in range(60)] for n in names}
        cols.update({n: ["u"] * 30 + ["v"] * 30 for n in steady})
        sides.append(write_jsonl(tmp_path / f"{side}.jsonl", cols))
    return sides[0], sides[1]


def annotations(text: str, kind: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"::{kind} ")]


# ---------------------------------------------------------------------------
# 1. The run's warnings in markdown and as ::warning annotations


def test_markdown_lists_every_warning_escaped(tmp_path: Path):
    ref, cur = noisy(tmp_path, ["a|*b*", "c"])
    warnings = strict_json(run("drift", ref, cur, "--format", "json").stdout)["warnings"]
    assert len([w for w in warnings if "plug-in bias" in w]) == 2
    text = run("drift", ref, cur, "--format", "markdown").stdout
    assert text.count("plug-in") == 2
    lines = text.splitlines()
    start = lines.index("**Warnings**")
    items = [line for line in lines[start + 1 :] if line.startswith("- ")]
    assert len(items) == len(warnings)
    for line, warning in zip(items, warnings):
        assert unescaped_pipes(line) == 0 and "\\*b\\*" in line if "a|" in warning else True
        assert line[2:].replace("\\", "") == warning.replace("\\", "")


def test_github_annotates_the_warnings_and_caps_them(tmp_path: Path):
    names = [f"n{i:02d}" for i in range(12)]
    ref, cur = noisy(tmp_path, names)
    report = strict_json(run("drift", ref, cur, "--format", "json").stdout)
    assert report["drift_detected"] and len(report["warnings"]) == 12
    result = run("drift", ref, cur, "--format", "github")
    assert result.exit_code == 1
    errors, warned = annotations(result.stdout, "error"), annotations(result.stdout, "warning")
    assert len(errors) == 10 and len(warned) == 10
    for line, warning in zip(warned, report["warnings"]):
        message = line.split("::", 2)[2]
        assert message == warning.replace("%", "%25")
    notice = result.stdout.splitlines()[-1]
    assert notice.startswith("::notice ")
    assert "2 more drifted columns are not annotated" in notice
    assert "2 more warnings are not annotated" in notice


def test_github_warning_cap_is_shared_with_tolerated_drift(tmp_path: Path):
    # 8 noisy columns drift, 9 steady ones do not: 8 of 17 is under 50%, the check passes.
    noisy_names = [f"n{i}" for i in range(8)]
    ref, cur = noisy(tmp_path, noisy_names, [f"s{i}" for i in range(9)])
    result = run("drift", ref, cur, "--format", "github", "--max-drift-share", "0.5")
    assert result.exit_code == 0, result.output
    warned = annotations(result.stdout, "warning")
    assert not annotations(result.stdout, "error")
    assert len(warned) == 10  # GitHub's cap on warnings: 8 columns, 2 of the 8 run warnings
    assert sum("title=Drift in column" in line for line in warned) == 8
    assert "6 more warnings are not annotated" in result.stdout.splitlines()[-1]


# ---------------------------------------------------------------------------
# 2. Drift below --max-drift-share: passes in JUnit as in GitHub


def test_junit_and_github_agree_on_tolerated_drift():
    args = ["drift", REFERENCE, CURRENT, "--max-drift-share", "0.9"]
    report = strict_json(run(*args, "--format", "json").stdout)
    drifted = set(report["drifted_columns"])
    assert drifted and not report["drift_detected"]
    result = run(*args, "--format", "junit")
    assert result.exit_code == 0
    assert SCHEMA.validate(etree.fromstring(result.stdout.encode("ascii"))), SCHEMA.error_log
    root = ET.fromstring(result.stdout)
    assert root.get("failures") == "0"
    assert not root.findall(".//failure")
    flagged = set()
    for case in root.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if props.get("drifted") == "true":
            flagged.add(case.get("name"))
            out = case.find("system-out")
            assert out is not None and "drifted, but the check passes" in out.text
            assert "--max-drift-share" in out.text
    assert flagged == drifted
    github = run(*args, "--format", "github").stdout
    warned = {re.search(r"Drift in column (.*?) of", line).group(1) for line in annotations(github, "warning")}
    assert warned == drifted and not annotations(github, "error")
    # Without the share, the same columns fail.
    failing = ET.fromstring(run("drift", REFERENCE, CURRENT, "--format", "junit").stdout)
    assert failing.get("failures") == str(len(drifted))
    assert {c.get("name") for c in failing.iter("testcase") if c.find("failure") is not None} == drifted


# ---------------------------------------------------------------------------
# 3. The cap ranks by value over the column's own threshold


def test_github_cap_ranks_by_value_over_threshold(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ref = {"zero": ["x"] * 50 + ["y"] * 50, "small": ["x"] * 50 + ["y"] * 50, "big": ["x"] * 50 + ["y"] * 50}
    cur = {"zero": ["x"] * 51 + ["y"] * 49, "small": ["x"] * 60 + ["y"] * 40, "big": ["x"] * 2 + ["y"] * 98}
    for i in range(9):
        ref[f"j{i}"] = ["x"] * 50 + ["y"] * 50
        cur[f"j{i}"] = ["x"] * (90 - i) + ["y"] * (10 + i)
    write_jsonl(tmp_path / "ref.jsonl", ref)
    write_jsonl(tmp_path / "cur.jsonl", cur)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n'
        '[tool.kl-cli.drift.columns.zero]\nthreshold = 0\nmetric = "hellinger"\n'
        '[tool.kl-cli.drift.columns.small]\nthreshold = 0.001\nmetric = "hellinger"\n'
        '[tool.kl-cli.drift.columns.big]\nthreshold = 1.8\nmetric = "kl_pq"\n',
        encoding="utf-8",
    )
    cols = by_column(strict_json(run("drift", "ref.jsonl", "cur.jsonl", "--format", "json").stdout))
    assert all(c["drifted"] for c in cols.values()) and len(cols) == 12
    assert cols["big"]["rule"]["metric"] == "kl_pq" and cols["big"]["value"] > max(
        cols[f"j{i}"]["value"] for i in range(9)
    )

    def ratio(c: dict) -> float:
        t = c["rule"]["threshold"]
        return math.inf if t == 0 else c["value"] / t

    expected = sorted(cols, key=lambda n: (-ratio(cols[n]), n))[:10]
    out = run("drift", "ref.jsonl", "cur.jsonl", "--format", "github").stdout
    shown = [re.search(r"Drift in column (.*?) of", line).group(1) for line in annotations(out, "error")]
    assert shown == expected
    assert shown[:2] == ["zero", "small"] and "big" not in shown


# ---------------------------------------------------------------------------
# 4. The legend keeps a side's role and column


def test_chart_legend_keeps_both_ends_of_a_side_name(tmp_path: Path):
    deep = tmp_path / ("a_really_long_folder_name_" * 3) / "sample_data"
    deep.mkdir(parents=True)
    for name, counts in (("word_counts_p.csv", (3, 5, 1)), ("word_counts_q.csv", (4, 2, 3))):
        (deep / name).write_text("word,count\n" + "".join(f"{w},{n}\n" for w, n in zip("xyz", counts)))
    page = run(
        "compare",
        str(deep / "word_counts_p.csv"),
        str(deep / "word_counts_q.csv"),
        "--column",
        "count",
        "--format",
        "html",
    ).stdout
    legend = re.findall(r'<text x="[0-9.]+" y="40">([^<]*)</text>', page)
    assert len(legend) == 3
    for role, text in zip("PQ", legend):
        assert text.startswith(f"{role} (") and text.endswith(".csv: count)"), text
        assert "&#8230;" in text  # cut in the middle


# ---------------------------------------------------------------------------
# 5. The HTML page says which rule judged a column and where it came from


def test_html_page_names_each_columns_rule_and_the_config(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "ref.jsonl", {"cat": ["x"] * 50 + ["y"] * 50, "dog": ["x"] * 50 + ["y"] * 50})
    write_jsonl(tmp_path / "cur.jsonl", {"cat": ["x"] * 80 + ["y"] * 20, "dog": ["x"] * 70 + ["y"] * 30})
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.kl-cli.drift.columns.cat]\nthreshold = 0.5\nmetric = "hellinger"\n',
        encoding="utf-8",
    )
    cols = by_column(strict_json(run("drift", "ref.jsonl", "cur.jsonl", "--format", "json").stdout))
    page = run("drift", "ref.jsonl", "cur.jsonl", "--format", "html").stdout
    summary = page[page.index('<table class="summary">') :]
    summary = summary[: summary.index("</table>")]
    assert "<th>rule</th>" in summary
    assert "&gt; 0.5, hellinger" in summary
    for c in cols.values():
        assert c["rule"]["source"].replace("'", "&#x27;") in summary
    assert "config file" in page and "pyproject.toml" in page[: page.index('<table class="summary">')]


def test_significance_line_speaks_of_each_columns_own_rule(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "ref.jsonl", {"cat": ["x"] * 50 + ["y"] * 50, "dog": ["x"] * 50 + ["y"] * 50})
    write_jsonl(tmp_path / "cur.jsonl", {"cat": ["x"] * 80 + ["y"] * 20, "dog": ["x"] * 70 + ["y"] * 30})
    args = ["drift", "ref.jsonl", "cur.jsonl", "--permutations", "19", "--seed", "1"]
    plain = run(*args, "--format", "markdown", "--no-config").stdout
    assert "A column drifts when js_distance exceeds 0.1 and" in plain
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.kl-cli.drift.columns.cat]\nthreshold = 0.5\nmetric = "hellinger"\n',
        encoding="utf-8",
    )
    for fmt in ("markdown", "html", "table"):
        text = run(*args, "--format", fmt).stdout
        assert "js_distance exceeds" not in text
        assert "A column drifts when its metric exceeds its threshold and" in " ".join(text.split())


# ---------------------------------------------------------------------------
# 6 and 7. One contribution per category, and unchanged categories left out


def test_largest_changes_are_the_changed_categories_by_jeffreys_term(tmp_path: Path):
    ref = {"same": ["x", "y", "z"] * 20, "part": ["x", "y", "z"] * 20, "n": [i % 5 for i in range(60)]}
    cur = {
        "same": ["x", "y", "z"] * 20,
        "part": ["x"] * 20 + ["y"] * 30 + ["z"] * 10,
        "n": [i % 5 for i in range(60)],
    }
    r, c = write_jsonl(tmp_path / "ref.jsonl", ref), write_jsonl(tmp_path / "cur.jsonl", cur)
    cols = by_column(strict_json(run("drift", r, c, "--format", "json", "--numeric", "n").stdout))
    assert cols["same"]["top"] == [] and cols["n"]["top"] == []
    top = cols["part"]["top"]
    assert [t["label"] for t in top] == ["z", "y"]  # x: 33.3% -> 33.3% is no change
    for t in top:
        p, q = t["reference"], t["current"]
        assert t["contribution"] == pytest.approx((p - q) * math.log2(p / q), rel=1e-12)
    md = run("drift", r, c, "--format", "markdown", "--numeric", "n").stdout
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert rows["same"].rstrip().endswith("| ok |  |")
    assert "→" not in rows["n"] and "z: 33.3% → 16.7%" in rows["part"]
    assert "(missing)" not in md and "33.3% → 33.3%" not in md
    page = run("drift", r, c, "--format", "html", "--numeric", "n").stdout
    assert "33.3% &rarr; current 33.3%" not in page
    # The page's contribution figures are the report's.
    z = re.search(r"z: reference 33.3% &rarr; current 16.7% \(contribution ([0-9.]+)\)", page)
    assert z and float(z.group(1)) == pytest.approx(top[0]["contribution"], rel=1e-3)
    table = run("drift", r, c, "--format", "table", "--numeric", "n", "--permutations", "9", "--seed", "1").stdout
    assert not re.search(r"^same: *$", table, re.M)


# ---------------------------------------------------------------------------
# 8. One warning per small-sample problem


def test_bias_warning_replaces_the_small_sample_warning_of_its_column(tmp_path: Path):
    ref, cur = noisy(tmp_path, ["a"], ["s"])
    result = run("drift", ref, cur, "--format", "json")
    warnings = strict_json(result.stdout)["warnings"]
    about_a = [w for w in warnings if w.startswith("column 'a'")]
    assert len(about_a) == 1 and "plug-in bias" in about_a[0]
    assert not any("has only" in w for w in about_a)
    assert result.stderr.count("column 'a'") == 1
    # With smoothing there is no bias warning: the small-sample one stays.
    smoothed = strict_json(run("drift", ref, cur, "--format", "json", "--smoothing", "additive").stdout)["warnings"]
    assert any(w.startswith("column 'a': P has only 60 observations") for w in smoothed)
