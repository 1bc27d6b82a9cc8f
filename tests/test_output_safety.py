"""Output safety (issue 5, point 3): user text never controls the terminal,
never breaks a machine format and is never silently changed.

tests/test_render.py covers rich markup, ESC/BEL, newline, ``|`` and
backticks in ``compare``; this file adds CSI/OSC and C1 controls, tabs,
carriage returns, NUL/DEL, bidi marks (U+202E, U+200F), line separators and
10,000-character labels, in every format, in source names and on stderr,
and the same for ``drift`` and ``profile`` (column names and categories).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from helpers import describe, profile_counts, raw_controls, run, strict_json, unescaped_pipes

WIDE = {"COLUMNS": "200"}
COLOUR = {**WIDE, "FORCE_COLOR": "1", "TERM": "xterm-256color"}
LONG = "ж" * 10_000  # one distinctive character, so its count says whether the label was cut
LONG_COLUMN = "ш" * 10_000

# label -> how the terminal table must show it (escaped, never raw; markup literal)
NASTY = {
    "[red]x[/red]": "[red]x[/red]",
    "csi\x1b[2Jclear": "csi\\x1b[2Jclear",
    "c1\x9b31mred": "c1\\x9b31mred",
    "osc\x1b]0;t\x07": "osc\\x1b]0;t\\x07",
    "bell\x07": "bell\\x07",
    "nl\nbreak": "nl\\nbreak",
    "tab\there": "tab\\there",
    "cr\rret": "cr\\rret",
    "rlo\u202eevil": "rlo\\u202eevil",
    "rlm\u200fmark": "rlm\\u200fmark",
    "nul\x00byte": "nul\\x00byte",
    "del\x7fchar": "del\\x7fchar",
    "ls\u2028sep": "ls\\u2028sep",
    "pipe|x": "pipe|x",
    "tick`x": "tick`x",
}
# The raw sequences of the labels: none may reach stdout, even with colour on.
RAW = ["\x1b[2J", "\x9b", "\x1b]0", "\x07", "\r", "\t", "\u202e", "\u200f", "\x00", "\x7f", "\u2028"]
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colour codes


@pytest.fixture
def nasty_pair(write):
    labels = [*NASTY, LONG]
    p = {lab: i + 1 for i, lab in enumerate(labels)}
    q = {lab: len(labels) - i for i, lab in enumerate(labels)}
    q["only\x1b[5mq"] = 3
    return write("nasty_p.json", json.dumps(p)), write("nasty_q.json", json.dumps(q)), set(labels) | {"only\x1b[5mq"}


def no_raw_controls(text: str) -> None:
    assert raw_controls(text) == [], raw_controls(text)


# ---------------------------------------------------------------------------
# compare: the table


@pytest.mark.parametrize("env", [WIDE, {"COLUMNS": "80"}], ids=["wide", "narrow"])
def test_compare_table_shows_labels_visibly_and_cuts_long_ones(kl, nasty_pair, env):
    p, q, _ = nasty_pair
    out = kl.ok(p, q, "--top", "0", env=env).stdout
    no_raw_controls(out)
    if env is WIDE:  # at 80 columns rich folds the category cell: the escapes are there, but split
        for shown in NASTY.values():
            assert shown in out, shown  # markup shown, not applied; controls escaped
        assert "\\x1b[5mq" in out
        assert LONG[:29] + "…" in out  # the 10,000-character label is cut with an ellipsis...
    assert out.count("ж") < 200  # ...everywhere it appears (table, explanation)


def test_compare_table_with_colour_forced_never_passes_label_bytes(kl, nasty_pair):
    p, q, _ = nasty_pair
    out = kl.ok(p, q, "--top", "0", env=COLOUR).stdout
    assert "\x1b[" in out  # colour is really on
    for raw in RAW:
        assert raw not in out, repr(raw)
    no_raw_controls(SGR.sub("", out))
    assert out.count("ж") < 200


def test_source_names_are_shown_visibly(kl, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "./src\x1b[31m[bold]name\u202e.json"
    (tmp_path / name).write_text('{"a": 1, "b": 2}')
    table = kl.ok(name, "a=2,b=1", env=WIDE).stdout
    no_raw_controls(table)
    assert "src\\x1b[31m[bold]name\\u202e.json" in table
    data = kl.json(name, "a=2,b=1")
    assert data["p_source"] == f"P ({name})"  # exact in JSON
    md = kl.ok(name, "a=2,b=1", "--format", "markdown").stdout
    no_raw_controls(md)
    assert "\\[31m\\[bold\\]name" in md
    bad = tmp_path / "bad\x1b[2J\u202e.json"
    bad.write_text('{"a": -1}')
    line = kl.error(str(bad), "a=1", needles=["negative"])
    no_raw_controls(line)
    assert "bad\\x1b[2J\\u202e.json" in line


# ---------------------------------------------------------------------------
# compare: machine formats keep labels exact


def test_compare_json_keeps_labels_exact_and_is_strict(kl, nasty_pair):
    p, q, labels = nasty_pair
    result, data = kl.report(p, q)
    assert result.stdout.isascii()
    assert {c["label"] for c in data["categories"]} == labels
    assert data["only_in_q"] == ["only\x1b[5mq"]
    assert LONG in {c["label"] for c in data["categories"]}


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_compare_csv_keeps_labels_exact(kl, write):
    labels = [lab for lab in NASTY if "\r" not in lab] + [LONG]  # a bare CR: see the test below
    p = write("p.json", json.dumps({lab: i + 1 for i, lab in enumerate(labels)}))
    q = write("q.json", json.dumps({lab: 2 for lab in labels}))
    rows = _csv_rows(kl.ok(p, q, "--format", "csv").stdout)
    assert rows[0] == ["label", "p", "q", "kl_pq", "kl_qp"]
    assert sorted(r[0] for r in rows[1:]) == sorted(labels)
    assert all(len(r) == 5 for r in rows)


def test_compare_csv_quotes_a_carriage_return(kl, write):
    p = write("p.json", json.dumps({"cr\rret": 1, "b": 1}))
    rows = _csv_rows(kl.ok(p, "b=1,cr\rret=1", "--format", "csv").stdout)
    assert {r[0] for r in rows[1:]} == {"cr\rret", "b"}
    assert all(len(r) == 5 for r in rows)


def test_compare_markdown_escapes_but_never_cuts(kl, nasty_pair):
    p, q, labels = nasty_pair
    out = kl.ok(p, q, "--format", "markdown", "--top", "0").stdout
    no_raw_controls(out)
    rows = [line for line in out.split("\n") if line.startswith("| ") and "|---" not in line]
    category_rows = [r for r in rows if not r.startswith("| metric") and "`" not in r.split("|")[2]]
    header = next(r for r in rows if r.startswith("| category"))
    body = rows[rows.index(header) + 1 :]
    assert len(body) == len(labels)  # a newline in a label did not split a row
    width = unescaped_pipes(header)
    assert all(unescaped_pipes(r) == width for r in body), [r[:80] for r in body]
    assert category_rows
    cells = "\n".join(body)
    assert "\\[red\\]x\\[/red\\]" in cells
    assert "pipe\\|x" in cells and "tick\\`x" in cells
    assert "rlo\\u202eevil" in cells and "tab\\there" in cells and "nl\\nbreak" in cells
    assert LONG in cells  # exact: not cut with an ellipsis


def test_compare_value_format_is_only_the_number(kl, nasty_pair):
    p, q, _ = nasty_pair
    out = kl.ok(p, q, "--format", "value", "--metric", "js_distance").stdout
    assert re.fullmatch(r"\d+\.\d+(e-?\d+)?\n", out), out


# ---------------------------------------------------------------------------
# compare: stderr


def test_warnings_with_nasty_labels_are_visible_and_short(kl):
    dup = ",".join(f"{lab}=1" for lab in ["csi\x1b[2Jclear", "csi\x1b[2Jclear", "rlo\u202eevil", "rlo\u202eevil"])
    result = kl.ok(dup, "a=1", "--format", "json")
    assert "duplicate" in result.stderr
    no_raw_controls(result.stderr)
    assert "csi\\x1b[2Jclear" in result.stderr and "rlo\\u202eevil" in result.stderr


def test_errors_with_nasty_or_long_labels_are_one_short_visible_line(kl, write):
    long_negative = write("neg.json", json.dumps({LONG: -1, "b": 1}))
    line = kl.error(long_negative, "a=1", needles=["negative", "neg.json"])
    assert len(line) < 400 and line.count("ж") < 100
    assert LONG[:20] in line and "…" in line
    rlo = write("rlo.json", json.dumps({"rlo\u202eevil\u200f": "x", "b": 1}))
    line = kl.error(rlo, "a=1", needles=["rlo.json"])
    no_raw_controls(line)
    line = kl.error("a=\x1b[2J\x07,b=1", "a=1")
    no_raw_controls(line)
    assert "\\x1b[2J\\x07" in line


# ---------------------------------------------------------------------------
# drift and profile: column names and category values

DRIFT_COLUMNS = ["[red]col[/red]", "esc\x1b[2Jcol", "rlo\u202ecol", "tab\tcol", "nl\ncol", "pipe|col", LONG_COLUMN]
DRIFT_VALUES = [lab for lab in NASTY if "\x00" not in lab] + [LONG]


def _drift_files(tmp_path, values: list[str] = DRIFT_VALUES) -> tuple[str, str]:
    paths = []
    for name, shift in (("ref.csv", 0), ("cur.csv", 5)):
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)  # CR inside quotes
        writer.writerow(DRIFT_COLUMNS)
        for i in range(80):
            # The current data favours other values: every column drifts a little.
            writer.writerow([values[(i * (j + 1) + shift * (i % 3)) % len(values)] for j in range(7)])
        path = tmp_path / name
        path.write_text(buf.getvalue(), encoding="utf-8")
        paths.append(str(path))
    return paths[0], paths[1]


@pytest.fixture
def drift_files(tmp_path):
    return _drift_files(tmp_path)


def _ok(result):
    assert result.exit_code in (0, 1), describe(result)
    assert "Traceback" not in result.stderr
    no_raw_controls(result.stderr)
    return result.stdout


@pytest.mark.parametrize("extra", [[], ["--permutations", "20", "--seed", "1"]], ids=["plain", "permutations"])
def test_drift_table_is_safe(drift_files, extra):
    ref, cur = drift_files
    out = _ok(run("drift", ref, cur, "--threshold", "0.01", *extra, env=WIDE))
    no_raw_controls(out)
    assert "[red]col[/red]" in out
    assert "esc\\x1b[2Jcol" in out and "rlo\\u202ecol" in out
    coloured = _ok(run("drift", ref, cur, "--threshold", "0.01", *extra, env=COLOUR))
    assert "\x1b[" in coloured
    for raw in RAW:
        assert raw not in coloured, repr(raw)


def test_drift_table_cuts_long_names_and_values(drift_files):
    ref, cur = drift_files
    out = _ok(run("drift", ref, cur, "--threshold", "0.01", env=WIDE))
    assert out.count("ш") < 200 and out.count("ж") < 200, (out.count("ш"), out.count("ж"))
    assert "…" in out


def test_drift_table_with_resampling_cuts_long_names_and_values(drift_files):
    ref, cur = drift_files
    out = _ok(run("drift", ref, cur, "--threshold", "0.01", "--permutations", "20", "--seed", "1", env=WIDE))
    assert out.count("ш") < 200 and out.count("ж") < 200, (out.count("ш"), out.count("ж"))


def test_drift_detail_of_a_nasty_column_is_safe(drift_files):
    ref, cur = drift_files
    out = _ok(run("drift", ref, cur, "--detail", "esc\x1b[2Jcol", env=WIDE))
    no_raw_controls(out)
    assert "csi\\x1b[2Jclear" in out
    assert out.count("ж") < 200


def test_drift_json_keeps_names_and_values_exact(drift_files):
    ref, cur = drift_files
    data = strict_json(_ok(run("drift", ref, cur, "--format", "json")))
    assert [c["column"] for c in data["columns"]] == DRIFT_COLUMNS
    tops = {t["label"] for c in data["columns"] for t in c["top"]}
    assert tops <= {*DRIFT_VALUES, "(missing)"} and tops & set(DRIFT_VALUES)
    prof = strict_json(run("profile", ref, "-o", "-").stdout)
    assert set(profile_counts(prof["columns"]["tab\tcol"])) == {*DRIFT_VALUES, "(missing)"}  # every value exact


def test_drift_csv_keeps_names_exact(tmp_path):
    values = [v for v in DRIFT_VALUES if "\r" not in v]  # a bare CR: see the test below
    ref, cur = _drift_files(tmp_path, values)
    rows = _csv_rows(_ok(run("drift", ref, cur, "--format", "csv")))
    assert [r[0] for r in rows[1:]] == DRIFT_COLUMNS
    assert all(len(r) == len(rows[0]) for r in rows)
    assert {r[10] for r in rows[1:]} <= {*values, "(missing)"}


def test_drift_csv_quotes_a_carriage_return(tmp_path):
    ref = tmp_path / "ref.csv"
    ref.write_text('c\n"cr\rret"\n"cr\rret"\nb\n', encoding="utf-8", newline="")
    cur = tmp_path / "cur.csv"
    cur.write_text('c\n"cr\rret"\nb\nb\n', encoding="utf-8", newline="")
    rows = _csv_rows(_ok(run("drift", str(ref), str(cur), "--format", "csv")))
    assert len(rows) == 2 and len(rows[1]) == len(rows[0]), rows
    assert rows[1][10] in ("cr\rret", "b")


def test_drift_markdown_escapes_but_never_cuts(drift_files):
    ref, cur = drift_files
    out = _ok(run("drift", ref, cur, "--format", "markdown"))
    no_raw_controls(out)
    rows = [line for line in out.split("\n") if line.startswith("| ")]
    header, body = rows[0], rows[1:]
    assert len(body) == len(DRIFT_COLUMNS)  # the newline in a name did not split a row
    width = unescaped_pipes(header)
    assert all(unescaped_pipes(r) == width for r in body)
    assert "\\[red\\]col\\[/red\\]" in out and "pipe\\|col" in out and "nl\\ncol" in out
    assert LONG_COLUMN in out  # exact


def test_profile_json_keeps_names_exact(drift_files):
    ref, _ = drift_files
    result = run("profile", ref, "-o", "-")
    assert result.exit_code == 0, describe(result)
    assert result.stdout.isascii()
    data = strict_json(result.stdout)
    assert list(data["columns"]) == DRIFT_COLUMNS
    counts = profile_counts(data["columns"]["esc\x1b[2Jcol"])
    assert set(counts) == {*DRIFT_VALUES, "(missing)"}


def test_profile_and_drift_round_trip_nasty_names(drift_files, tmp_path):
    ref, cur = drift_files
    prof = tmp_path / "p.json"
    assert run("profile", ref, "-o", str(prof)).exit_code == 0
    direct = strict_json(_ok(run("drift", ref, cur, "--format", "json")))
    via = strict_json(_ok(run("drift", str(prof), cur, "--format", "json")))
    assert [c["value"] for c in via["columns"]] == [c["value"] for c in direct["columns"]]
    assert [c["column"] for c in via["columns"]] == DRIFT_COLUMNS
