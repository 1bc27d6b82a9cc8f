"""drift's configuration file: [tool.kl-cli.drift] of a pyproject.toml, --config, --no-config.

Driven through the CLI from a temporary folder (monkeypatch.chdir), as a CI
job runs it from its checkout. Figures are checked against scipy's
Jensen-Shannon distance and a Hellinger distance computed here.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import pytest
from helpers import assert_one_line_error, by_column, run, strict_json, write_csv
from scipy.spatial.distance import jensenshannon

import kl_cli
import kl_cli.errors


def _data(folder: Path) -> tuple[str, str]:
    """ref.csv and cur.csv: ``x`` numbers 0..99 (current: 80 below 49.5),
    ``cat`` a/b 50/50 against 70/30, ``n5`` five numbers (categorical by
    default), ``mixed`` many numbers and one word (an error when counted)."""
    ref_rows = [[i, "a" if i % 2 else "b", i % 5 + 1, "oops" if i == 0 else i] for i in range(100)]
    cur_x = [*(i % 50 for i in range(80)), *(50 + i for i in range(20))]
    cur_rows = [[x, "a" if i < 70 else "b", i % 5 + 1, "oops" if i == 0 else i] for i, x in enumerate(cur_x)]
    header = ["x", "cat", "n5", "mixed"]
    return write_csv(folder / "ref.csv", header, ref_rows), write_csv(folder / "cur.csv", header, cur_rows)


JS_CAT = float(jensenshannon([0.5, 0.5], [0.7, 0.3], base=2))  # about 0.147: over 0.1, within 0.2
HELLINGER_CAT = math.sqrt(1 - (math.sqrt(0.5 * 0.7) + math.sqrt(0.5 * 0.3)))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with the data in it, the current folder."""
    folder = tmp_path / "project"
    folder.mkdir()
    _data(folder)
    monkeypatch.chdir(folder)
    return folder


def _pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\n\n' + body, encoding="utf-8")
    return path


def _drift(*args: str, data: str = "", exclude: bool = True) -> dict:
    """drift's JSON report of ref.csv and cur.csv (in folder ``data``), exit 0 or 1;
    with ``exclude``, the column ``mixed`` left out on the command line."""
    ref, cur = os.path.join(data, "ref.csv"), os.path.join(data, "cur.csv")
    result = run("drift", ref, cur, *(["--exclude", "mixed"] if exclude else []), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.stderr
    return strict_json(result.stdout)


# ---------------------------------------------------------------------------
# Where the file is found


def test_pyproject_is_found_from_a_subfolder_upwards(project: Path, monkeypatch: pytest.MonkeyPatch):
    _pyproject(project, '[tool.kl-cli.drift]\nthreshold = 0.2\nmetric = "js_distance"\n')
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    report = _drift(data="../..")
    assert report["config"] == os.path.join("..", "..", "pyproject.toml")
    assert report["threshold"] == 0.2
    cat = by_column(report)["cat"]
    assert cat["value"] == pytest.approx(JS_CAT, rel=1e-12)
    assert cat["drifted"] is False
    assert cat["rule"]["source"] == "../../pyproject.toml [tool.kl-cli.drift]"


def test_without_a_file_everything_is_default(project: Path):
    report = _drift()
    assert report["config"] is None
    cat = by_column(report)["cat"]
    assert cat["rule"] == {"threshold": 0.1, "metric": "js_distance", "source": "default", "own": {}}
    assert cat["drifted"] is True  # JS_CAT is over 0.1


def test_a_pyproject_without_a_kl_cli_table_is_passed_over(project: Path, monkeypatch: pytest.MonkeyPatch):
    _pyproject(project, "[tool.kl-cli.drift]\nthreshold = 0.2\n")
    sub = project / "sub"
    sub.mkdir()
    _pyproject(sub, "[tool.other]\nx = 1\n")
    monkeypatch.chdir(sub)
    assert _drift(data="..")["config"] == os.path.join("..", "pyproject.toml")


def test_the_search_stops_at_a_git_repository_root(project: Path, monkeypatch: pytest.MonkeyPatch):
    _pyproject(project, "[tool.kl-cli.drift]\nthreshold = 0.2\n")
    repo = project / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    monkeypatch.chdir(repo / "src")
    report = _drift(data="../..")
    assert report["config"] is None
    assert report["threshold"] == 0.1


def test_a_pyproject_that_is_a_directory_is_passed_over(project: Path, monkeypatch: pytest.MonkeyPatch):
    _pyproject(project, "[tool.kl-cli.drift]\nthreshold = 0.2\n")
    sub = project / "sub"
    (sub / "pyproject.toml").mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert _drift(data="..")["threshold"] == 0.2


def test_config_wins_over_pyproject_which_is_then_not_read(project: Path):
    (project / "pyproject.toml").write_text("[tool.kl-cli.drift\nbroken", encoding="utf-8")
    (project / "ci.toml").write_text("[drift]\nthreshold = 0.3\n", encoding="utf-8")
    report = _drift("--config", "ci.toml")
    assert report["config"] == "ci.toml"
    assert report["threshold"] == 0.3
    assert by_column(report)["cat"]["rule"]["source"] == "threshold from ci.toml [drift], metric from default"


def test_config_may_be_a_pyproject(project: Path):
    other = project / "other"
    other.mkdir()
    _pyproject(other, '[tool.kl-cli.drift]\nthreshold = 0.25\nmetric = "js_distance"\n')
    report = _drift("--config", "other/pyproject.toml")
    assert report["threshold"] == 0.25
    assert by_column(report)["cat"]["rule"]["source"] == "other/pyproject.toml [tool.kl-cli.drift]"


def test_no_config_ignores_any_pyproject(project: Path):
    (project / "pyproject.toml").write_text("[tool.kl-cli.drift\nbroken", encoding="utf-8")
    report = _drift("--no-config")
    assert report["config"] is None and report["threshold"] == 0.1


# ---------------------------------------------------------------------------
# Precedence: command line > file > default


def test_top_level_keys_of_every_kind_apply(project: Path):
    _pyproject(
        project,
        "[tool.kl-cli.drift]\n"
        'metric = "hellinger"\nthreshold = 0.3\nbins = 2\nbinning = "uniform"\nbase = "e"\n'
        'max-drift-share = 0.5\nexclude = ["n5", "mixed"]\n',
    )
    report = _drift(exclude=False)
    assert (report["metric"], report["threshold"], report["base"], report["max_drift_share"]) == (
        "hellinger",
        0.3,
        "e",
        0.5,
    )
    cols = by_column(report)
    assert "n5" not in cols
    assert cols["cat"]["value"] == pytest.approx(HELLINGER_CAT, rel=1e-12)
    # two equal-width bins of 0..99: edge 49.5; the reference 50/50, the current 80/20
    assert cols["x"]["metrics"]["js_distance"] == pytest.approx(jensenshannon([0.5, 0.5], [0.8, 0.2]), rel=1e-12)


@pytest.mark.parametrize(
    ("key", "file_value", "option", "report_key", "expected"),
    [
        ("threshold", "0.3", ["--threshold", "0.05"], "threshold", 0.05),
        ("metric", '"hellinger"', ["--metric", "total_variation"], "metric", "total_variation"),
        ("base", '"e"', ["--base", "10"], "base", "10"),
        ("max-drift-share", "0.9", ["--max-drift-share", "0.2"], "max_drift_share", 0.2),
    ],
)
def test_command_line_wins_over_the_file(project: Path, key, file_value, option, report_key, expected):
    _pyproject(project, f"[tool.kl-cli.drift]\n{key} = {file_value}\n")
    assert _drift()[report_key] != expected
    assert _drift(*option)[report_key] == expected


def test_command_line_bins_and_lists_win(project: Path):
    _pyproject(project, '[tool.kl-cli.drift]\nbins = 2\nbinning = "uniform"\nexclude = ["mixed"]\ncolumns = ["x"]\n')
    from_file = by_column(_drift(exclude=False))
    assert set(from_file) == {"x"}
    two_bins = from_file["x"]["metrics"]["js_distance"]
    typed = by_column(_drift("--bins", "4", "--exclude", "n5", "--columns", "x,cat", exclude=False))
    assert set(typed) == {"x", "cat"}
    # four equal-width bins of 0..99 (edges 24.75, 49.5, 74.25): the current has 50, 30, 20, 0 of 100
    expected = jensenshannon([0.25, 0.25, 0.25, 0.25], [0.5, 0.3, 0.2, 0.0], base=2)
    assert typed["x"]["metrics"]["js_distance"] == pytest.approx(expected, rel=1e-12)
    assert two_bins != pytest.approx(expected)


def test_command_line_threshold_metric_and_bins_win_over_a_columns_own(project: Path):
    _pyproject(
        project,
        '[tool.kl-cli.drift.columns.cat]\nthreshold = 0.2\nmetric = "hellinger"\n'
        "[tool.kl-cli.drift.columns.x]\nbins = 2\n",
    )
    own = by_column(_drift())
    assert own["cat"]["rule"]["threshold"] == 0.2 and own["cat"]["rule"]["metric"] == "hellinger"
    typed = by_column(_drift("--threshold", "0.12", "--metric", "js_distance", "--bins", "4"))
    assert typed["cat"]["rule"] == {"threshold": 0.12, "metric": "js_distance", "source": "option", "own": {}}
    assert typed["cat"]["value"] == pytest.approx(JS_CAT, rel=1e-12) and typed["cat"]["drifted"] is True
    assert typed["x"]["rule"]["own"] == {}
    assert len([n for n in typed["x"]["notes"] if "bins by" in n]) == 0


def test_command_line_type_wins_for_the_columns_it_names(project: Path):
    _pyproject(project, '[tool.kl-cli.drift.columns.n5]\ntype = "numeric"\n')
    assert by_column(_drift())["n5"]["type"] == "numeric"
    assert by_column(_drift("--categorical", "n5"))["n5"]["type"] == "categorical"


def test_significance_and_correction_from_the_file_apply_with_permutations(project: Path):
    _pyproject(project, '[tool.kl-cli.drift]\nsignificance = 0.01\ncorrection = "bonferroni"\n')
    plain = _drift()  # no test: the two keys wait for a run that has one
    assert plain["correction"] is None and plain["significance"] is None
    tested = _drift("--permutations", "49", "--seed", "1", "--columns", "cat")
    assert (tested["correction"], tested["significance"]) == ("bonferroni", 0.01)
    assert _drift("--permutations", "49", "--seed", "1", "--correction", "none")["correction"] == "none"


# ---------------------------------------------------------------------------
# Per-column rules in the pipeline


def test_a_columns_threshold_changes_its_verdict(project: Path):
    without = by_column(_drift("--no-config"))
    assert without["cat"]["drifted"] is True  # JS_CAT > 0.1
    _pyproject(project, "[tool.kl-cli.drift.columns.cat]\nthreshold = 0.2\n")
    report = _drift()
    cols = by_column(report)
    assert cols["cat"]["value"] == pytest.approx(JS_CAT, rel=1e-12) == without["cat"]["value"]
    assert cols["cat"]["drifted"] is False
    assert "threshold 0.2" in cols["cat"]["why"]
    assert cols["cat"]["rule"] == {
        "threshold": 0.2,
        "metric": "js_distance",
        "source": "threshold from pyproject.toml [tool.kl-cli.drift.columns.cat], metric from default",
        "own": {"threshold": 0.2},
    }
    assert cols["x"]["rule"]["threshold"] == 0.1 and cols["x"]["drifted"] == without["x"]["drifted"]
    assert report["threshold"] == 0.1


def test_a_columns_metric_judges_it(project: Path):
    _pyproject(project, '[tool.kl-cli.drift.columns.cat]\nmetric = "hellinger"\nthreshold = 0.2\n')
    cat = by_column(_drift())["cat"]
    assert cat["value"] == pytest.approx(HELLINGER_CAT, rel=1e-12)  # about 0.106: within 0.2
    assert cat["drifted"] is False
    assert cat["rule"]["source"] == "pyproject.toml [tool.kl-cli.drift.columns.cat]"
    assert cat["why"].startswith("hellinger ")


def test_ignore_skips_a_column_without_reading_it(project: Path):
    broken = run("drift", "ref.csv", "cur.csv", "--format", "json")  # mixed: many numbers and a word
    assert_one_line_error(broken, ["mixed"])
    _pyproject(project, "[tool.kl-cli.drift.columns.mixed]\nignore = true\n")
    result = run("drift", "ref.csv", "cur.csv", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    mixed = by_column(strict_json(result.stdout))["mixed"]
    assert mixed["skipped"] == "ignored by pyproject.toml"
    assert mixed["type"] == "skipped" and mixed["value"] is None and mixed["drifted"] is False
    assert mixed["rule"]["own"] == {"ignore": True}


def test_type_forces_numeric_and_categorical(project: Path):
    _pyproject(
        project,
        '[tool.kl-cli.drift.columns.n5]\ntype = "numeric"\n[tool.kl-cli.drift.columns.x]\ntype = "categorical"\n',
    )
    cols = by_column(_drift())
    assert cols["n5"]["type"] == "numeric"
    assert cols["n5"]["typed_by"] == "type = numeric in pyproject.toml [tool.kl-cli.drift.columns.n5]"
    assert cols["x"]["type"] == "categorical"
    # 100 categories of 1/100 against 80 of them (0..49 twice over 50 values) and 20 new
    p = [0.01] * 100
    q = [0.02 if i < 30 else 0.01 if i < 50 else 0.01 if i < 70 else 0.0 for i in range(100)]
    assert sum(q) == pytest.approx(1)
    assert cols["x"]["metrics"]["js_distance"] == pytest.approx(jensenshannon(p, q, base=2), rel=1e-12)


def test_bins_override_the_binning_of_one_column(project: Path):
    _pyproject(project, '[tool.kl-cli.drift]\nbinning = "uniform"\n[tool.kl-cli.drift.columns.x]\nbins = 2\n')
    x = by_column(_drift())["x"]
    assert x["metrics"]["js_distance"] == pytest.approx(jensenshannon([0.5, 0.5], [0.8, 0.2], base=2), rel=1e-12)
    assert {t["label"] for t in x["top"]} - {"(missing)"} == {"(-inf, 49.5]", "(49.5, inf)"}
    assert "2 bins by pyproject.toml [tool.kl-cli.drift.columns.x]" in x["notes"]
    ten = by_column(_drift("--no-config", "--binning", "uniform"))["x"]
    assert ten["metrics"]["js_distance"] != pytest.approx(x["metrics"]["js_distance"])


def test_a_profile_fixes_bins_and_types(project: Path):
    made = run("profile", "ref.csv", "--exclude", "mixed", "-o", "ref.profile.json")
    assert made.exit_code == 0, made.stderr
    _pyproject(project, "[tool.kl-cli.drift.columns.x]\nbins = 3\n")
    error = run("drift", "ref.profile.json", "cur.csv", "--exclude", "mixed")
    assert_one_line_error(error, ["pyproject.toml [tool.kl-cli.drift.columns.x]", "bins = 3", "10 bins"])
    # a profile built under the same configuration has those bins: drift agrees with it
    again = run("profile", "ref.csv", "--exclude", "mixed", "-o", "ref.profile.json")
    assert again.exit_code == 0, again.stderr
    ruled = by_column(strict_json(run("drift", "ref.profile.json", "cur.csv", "--format", "json").stdout))
    raw = by_column(_drift())
    assert ruled["x"]["metrics"] == raw["x"]["metrics"]
    made = run("profile", "ref.csv", "--exclude", "mixed", "--no-config", "-o", "ref.profile.json")
    assert made.exit_code == 0, made.stderr
    _pyproject(project, "[tool.kl-cli.drift.columns.x]\nbins = 10\nthreshold = 0.9\n")
    agreed = by_column(strict_json(run("drift", "ref.profile.json", "cur.csv", "--format", "json").stdout))
    assert agreed["x"]["rule"]["threshold"] == 0.9
    _pyproject(project, '[tool.kl-cli.drift.columns.x]\ntype = "categorical"\n')
    error = run("drift", "ref.profile.json", "cur.csv")
    assert_one_line_error(error, ["pyproject.toml [tool.kl-cli.drift.columns.x]", "type = categorical", "numeric"])
    _pyproject(project, "[tool.kl-cli.drift]\nbins = 4\n")
    error = run("drift", "ref.profile.json", "cur.csv")
    assert_one_line_error(error, ["--bins 10", "--bins 4", "pyproject.toml [tool.kl-cli.drift]"])


def test_the_python_api_takes_column_rules(project: Path):
    report = kl_cli.drift("ref.csv", "cur.csv", exclude="mixed", columns_config={"cat": {"threshold": 0.2}})
    cat = next(c for c in report.columns if c.column == "cat")
    assert cat.drifted is False and cat.threshold == 0.2
    assert report.to_dict()["columns"][1]["rule"]["own"] == {"threshold": 0.2}
    with pytest.raises(kl_cli.errors.UsageError, match="threshold"):
        kl_cli.drift("ref.csv", "cur.csv", columns_config={"cat": {"threshold": float("nan")}})
    with pytest.raises(kl_cli.errors.UsageError, match="unknown key"):
        kl_cli.drift("ref.csv", "cur.csv", columns_config={"cat": {"treshold": 0.2}})


# ---------------------------------------------------------------------------
# Every format states the rule and its source


def _with_rule(project: Path) -> None:
    _pyproject(project, '[tool.kl-cli.drift.columns.cat]\nthreshold = 0.2\nmetric = "hellinger"\n')


def test_csv_states_each_columns_rule(project: Path):
    _with_rule(project)
    result = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", "--format", "csv")
    rows = {r["column"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["cat"]["metric"] == "hellinger" and float(rows["cat"]["threshold"]) == 0.2
    assert float(rows["cat"]["value"]) == pytest.approx(HELLINGER_CAT, rel=1e-12)
    assert rows["cat"]["rule"] == "> 0.2, hellinger"
    assert rows["cat"]["rule_source"] == "pyproject.toml [tool.kl-cli.drift.columns.cat]"
    assert rows["x"]["rule"] == "" and rows["x"]["rule_source"] == "default"


def test_markdown_and_table_show_a_rule_column_only_when_a_column_has_its_own(project: Path):
    for fmt in ("markdown", "table"):
        plain = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", "--format", fmt).stdout
        assert "rule" not in plain
    _with_rule(project)
    markdown = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", "--format", "markdown").stdout
    header = next(line for line in markdown.splitlines() if line.startswith("| column"))
    assert "| rule |" in header and "| value |" in header  # columns judged by different metrics
    cat_row = next(line for line in markdown.splitlines() if line.startswith("| cat |"))
    assert "\\> 0.2, hellinger" in cat_row
    assert "pyproject.toml" in markdown and "columns.\\<name\\>" in markdown
    table = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", env={"COLUMNS": "100"}).stdout
    cat_line = next(line for line in table.splitlines() if line.startswith("cat "))
    assert "> 0.2, hellinger" in cat_line
    assert "rule: a column's own rule" in table and "pyproject.toml" in table


# ---------------------------------------------------------------------------
# Every error: one line naming the file and the key, exit 2

BAD_VALUES = [
    ('threshold = "high"', ["threshold", "must be a number", '"high"']),
    ("threshold = nan", ["threshold", "nan"]),
    ("threshold = -0.5", ["threshold", "-0.5", "x>=0"]),
    ("threshold = inf", ["threshold", "finite"]),
    ("threshold = true", ["threshold", "must be a number", "boolean"]),
    ('metric = "kl"', ["metric", "'kl' is not one of"]),
    ("metric = 3", ["metric", "must be a string"]),
    ("significance = 1.5", ["significance", "0<x<1"]),
    ('significance = "0.05"', ["significance", "must be a number"]),
    ('correction = "holmes"', ["correction", "holmes"]),
    ("bins = 0", ["bins", "1<=x<=10,000"]),
    ("bins = 2.5", ["bins", "must be a whole number"]),
    ("bins = 100000", ["bins", "10,000"]),
    ('binning = "log"', ["binning", "log"]),
    ("base = 3", ["base", "'3'"]),
    ("base = 2.0", ["base", "must be a string or a whole number"]),
    ("max-drift-share = 0", ["max-drift-share", "0<x<=1"]),
    ("max-drift-share = nan", ["max-drift-share", "nan"]),
    ("columns = [1, 2]", ["columns", "must be a string or an array of strings"]),
    ("exclude = 3", ["exclude", "must be a string or an array of strings"]),
    ("numeric = {a = 1}", ["numeric", "a table"]),
    ("categorical = [true]", ["categorical", "an array"]),
    ("treshold = 0.2", ["treshold", "unknown key"]),
    ("max_drift_share = 0.5", ["max_drift_share", "unknown key", "max-drift-share"]),
    ("permutations = 99", ["permutations", "unknown key"]),
    ("columns.cat = 3", ["[tool.kl-cli.drift.columns] cat", "must be a table"]),
    ("columns.cat.treshold = 0.2", ["[tool.kl-cli.drift.columns.cat] treshold", "unknown key"]),
    ('columns.cat.threshold = "0.2"', ["[tool.kl-cli.drift.columns.cat] threshold", "must be a number"]),
    ("columns.cat.threshold = nan", ["[tool.kl-cli.drift.columns.cat] threshold", "nan"]),
    ("columns.cat.threshold = -1", ["[tool.kl-cli.drift.columns.cat] threshold", "x>=0"]),
    ('columns.cat.metric = "kl"', ["[tool.kl-cli.drift.columns.cat] metric", "'kl'"]),
    ("columns.cat.bins = 0", ["[tool.kl-cli.drift.columns.cat] bins", "1<=x<=10,000"]),
    ('columns.cat.bins = "4"', ["[tool.kl-cli.drift.columns.cat] bins", "must be a whole number"]),
    ('columns.cat.type = "text"', ["[tool.kl-cli.drift.columns.cat] type", "'text'"]),
    ('columns.cat.ignore = "yes"', ["[tool.kl-cli.drift.columns.cat] ignore", "true or false"]),
    ("columns.ctt.threshold = 0.2", ["[tool.kl-cli.drift.columns.ctt]", "no column 'ctt'"]),
    ('columns."a b".ignore = true', ['[tool.kl-cli.drift.columns."a b"]', "no column 'a b'"]),
]


@pytest.mark.parametrize(("line", "needles"), BAD_VALUES)
def test_a_bad_key_or_value_is_one_line_naming_file_and_key(project: Path, line: str, needles: list[str]):
    _pyproject(project, f"[tool.kl-cli.drift]\n{line}\n")
    result = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed")
    message = assert_one_line_error(result, ["pyproject.toml", *needles])
    assert message.startswith("kl-cli: error: pyproject.toml")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("[tool.kl-cli.drift]\nthreshold = 0.2\nthreshold = 0.3\n", ["pyproject.toml: line 3: invalid TOML"]),
        ("[project]\nname = 'x'\n\n[tool.kl-cli.drift\n", ["pyproject.toml: line 4: invalid TOML"]),
        ('[tool]\nkl-cli = "on"\n', ["pyproject.toml: [tool] kl-cli: must be a table"]),
        ("[tool.kl-cli]\ndrift = 1\n", ["pyproject.toml: [tool.kl-cli] drift: must be a table"]),
        ("[tool.kl-cli.drfit]\nthreshold = 1\n", ["pyproject.toml: [tool.kl-cli] drfit: unknown key"]),
    ],
)
def test_a_malformed_file_is_one_line_with_its_line(project: Path, text: str, needles: list[str]):
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    assert_one_line_error(run("drift", "ref.csv", "cur.csv"), needles)


def test_a_config_file_that_cannot_be_read(project: Path):
    cases = {
        "missing.toml": "missing.toml: no such file",
        "folder": "folder: is a directory",
        "big.toml": "big.toml: larger than 1 MiB",
        "latin1.toml": "latin1.toml: line 2: not UTF-8",
    }
    (project / "folder").mkdir()
    (project / "big.toml").write_text("# " + "x" * (1 << 20) + "\n", encoding="utf-8")
    (project / "latin1.toml").write_bytes(b"[drift]\n# caf\xe9\n")
    if hasattr(os, "mkfifo"):
        os.mkfifo(project / "fifo.toml")
        cases["fifo.toml"] = "fifo.toml: is not a regular file"
    for name, needle in cases.items():
        assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", name), [needle])


def test_config_and_no_config_together_is_a_usage_error(project: Path):
    (project / "ci.toml").write_text("[drift]\n", encoding="utf-8")
    assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", "ci.toml", "--no-config"), ["--no-config"])
    assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", ""), ["--config", "empty"])


def test_a_config_file_of_its_own_names_its_keys_without_the_tool_prefix(project: Path):
    (project / "ci.toml").write_text("[drift]\nthreshold = -1\n", encoding="utf-8")
    assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", "ci.toml"), ["ci.toml: [drift] threshold:"])
    (project / "ci.toml").write_text("[profile]\nbins = 3\n", encoding="utf-8")
    assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", "ci.toml"), ["ci.toml: profile: unknown key"])
    (project / "ci.toml").write_text("[tool.ruff]\nline-length = 3\n", encoding="utf-8")
    assert_one_line_error(run("drift", "ref.csv", "cur.csv", "--config", "ci.toml"), ["no [tool.kl-cli] table"])


def test_a_file_type_contradicting_the_files_own_lists_is_an_error(project: Path):
    _pyproject(project, '[tool.kl-cli.drift]\nnumeric = ["n5"]\n[tool.kl-cli.drift.columns.n5]\ntype = "categorical"\n')
    error = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed")
    # the file's own list is named as the file spells it (the user typed no --numeric)
    assert_one_line_error(error, ["columns.n5", "pyproject.toml [tool.kl-cli.drift] numeric names column 'n5'"])
    assert "--numeric" not in error.stderr


def test_a_negative_threshold_option_is_refused_too():
    assert_one_line_error(run("drift", "a.csv", "b.csv", "--threshold", "-0.1"), ["--threshold", "x>=0"])


def test_the_ci_formats_judge_each_column_by_its_own_rule(project: Path):
    """junit properties and github annotations carry the column's threshold and metric, not the command's."""
    import xml.etree.ElementTree as ET

    _pyproject(project, '[tool.kl-cli.drift.columns.cat]\nmetric = "hellinger"\nthreshold = 0.05\n')
    junit = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", "--format", "junit")
    assert junit.exit_code == 1, junit.stderr
    cases = {c.get("name"): c for c in ET.fromstring(junit.stdout).iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["cat"].iter("property")}
    assert props["metric"] == "hellinger" and float(props["threshold"]) == 0.05
    assert float(props["value"]) == pytest.approx(HELLINGER_CAT, rel=1e-12)
    assert props["rule_source"] == "pyproject.toml [tool.kl-cli.drift.columns.cat]"
    assert cases["cat"].find("failure") is not None
    x_props = {p.get("name"): p.get("value") for p in cases["x"].iter("property")}
    assert x_props["metric"] == "js_distance" and float(x_props["threshold"]) == 0.1
    github = run("drift", "ref.csv", "cur.csv", "--exclude", "mixed", "--format", "github")
    line = next(x for x in github.stdout.splitlines() if "column cat" in x)
    assert "hellinger" in line and "threshold 0.05" in line
