"""drift's CI formats (issue 14): --format junit (JUnit XML, validated against
tests/schemas/junit.xsd with lxml and parsed by the standard library) and
--format github (workflow-command annotations, byte for byte, and the job
summary appended to the file GITHUB_STEP_SUMMARY names)."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers import SAMPLE_DATA, by_column, describe, raw_controls, run, strict_json
from lxml import etree
from scipy.spatial.distance import jensenshannon

from kl_cli.text import visible

REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
DRIFTED = {"plan", "basket_value", "channel"}
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "schemas" / "junit.xsd")))
LIMIT = 1_048_576


def junit(text: str) -> ET.Element:
    """The document validated against the schema (lxml) and parsed by the standard library."""
    assert text.isascii()
    doc = etree.fromstring(text.encode("ascii"))
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return ET.fromstring(text)


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path.name


def dataset(tmp_path: Path, columns: dict[str, tuple[list[str], list[str]]]) -> tuple[str, str]:
    """ref.jsonl and cur.jsonl in tmp_path (the working folder) with these
    columns' reference and current cells (JSON lines keep keys exact)."""
    sides = []
    for side, name in ((0, "ref.jsonl"), (1, "cur.jsonl")):
        n = len(next(iter(columns.values()))[side])
        rows = [{col: cells[side][i] for col, cells in columns.items()} for i in range(n)]
        sides.append(write_jsonl(tmp_path / name, rows))
    return sides[0], sides[1]


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------------------
# JUnit


def props(case: ET.Element) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in case.find("properties")}


def test_junit_sample_data_validates_and_agrees_with_json():
    result = run("drift", REFERENCE, CURRENT, "--format", "junit")
    assert result.exit_code == 1, describe(result)
    root = junit(result.stdout)
    report = by_column(strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout))
    assert root.tag == "testsuites"
    (suite,) = root
    assert suite.get("name") == CURRENT
    for element in (root, suite):
        assert {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
            "tests": "7",
            "failures": "3",
            "errors": "0",
            "skipped": "1",
        }
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(report)
    for case in cases:
        col = report[case.get("name")]
        assert case.get("classname") == CURRENT
        p = props(case)
        assert p["metric"] == "js_distance" and float(p["threshold"]) == 0.1
        failure, skipped = case.find("failure"), case.find("skipped")
        if col["skipped"]:
            assert skipped.get("message") == col["skipped"] and failure is None
            assert "value" not in p
            continue
        assert float(p["value"]) == col["value"]  # the exact figure, round-tripped
        assert "p_value" not in p and "p_adjusted" not in p and "correction" not in p
        if col["drifted"]:
            assert case.get("name") in DRIFTED
            assert failure.get("type") == "drift" and failure.get("message") == col["why"]
            lines = failure.text.split("\n")
            assert lines[0] == col["why"]
            assert len(lines) == 2 + len(col["top"])
            for line, top in zip(lines[2:], col["top"]):
                assert line.startswith(f"  {top['label']}: ")
        else:
            assert failure is None and skipped is None and case.find("error") is None
    assert "3 of 6 columns drifted: drift detected" in suite.find("system-out").text
    assert suite.find("system-err") is None


def test_junit_without_drift_exits_zero_and_has_no_failure():
    result = run("drift", REFERENCE, CURRENT, "--columns", "region,age,rating", "--format", "junit")
    assert result.exit_code == 0, describe(result)
    suite = junit(result.stdout).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "0", "0")
    assert suite.findall(".//failure") == []


def test_junit_properties_with_permutations_and_warnings_in_system_err():
    args = ("drift", REFERENCE, CURRENT, "--permutations", "9", "--seed", "1", "--correction", "bonferroni")
    result = run(*args, "--format", "junit")
    report = strict_json(run(*args, "--format", "json").stdout)
    assert result.exit_code == (1 if report["drift_detected"] else 0), describe(result)
    suite = junit(result.stdout).find("testsuite")
    cols = by_column(report)
    for case in suite.findall("testcase"):
        col, p = cols[case.get("name")], props(case)
        if col["skipped"]:
            continue
        assert float(p["p_value"]) == col["p_value"] and float(p["p_adjusted"]) == col["p_adjusted"]
        assert p["correction"] == "bonferroni"
    # 9 permutations are too few for any column after the correction: said on
    # stderr as always, and in the suite's system-err for the CI's reader.
    assert report["warnings"] and suite.find("system-err").text.split("\n") == [visible(w) for w in report["warnings"]]
    assert any("too few" in line for line in result.stderr.splitlines())


HOSTILE = ["50%: a,b\nc\rd", "<&\"']]>", "\x00nul\x1b[31m\t", "bidi\u202eé\ufffe\U0001f600"]


def test_junit_escapes_every_name_and_shows_what_xml_cannot_hold(here):
    columns = {name: (["x", "y"] * 20, ["100%"] * 30 + ["y"] * 10) for name in HOSTILE}
    columns["plain"] = (["a", "b"] * 20, ["a", "b"] * 20)
    ref, cur = dataset(here, columns)
    result = run("drift", ref, cur, "--format", "junit")
    assert result.exit_code == 1, describe(result)
    assert raw_controls(result.stdout) == []
    suite = junit(result.stdout).find("testsuite")
    names = [c.get("name") for c in suite.findall("testcase")]
    assert names == [visible(n) for n in columns]
    assert names[2] == "\\x00nul\\x1b[31m\\t" and names[3] == "bidi\\u202eé\\ufffe😀"
    for case in suite.findall("testcase")[:-1]:
        assert "  100%: 0% → 75%" in case.find("failure").text


def test_junit_columns_of_one_side_are_skipped_with_the_reason(here):
    ref = write_jsonl(here / "ref.jsonl", [{"a": "x", "gone": "1"}, {"a": "y", "gone": "2"}] * 5)
    cur = write_jsonl(here / "cur.jsonl", [{"a": "x", "new": "1"}, {"a": "y", "new": "1"}] * 5)
    result = run("drift", ref, cur, "--format", "junit")
    assert result.exit_code == 0, describe(result)
    suite = junit(result.stdout).find("testsuite")
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("3", "2", "0")
    skipped = {c.get("name"): c.find("skipped").get("message") for c in suite.findall("testcase")[1:]}
    assert skipped == {
        "gone": "only in the reference (not compared)",
        "new": "only in the current data (not compared)",
    }


# ---------------------------------------------------------------------------
# GitHub annotations, byte for byte


def test_github_annotation_escapes_byte_for_byte(here):
    name = "50%: a,b\nc\rd"
    ref, cur = dataset(here, {name: (["x", "y"] * 20, ["100%"] * 30 + ["y"] * 10)})
    value = float(jensenshannon([0.5, 0, 0.5], [0, 0.75, 0.25], base=2))  # x, 100%, y
    result = run("drift", ref, cur, "--format", "github")
    assert result.exit_code == 1, describe(result)
    assert result.stdout == (
        "::error title=Drift in column 50%25%3A a%2Cb\\nc\\rd of cur.jsonl::"
        f"js_distance {value:.4g} above threshold 0.1%0Alargest change: x: 50%25 → 0%25\n"
        # The run's warning (the plug-in bias at 40 rows) as an annotation, escaped as a message.
        "::warning title=kl-cli drift%3A cur.jsonl::column '50%25: a,b\\nc\\rd': js_distance 0.81 is above the "
        "threshold 0.1, but with no change at all it would be about 0.119 on average at these sample sizes (40 / 40 "
        "rows over 3 categories; the plug-in bias, from the chi-square approximation): noise alone can flag this "
        "column; more rows, fewer categories (group the rare ones), or --permutations N (the column is then judged "
        "by its p-value) make the verdict meaningful\n"
        "::notice title=kl-cli drift%3A cur.jsonl::1 of 1 column drifted: drift detected\n"
    )
    assert value == pytest.approx(0.8097154205210412, rel=1e-12)


def test_github_dataset_name_and_labels_are_property_escaped(here):
    cur_name = "day 1, 10:00%.jsonl"
    write_jsonl(here / "ref.jsonl", [{"c": "a,b:c"}, {"c": "d"}] * 10)
    write_jsonl(here / cur_name, [{"c": "d"}] * 20)
    result = run("drift", "ref.jsonl", cur_name, "--format", "github")
    assert result.exit_code == 1, describe(result)
    lines = result.stdout.split("\n")
    # the run's warnings (20 rows) follow the column's error, their title property-escaped as well
    warned = [line for line in lines if line.startswith("::warning ")]
    assert warned and all(w.startswith("::warning title=kl-cli drift%3A day 1%2C 10%3A00%25.jsonl::") for w in warned)
    first, notice = [line for line in lines if line and line not in warned]
    assert first.startswith("::error title=Drift in column c of day 1%2C 10%3A00%25.jsonl::js_distance ")
    # in the message, only %, CR and LF are escaped
    assert first.endswith("%0Alargest change: a,b:c: 50%25 → 0%25")
    assert notice == "::notice title=kl-cli drift%3A day 1%2C 10%3A00%25.jsonl::1 of 1 column drifted: drift detected"


def twelve_drifting(here: Path) -> dict[str, float]:
    """12 drifted columns (two pairs of equal ones) and a stable one; their values from the JSON report."""
    columns = {}
    for i, changed in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 4, 7]):
        columns[f"c{11 - i:02d}"] = (["a"] * 10, ["a"] * (10 - changed) + ["b"] * changed)
    columns["stable"] = (["a"] * 10, ["a"] * 10)
    ref, cur = dataset(here, columns)
    report = strict_json(run("drift", ref, cur, "--format", "json").stdout)
    return {c["column"]: c["value"] for c in report["columns"] if c["drifted"]}


def test_github_ten_largest_annotated_then_one_notice_of_the_rest(here):
    values = twelve_drifting(here)
    assert len(values) == 12
    result = run("drift", "ref.jsonl", "cur.jsonl", "--format", "github")
    assert result.exit_code == 1, describe(result)
    warnings = strict_json(run("drift", "ref.jsonl", "cur.jsonl", "--format", "json").stdout)["warnings"]
    assert len(warnings) > 10  # 10 rows a column: the run's warnings fill GitHub's 10 warnings too
    lines = result.stdout.split("\n")
    assert lines[-1] == "" and len(lines) == 22
    assert all(line.startswith("::warning title=kl-cli drift%3A cur.jsonl::") for line in lines[10:20])
    lines = lines[:10] + lines[20:]
    order = sorted(values, key=lambda c: (-values[c], c))
    assert order[:3] == ["c02", "c03", "c04"]  # 10, 9 and 8 of 10 cells changed
    assert order[3:5] == ["c00", "c05"] and values["c00"] == values["c05"]  # 7 each: a tie, by name
    for line, column in zip(lines[:10], order[:10]):
        assert line.startswith(f"::error title=Drift in column {column} of cur.jsonl::js_distance ")
    assert lines[10] == (
        "::notice title=kl-cli drift%3A cur.jsonl::12 of 13 columns drifted: drift detected; 2 more drifted "
        "columns are not annotated (GitHub shows at most 10 per step): the job summary or --format markdown "
        f"lists every column; {len(warnings) - 10} more warnings are not annotated (GitHub shows at most 10 "
        "warnings per step): the step's log (stderr) and the job summary list every warning"
    )


def test_github_without_drift_is_one_notice(here):
    # 40 rows over 2 categories: no small-sample warning either (a warning would be an annotation)
    ref, cur = dataset(here, {"a": (["x", "y"] * 20, ["y", "x"] * 20), "b": (["1"] * 40, ["1"] * 40)})
    result = run("drift", ref, cur, "--format", "github")
    assert result.exit_code == 0, describe(result)
    assert result.stdout == "::notice title=kl-cli drift%3A cur.jsonl::0 of 2 columns drifted: no drift\n"


def test_github_drift_below_the_share_is_warnings_and_passes(here):
    ref, cur = dataset(here, {"a": (["x"] * 10, ["y"] * 10), "b": (["1"] * 10, ["1"] * 10)})
    result = run("drift", ref, cur, "--format", "github", "--max-drift-share", "0.9")
    assert result.exit_code == 0, describe(result)
    warnings = strict_json(run("drift", ref, cur, "--format", "json").stdout)["warnings"]
    warning, *run_warnings, notice, end = result.stdout.split("\n")
    # the drifted column first, then the run's warnings (10 rows a side)
    assert len(run_warnings) == len(warnings)
    assert all(w.startswith("::warning title=kl-cli drift") for w in run_warnings)
    assert warning.startswith("::warning title=Drift in column a of cur.jsonl::js_distance 1 above threshold 0.1")
    assert notice == (
        "::notice title=kl-cli drift%3A cur.jsonl::1 of 2 columns drifted "
        "(drift when at least 90% of columns drift): no drift"
    ).replace("90%", "90%25")
    assert end == ""


# ---------------------------------------------------------------------------
# The job summary


def markdown_report(*args: str) -> bytes:
    result = run("drift", *args, "--format", "markdown")
    return result.stdout.encode("utf-8")


def test_summary_is_appended_and_what_was_there_stays(tmp_path):
    summary = tmp_path / "step_summary"
    before = "## Earlier step\n\nsome text, with ünïcode\n".encode()
    summary.write_bytes(before)
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1 and result.stderr == "", describe(result)
    assert result.stdout == run("drift", REFERENCE, CURRENT, "--format", "github").stdout
    assert summary.read_bytes() == before + b"\n" + markdown_report(REFERENCE, CURRENT)
    # a second step appends again
    run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    report = markdown_report(REFERENCE, CURRENT)
    assert summary.read_bytes() == before + b"\n" + report + b"\n" + report


def test_an_empty_summary_gets_the_report_alone(tmp_path):
    summary = tmp_path / "s"
    summary.write_bytes(b"")
    run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_bytes() == markdown_report(REFERENCE, CURRENT)


def test_other_formats_and_an_empty_variable_leave_the_summary_alone(tmp_path):
    summary = tmp_path / "s"
    summary.write_bytes(b"x")
    for fmt in ("table", "json", "csv", "markdown", "junit"):
        run("drift", REFERENCE, CURRENT, "--format", fmt, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_bytes() == b"x"
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": ""})
    assert result.exit_code == 1 and result.stderr == ""


def test_summary_that_fits_exactly_is_not_cut(tmp_path):
    report = markdown_report(REFERENCE, CURRENT)
    summary = tmp_path / "s"
    summary.write_bytes(b"y" * (LIMIT - len(report) - 1))  # "\n" + report fills it to the byte
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.stderr == "", describe(result)
    data = summary.read_bytes()
    assert len(data) == LIMIT and data.endswith(b"\n" + report)


def test_summary_near_the_limit_is_cut_at_a_line_with_a_note(tmp_path):
    report = markdown_report(REFERENCE, CURRENT)
    before = b"z" * (LIMIT - len(report))  # one byte too many for the whole report
    summary = tmp_path / "s"
    summary.write_bytes(before)
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1, describe(result)
    assert result.stderr.splitlines() == [
        f"kl-cli: warning: GITHUB_STEP_SUMMARY '{visible(str(summary))}': the drift report was cut to fit "
        "GitHub's 1 MiB limit on the job summary"
    ]
    data = summary.read_bytes()
    assert data.startswith(before) and len(data) <= LIMIT
    added = data[len(before) :].decode("utf-8")
    note = (
        "> The drift report was cut here: the job summary holds at most 1 MiB (GitHub's limit) and this step's "
        "summary had no room for the rest. Run the same `kl-cli drift` command with `--format markdown` (or "
        "`--format json`) for the full report.\n"
    )
    assert added.endswith("\n\n" + note)
    kept = added[1 : -len(note) - 1]  # after the blank line that separates it from what was there
    assert kept and kept.endswith("\n") and report.decode().startswith(kept)
    # as many lines as fit: the next one would not
    next_line = report.decode()[len(kept) :].split("\n")[0] + "\n"
    assert len(data) + len(next_line.encode()) > LIMIT


def test_a_full_summary_is_left_as_it_is_with_one_warning(tmp_path):
    summary = tmp_path / "s"
    summary.write_bytes(b"f" * (LIMIT - 10))
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1, describe(result)
    (line,) = result.stderr.splitlines()
    assert line.startswith("kl-cli: warning: GITHUB_STEP_SUMMARY ") and "already holds 1048566 bytes" in line
    assert summary.read_bytes() == b"f" * (LIMIT - 10)


def unwritable(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Summary paths kl-cli must not write, with what the warning says."""
    target = tmp_path / "elsewhere"
    target.write_bytes(b"not ours\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    return {
        "directory": (folder, "is a directory"),
        "symlink": (link, "is a symbolic link"),
        "missing": (tmp_path / "missing", "no such file or directory"),
        "fifo": (fifo, "no such device or address"),  # no reader: opening it never blocks
    }


def test_an_unwritable_summary_is_one_warning_and_the_check_stands(tmp_path):
    expected = run("drift", REFERENCE, CURRENT, "--format", "github")
    for what, (path, reason) in unwritable(tmp_path).items():
        result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(path)})
        assert result.exit_code == 1, (what, describe(result))
        assert result.stdout == expected.stdout, what
        assert result.stderr.splitlines() == [
            f"kl-cli: warning: GITHUB_STEP_SUMMARY '{visible(str(path))}': not written ({reason}); "
            "the drift check's result is unchanged"
        ], what
    assert (tmp_path / "elsewhere").read_bytes() == b"not ours\n"
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a read-only file anyway")
def test_a_read_only_summary_is_one_warning(tmp_path):
    summary = tmp_path / "s"
    summary.write_bytes(b"ro")
    summary.chmod(0o444)
    result = run("drift", REFERENCE, CURRENT, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1 and "permission denied" in result.stderr, describe(result)
    assert summary.read_bytes() == b"ro"


def test_an_unwritable_summary_leaves_a_passing_check_passing(tmp_path):
    result = run(
        "drift",
        REFERENCE,
        CURRENT,
        "--columns",
        "region,age,rating",
        "--format",
        "github",
        env={"GITHUB_STEP_SUMMARY": str(tmp_path)},
    )
    assert result.exit_code == 0, describe(result)
    assert result.stdout == "::notice title=kl-cli drift%3A " + CURRENT.replace(":", "%3A").replace(",", "%2C") + (
        "::0 of 3 columns drifted: no drift\n"
    )
    assert len(result.stderr.splitlines()) == 1 and "(is a directory)" in result.stderr


def test_the_schema_is_strict_enough_to_fail():
    good = run("drift", REFERENCE, CURRENT, "--format", "junit").stdout
    junit(good)
    bad = [
        good.replace('<testcase classname="', '<testcase nome="', 1),  # an unknown attribute, no name
        good.replace("<properties>", "<propertys>", 1).replace("</properties>", "</propertys>", 1),
        good.replace('tests="7"', 'tests="seven"', 1),
        good.replace("</testsuite>", "<testcase /></testsuite>", 1),  # a testcase after system-out
    ]
    for text in bad:
        assert text != good
        assert not SCHEMA.validate(etree.fromstring(text.encode("ascii"))), text[:300]


def test_a_real_process_reads_the_variable_and_writes_ascii_annotations(tmp_path):
    import subprocess
    import sys

    ref = write_jsonl(tmp_path / "ref.jsonl", [{"café": "x"}, {"café": "y"}] * 200)
    cur = write_jsonl(tmp_path / "cur.jsonl", [{"café": "y"}] * 400)
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"# before\n")
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = subprocess.run(
        [sys.executable, "-m", "kl_cli", "drift", ref, cur, "--format", "github"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == b""
    first = proc.stdout.decode("ascii").split("\n")[0]
    assert first.startswith("::error title=Drift in column caf\\xe9 of cur.jsonl::js_distance ")
    assert first.endswith("%0Alargest change: x: 50%25 -> 0%25")
    data = summary.read_bytes()
    assert data.startswith(b"# before\n\n### ") and "café".encode() in data
