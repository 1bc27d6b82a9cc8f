"""Output formats of ``kl-cli compare``: json, csv, markdown, value and the
rich table, and the safety of user labels in each."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest
from helpers import METRIC_IDS, unescaped_pipes

REQUIRED_KEYS = {
    "p_source",
    "q_source",
    "unit",
    "base",
    "smoothing",
    "metrics",
    "infinite",
    "categories",
    "only_in_p",
    "only_in_q",
    "warnings",
}

# P expects snow, Q nearly rules it out: the example of asymmetry.
SNOW_P = "sun=0.5,rain=0.3,snow=0.2"
SNOW_Q = "sun=0.6,rain=0.39,snow=0.01"
# Q rules out 'snow' entirely: KL(P||Q) is infinite.
ZERO_Q = "sun=0.6,rain=0.4,snow=0"

WIDE = {"COLUMNS": "200"}

EVIL = {
    "[bold]x[/]": (0.25, 0.05),
    "\x1b[31mred": (0.2, 0.3),
    "bell\x07": (0.1, 0.2),
    "line\nbreak": (0.15, 0.1),
    "a|b": (0.1, 0.15),
    "c`d": (0.1, 0.1),
    "back\\slash": (0.1, 0.1),
}


@pytest.fixture
def evil_files(write):
    p = write("evil_p.json", json.dumps({k: v[0] for k, v in EVIL.items()}))
    q = write("evil_q.json", json.dumps({k: v[1] for k, v in EVIL.items()}))
    return p, q


# ---------------------------------------------------------------------------
# json


def test_json_structure(kl):
    data = kl.json(SNOW_P, SNOW_Q, "--base", "2")
    assert set(data) >= REQUIRED_KEYS
    assert data["p_source"].startswith("P") and data["q_source"].startswith("Q")
    assert data["unit"] == "bits" and data["base"] == "2"
    assert data["smoothing"] == {"method": "none", "parameter": None}
    assert list(data["metrics"]) == list(METRIC_IDS)
    assert all(isinstance(v, float) for v in data["metrics"].values())
    assert data["infinite"] == []
    assert len(data["categories"]) == 3
    for cat in data["categories"]:
        assert set(cat) == {"label", "p", "q", "kl_pq", "kl_qp"}
        assert isinstance(cat["label"], str)
    assert sum(c["p"] for c in data["categories"]) == pytest.approx(1.0)
    assert sum(c["kl_pq"] for c in data["categories"]) == pytest.approx(data["metrics"]["kl_pq"])
    assert sum(c["kl_qp"] for c in data["categories"]) == pytest.approx(data["metrics"]["kl_qp"])
    assert data["only_in_p"] == [] and data["only_in_q"] == [] and data["warnings"] == []


@pytest.mark.parametrize(("base", "unit"), [("e", "nats"), ("2", "bits"), ("10", "hartleys")])
def test_json_units(kl, base, unit):
    data = kl.json("0.7,0.3", "0.4,0.6", "--base", base)
    assert data["unit"] == unit and data["base"] == base


def test_json_infinite_is_null_and_named(kl):
    result = kl.ok(SNOW_P, ZERO_Q, "--format", "json")
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    from_cli = json.loads(result.stdout)  # also parses strictly through kl.json below
    data = kl.json(SNOW_P, ZERO_Q)
    assert data == from_cli
    nulls = [k for k, v in data["metrics"].items() if v is None]
    assert set(nulls) == {"kl_pq", "jeffreys", "cross_entropy_pq"}
    assert data["infinite"] == nulls
    assert data["infinite_causes"]["kl_pq"] == ["snow"]
    assert data["infinite_causes"]["kl_qp"] == []
    snow = next(c for c in data["categories"] if c["label"] == "snow")
    assert snow["kl_pq"] is None and snow["q"] == 0.0 and snow["kl_qp"] == 0.0
    assert data["categories"][0]["label"] == "snow"  # the infinite category drives the difference most


def test_json_infinite_both_directions(kl):
    data = kl.json("a=0.5,b=0.5,c=0", "a=0.5,b=0,c=0.5")
    assert data["infinite_causes"] == {"kl_pq": ["b"], "kl_qp": ["c"]}
    assert {"kl_pq", "kl_qp", "jeffreys", "cross_entropy_pq", "cross_entropy_qp"} == set(data["infinite"])
    assert math.isfinite(data["metrics"]["js_divergence"])


def test_json_is_one_object_and_ascii(kl, evil_files):
    result = kl.ok(*evil_files, "--format", "json")
    text = result.stdout
    assert text.isascii()
    assert "\x1b" not in text and "\x07" not in text
    data = json.loads(text)
    assert {c["label"] for c in data["categories"]} == set(EVIL)  # labels survive exactly


# ---------------------------------------------------------------------------
# csv


def test_csv_rows_parse(kl):
    result = kl.ok(SNOW_P, SNOW_Q, "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["label", "p", "q", "kl_pq", "kl_qp"]
    body = rows[1:]
    assert sorted(r[0] for r in body) == ["rain", "snow", "sun"]
    assert all(len(r) == 5 for r in body)
    data = kl.json(SNOW_P, SNOW_Q)
    expected = {c["label"]: c for c in data["categories"]}
    for label, p, q, a, b in body:
        assert float(p) == expected[label]["p"] and float(q) == expected[label]["q"]
        assert float(a) == expected[label]["kl_pq"] and float(b) == expected[label]["kl_qp"]


def test_csv_infinite_terms(kl):
    rows = list(csv.DictReader(io.StringIO(kl.ok(SNOW_P, ZERO_Q, "--format", "csv").stdout)))
    snow = next(r for r in rows if r["label"] == "snow")
    assert float(snow["kl_pq"]) == math.inf
    assert float(snow["q"]) == 0.0


def test_csv_labels_round_trip(kl, evil_files):
    rows = list(csv.DictReader(io.StringIO(kl.ok(*evil_files, "--format", "csv").stdout)))
    assert {r["label"] for r in rows} == set(EVIL)
    assert len(rows) == len(EVIL)


# ---------------------------------------------------------------------------
# value


@pytest.mark.parametrize("metric", METRIC_IDS)
def test_value_prints_just_the_number(kl, metric):
    out = kl.ok("0.7,0.3", "0.4,0.6", "--format", "value", "--metric", metric).stdout
    assert re.fullmatch(r"-?\d+(\.\d+)?(e[-+]?\d+)?\n", out), out
    assert float(out) == kl.json("0.7,0.3", "0.4,0.6")["metrics"][metric]


def test_value_default_metric_is_kl_pq(kl):
    assert (
        kl.ok("0.7,0.3", "0.4,0.6", "--format", "value").stdout
        == repr(kl.json("0.7,0.3", "0.4,0.6")["metrics"]["kl_pq"]) + "\n"
    )


def test_value_inf(kl):
    assert kl.ok(SNOW_P, ZERO_Q, "--format", "value").stdout == "inf\n"
    assert kl.ok(SNOW_P, ZERO_Q, "--format", "value", "--metric", "kl_qp").stdout != "inf\n"


# ---------------------------------------------------------------------------
# warnings stay on stderr


@pytest.mark.parametrize("fmt", ["json", "csv", "value"])
def test_warnings_never_on_stdout(kl, fmt):
    # duplicate label, a side summing to 1.4, and an epsilon that distorts: three warnings.
    args = ["a=0.9,b=0.4,a=0.1,c=0", "a=0.5,b=0.5,c=0", "--smoothing", "epsilon", "--epsilon", "0.01"]
    result = kl.ok(*args, "--format", fmt)
    assert "kl-cli" not in result.stdout
    if fmt != "json":  # json carries them in its "warnings" key, by design
        assert "warning" not in result.stdout.lower()
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("kl-cli: warning:") for line in lines)
    if fmt == "json":
        assert len(json.loads(result.stdout)["warnings"]) == 3
    elif fmt == "value":
        float(result.stdout)
    else:
        assert next(csv.reader(io.StringIO(result.stdout))) == ["label", "p", "q", "kl_pq", "kl_qp"]


# ---------------------------------------------------------------------------
# markdown


def md_tables(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.split("\n"):
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def assert_valid_pipe_tables(text: str) -> list[list[str]]:
    tables = md_tables(text)
    assert tables, text
    for table in tables:
        assert len(table) >= 3, table
        width = unescaped_pipes(table[0])
        assert width >= 2
        assert re.fullmatch(r"\|(\s*:?-{3,}:?\s*\|)+", table[1]), table[1]
        for row in table:
            assert row.endswith("|")
            assert unescaped_pipes(row) == width, row
    return tables


def test_markdown_is_valid_pipe_tables(kl):
    out = kl.ok(SNOW_P, SNOW_Q, "--format", "markdown").stdout
    metrics, cats = assert_valid_pipe_tables(out)
    assert len(metrics) == 2 + len(METRIC_IDS)
    assert all(f"`{m}`" in out for m in METRIC_IDS)
    assert len(cats) == 2 + 3


def test_markdown_infinite_and_only_in(kl):
    out = kl.ok("a=0.5,b=0.3,c=0.2", "b=0.5,a=0.4,d=0.1", "--format", "markdown").stdout
    assert_valid_pipe_tables(out)
    assert "inf" in out
    assert "Only in P" in out and "Only in Q" in out


def test_markdown_escapes_labels(kl, evil_files):
    out = kl.ok(*evil_files, "--format", "markdown", "--top", "0").stdout
    tables = assert_valid_pipe_tables(out)
    cats = tables[1]
    assert len(cats) == 2 + len(EVIL)  # the newline in a label did not split a row
    assert "\x1b" not in out and "\x07" not in out
    cells = "\n".join(cats)
    assert "a\\|b" in cells
    assert "c\\`d" in cells
    assert "`d" not in cells.replace("\\`d", "")  # no unescaped backtick from the label
    assert "line\\nbreak" in cells
    assert "\\[bold\\]x\\[/\\]" in cells


def test_markdown_top_and_more(kl):
    p = ",".join(f"c{i}={i + 1}" for i in range(6))
    q = ",".join(f"c{i}={6 - i}" for i in range(6))
    out = kl.ok(p, q, "--format", "markdown", "--top", "2").stdout
    _, cats = assert_valid_pipe_tables(out)
    assert len(cats) == 2 + 2
    assert "4 more" in out


# ---------------------------------------------------------------------------
# table


def test_table_metrics_units_and_bounds(kl):
    out = kl.ok("0.7,0.3", "0.4,0.6", env=WIDE).stdout
    for metric in METRIC_IDS:
        assert metric in out
    assert "nats" in out
    assert "0.6931" in out  # JS is at most ln 2 nats
    assert "0.183787" in out and "0.192042" in out
    bits = kl.ok("0.7,0.3", "0.4,0.6", "--base", "2", env=WIDE).stdout
    assert "bits" in bits
    js_row = next(line for line in bits.splitlines() if "js_divergence" in line)
    assert "[0, 1]" in js_row


def test_table_categories_ranked_and_bars(kl):
    out = kl.ok(SNOW_P, SNOW_Q, env=WIDE).stdout
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("category"))
    first_rows = [line.split()[0] for line in lines[header + 2 : header + 5]]
    assert first_rows[0] == "snow"  # 20% vs 1% drives the difference most
    assert "█" in out


def test_table_top_shows_how_many_more(kl):
    p = ",".join(f"c{i}={i + 1}" for i in range(20))
    q = ",".join(f"c{i}={20 - i}" for i in range(20))
    out = kl.ok(p, q, env=WIDE).stdout
    assert "5 more" in out  # default --top 15
    out = kl.ok(p, q, "--top", "3", env=WIDE).stdout
    assert "17 more" in out
    out = kl.ok(p, q, "--top", "0", env=WIDE).stdout
    assert "more" not in out
    assert all(f"c{i} " in out for i in range(20))


def test_table_explains_the_asymmetry(kl):
    data = kl.json(SNOW_P, SNOW_Q)
    kl_pq, kl_qp = data["metrics"]["kl_pq"], data["metrics"]["kl_qp"]
    assert kl_pq > 1.5 * kl_qp
    out = " ".join(kl.ok(SNOW_P, SNOW_Q, env=WIDE).stdout.split())
    match = re.search(r"KL\(P\|\|Q\) = [\d.]+ nats is ([\d.]+)x KL\(Q\|\|P\)", out)
    assert match, out
    assert float(match.group(1)) == pytest.approx(kl_pq / kl_qp, rel=0.01)
    assert "Q gives 'snow' 1% where P gives 20%" in out
    assert "punishes Q for missing mass that P expects" in out


def test_table_infinite_names_the_labels_and_suggests_smoothing(kl):
    out = " ".join(kl.ok(SNOW_P, ZERO_Q, env=WIDE).stdout.split())
    assert "inf" in out
    assert "KL(P||Q) is infinite" in out
    assert "'snow'" in out
    assert "--smoothing" in out


def test_table_states_the_smoothing(kl):
    out = kl.ok(SNOW_P, ZERO_Q, "--smoothing", "additive", "--alpha", "0.5", env=WIDE).stdout
    assert "additive" in out and "alpha=0.5" in out
    assert "KL(P||Q) is infinite" not in " ".join(out.split())


def test_table_plain_when_piped(kl):
    out = kl.ok(SNOW_P, SNOW_Q).stdout
    assert "\x1b" not in out


def test_table_shows_labels_literally(kl, evil_files):
    out = kl.ok(*evil_files, "--top", "0", env=WIDE).stdout
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "[bold]x[/]" in out  # not parsed as rich markup
    assert "\\x1b[31mred" in out
    assert "bell\\x07" in out
    assert "line\\nbreak" in out
    assert "a|b" in out and "c`d" in out


def test_table_labels_with_colour_forced(kl, evil_files):
    """With colours on, rich's own escape codes appear, but never the label's."""
    out = kl.ok(*evil_files, "--top", "0", env={**WIDE, "FORCE_COLOR": "1", "TERM": "xterm-256color"}).stdout
    assert "\x1b[" in out  # colour really is on, so the check below means something
    assert "\x1b[31mred" not in out
    assert "\x07" not in out
    assert "\\x1b[31mred" in out
    assert "[bold]x[/]" in out


def test_table_source_names_are_literal(kl):
    out = kl.ok("[red]a[/]=0.5,b=0.5", "[red]a[/]=0.4,b=0.6", env=WIDE).stdout
    assert "P ([red]a[/]=0.5,b=0.5)" in out


def test_table_explanation_shows_labels_like_the_category_column(kl):
    out = kl.ok("\x1b[31mred=0.8,b=0.2", "\x1b[31mred=0.1,b=0.9", env=WIDE).stdout
    assert "\\\\x1b" not in out
