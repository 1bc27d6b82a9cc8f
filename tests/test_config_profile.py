"""`kl-cli profile` reads drift's configuration file too: the keys that shape a profile.

The README's recommended CI setup (a profile of the reference, then drift
against it, one pyproject.toml for both) must agree with drift run on the
raw reference data, column by column. Also: errors about a file's columns
name the file and key, a bins rule on a categorical column is refused, a
pyproject without [tool.kl-cli] is named so, -o and --config complete file
names, and -o never replaces a file that is not a kl-cli profile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SAMPLE_DATA, assert_one_line_error, by_column, run, strict_json

KL = [sys.executable, "-m", "kl_cli"]

# The README's example table (Configuration section), as a CI job has it.
README_TABLE = """
[tool.kl-cli.drift]
metric = "js_distance"
threshold = 0.1
bins = 10
exclude = ["order_id"]

[tool.kl-cli.drift.columns.basket_value]
threshold = 0.25
bins = 20
[tool.kl-cli.drift.columns.rating]
type = "categorical"
metric = "hellinger"
[tool.kl-cli.drift.columns.channel]
ignore = true
"""


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CI checkout: sample_data/ and a pyproject.toml, the current folder."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    shutil.copytree(SAMPLE_DATA, folder / "sample_data")
    monkeypatch.chdir(folder)
    return folder


def _pyproject(folder: Path, body: str) -> None:
    (folder / "pyproject.toml").write_text('[project]\nname = "demo"\n' + body, encoding="utf-8")


def _json(*args: str) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    return strict_json(result.stdout)


def test_the_readmes_ci_setup_works_and_agrees_with_drift_on_the_raw_data(checkout: Path):
    _pyproject(checkout, README_TABLE)
    made = run("profile", "sample_data/reference.csv", "-o", "reference.profile.json")
    assert made.exit_code == 0, made.stderr
    profile = json.loads(Path("reference.profile.json").read_text())
    assert "order_id" not in profile["columns"] and "channel" not in profile["columns"]
    assert len(profile["columns"]["basket_value"]["edges"]) + 1 == 20  # the column's own bins
    assert len(profile["columns"]["age"]["edges"]) + 1 <= 10
    assert profile["columns"]["rating"]["type"] == "categorical"
    via_profile = by_column(_json("drift", "reference.profile.json", "sample_data/current.csv"))
    raw = by_column(_json("drift", "sample_data/reference.csv", "sample_data/current.csv"))
    assert set(via_profile) == set(raw)
    for name in raw:
        assert via_profile[name].get("metrics") == raw[name].get("metrics"), name
        assert via_profile[name].get("drifted") == raw[name].get("drifted"), name
    assert via_profile["rating"]["rule"]["metric"] == "hellinger"
    # the update flow keeps working with the configuration: rows are added, bins kept
    again = run("profile", "reference.profile.json", "sample_data/current.csv", "-o", "reference.profile.json")
    assert again.exit_code == 0, again.stderr
    updated = json.loads(Path("reference.profile.json").read_text())
    assert updated["rows"] == profile["rows"] + 2500
    assert updated["columns"]["basket_value"]["edges"] == profile["columns"]["basket_value"]["edges"]


def test_profile_follows_the_precedence_and_skips_the_judging_keys(checkout: Path):
    # judging keys (even values profile never checks) are not profile's business
    _pyproject(checkout, "[tool.kl-cli.drift]\nbins = 4\nthreshold = 0.3\nmax-drift-share = 0.5\nsignificance = 0.01\n")
    made = run("profile", "sample_data/reference.csv", "-o", "p.json")
    assert made.exit_code == 0, made.stderr
    assert json.loads(Path("p.json").read_text())["options"]["bins"] == 4
    typed = run("profile", "sample_data/reference.csv", "--bins", "7", "-o", "p.json")  # command line > file
    assert typed.exit_code == 0, typed.stderr
    assert json.loads(Path("p.json").read_text())["options"]["bins"] == 7
    none = run("profile", "sample_data/reference.csv", "--no-config", "-o", "p.json")  # default
    assert none.exit_code == 0, none.stderr
    assert json.loads(Path("p.json").read_text())["options"]["bins"] == 10
    Path("other.toml").write_text("[drift]\nbins = 5\n", encoding="utf-8")
    given = run("profile", "sample_data/reference.csv", "--config", "other.toml", "-o", "p.json")
    assert given.exit_code == 0, given.stderr
    assert json.loads(Path("p.json").read_text())["options"]["bins"] == 5
    unknown = run("profile", "sample_data/reference.csv", "--config", "bad.toml", "-o", "p.json")
    assert_one_line_error(unknown, ["bad.toml", "no such file"])


@pytest.mark.parametrize("command", ["drift", "profile"])
@pytest.mark.parametrize(
    ("body", "needles"),
    [
        ('[tool.kl-cli.drift]\ncolumns = ["nope"]\n', ["pyproject.toml [tool.kl-cli.drift] columns", "'nope'"]),
        ('[tool.kl-cli.drift]\nnumeric = ["plan"]\n', ["pyproject.toml [tool.kl-cli.drift] numeric", "'plan'"]),
        ('[tool.kl-cli.drift]\ncategorical = ["nope"]\n', ["pyproject.toml [tool.kl-cli.drift] categorical"]),
        (
            '[tool.kl-cli.drift.columns.plan]\ntype = "numeric"\n',
            ["pyproject.toml [tool.kl-cli.drift.columns.plan] type", "'plan'", "text"],
        ),
    ],
)
def test_errors_about_a_files_columns_name_the_file_and_key(checkout: Path, command: str, body: str, needles: list):
    _pyproject(checkout, body)
    args = (
        ["sample_data/reference.csv", "sample_data/current.csv"]
        if command == "drift"
        else [
            "sample_data/reference.csv",
            "-o",
            "p.json",
        ]
    )
    error = run(command, *args)
    line = assert_one_line_error(error, needles)
    assert "--columns" not in line and "--numeric" not in line and "--categorical" not in line
    assert not Path("p.json").exists()


@pytest.mark.parametrize("command", ["drift", "profile"])
@pytest.mark.parametrize(
    "body",
    [
        "[tool.kl-cli.drift.columns.region]\nbins = 5\n",  # text: categorical
        "[tool.kl-cli.drift.columns.rating]\nbins = 5\n",  # five numbers: categorical by default
        '[tool.kl-cli.drift.columns.age]\nbins = 5\ntype = "categorical"\n',  # typed categorical
    ],
)
def test_bins_on_a_categorical_column_is_an_error(checkout: Path, command: str, body: str):
    _pyproject(checkout, body)
    column = body.split("columns.")[1].split("]")[0]
    args = (
        ["sample_data/reference.csv", "sample_data/current.csv"]
        if command == "drift"
        else [
            "sample_data/reference.csv",
            "-o",
            "p.json",
        ]
    )
    assert_one_line_error(
        run(command, *args),
        [f"pyproject.toml [tool.kl-cli.drift.columns.{column}] bins", "categorical", 'type = "numeric"'],
    )


def test_a_bins_rule_on_a_numeric_typed_column_bins_it(checkout: Path):
    _pyproject(checkout, '[tool.kl-cli.drift.columns.rating]\nbins = 3\ntype = "numeric"\n')
    rating = by_column(_json("drift", "sample_data/reference.csv", "sample_data/current.csv"))["rating"]
    assert rating["type"] == "numeric"
    assert len([t for t in rating["top"] if t["label"] != "(missing)"]) <= 3


def test_a_pyproject_without_a_kl_cli_table_is_named_so(checkout: Path):
    folder = checkout / "elsewhere"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (folder / "build.toml").write_text('[build-system]\nrequires = ["x"]\n', encoding="utf-8")
    for name in ("pyproject.toml", "build.toml"):
        error = run("drift", "sample_data/reference.csv", "sample_data/current.csv", "--config", f"elsewhere/{name}")
        line = assert_one_line_error(error, [f"elsewhere/{name}", "no [tool.kl-cli] table"])
        assert "unknown key" not in line
    (folder / "pyproject.toml").write_text("", encoding="utf-8")  # named pyproject.toml: a pyproject, even empty
    error = run("profile", "sample_data/reference.csv", "--config", "elsewhere/pyproject.toml", "-o", "p.json")
    assert_one_line_error(error, ["no [tool.kl-cli] table"])


def _complete(words: str, cword: int, cwd: Path) -> list[str]:
    env = {**os.environ, "_KL_CLI_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    proc = subprocess.run(KL, env=env, cwd=cwd, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode().splitlines()


def test_config_and_output_complete_file_names(checkout: Path):
    assert _complete("kl-cli drift a.csv b.csv --config conf", 5, checkout) == ["file,conf"]
    assert _complete("kl-cli profile a.csv -o out", 4, checkout) == ["file,out"]
    assert _complete("kl-cli profile a.csv --output out", 4, checkout) == ["file,out"]
    assert _complete("kl-cli profile a.csv --config conf", 4, checkout) == ["file,conf"]


def test_o_never_replaces_a_file_that_is_not_a_profile(checkout: Path):
    notes = Path("notes.txt")
    notes.write_text("my notes\n", encoding="utf-8")
    error = run("profile", "sample_data/reference.csv", "-o", "notes.txt")
    assert_one_line_error(
        error, ["notes.txt exists and is not a kl-cli profile: not replaced (remove it or choose another -o)"]
    )
    assert notes.read_text(encoding="utf-8") == "my notes\n"
    Path("other.json").write_text('{"format": "something else"}\n', encoding="utf-8")
    assert_one_line_error(run("profile", "sample_data/reference.csv", "-o", "other.json"), ["not a kl-cli profile"])
    assert json.loads(Path("other.json").read_text()) == {"format": "something else"}
    Path("empty.json").write_text("", encoding="utf-8")  # an empty file may be replaced
    made = run("profile", "sample_data/reference.csv", "-o", "empty.json")
    assert made.exit_code == 0, made.stderr
    first = json.loads(Path("empty.json").read_text())
    assert first["format"] == "kl-cli-profile"
    # an existing profile is replaced, also by a fresh one from data
    again = run("profile", "sample_data/current.csv", "-o", "empty.json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(Path("empty.json").read_text())["rows"] == 2500
