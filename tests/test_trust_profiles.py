"""Profiles as untrusted input, and `profile -o` that never destroys data (issue 11).

A profile is checked completely when it is read (``profile.schema.json`` and
the rules it lists under ``x-kl-cli-rules``): every broken field is exit 2
and one line naming the file and the field, for drift and profile alike.
A profile is recognized by its content wherever it comes from. ``-o``
refuses the data files themselves and special files, writes through
symlinks, keeps the mode, and serializes concurrent updates.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import REPO, SAMPLE_DATA, assert_one_line_error, describe, run, strict_json, write_csv

from kl_cli.profiles.schema import profile_schema

REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
SCHEMA_FILE = REPO / "kl_cli" / "profiles" / "profile.schema.json"


@pytest.fixture(scope="module")
def profile_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The profile of the sample reference, as written by kl-cli."""
    path = tmp_path_factory.mktemp("profile") / "reference.profile.json"
    result = run("profile", REFERENCE, "-o", str(path))
    assert result.exit_code == 0, describe(result)
    return strict_json(path.read_text())


@pytest.fixture(scope="module")
def baseline_report(profile_doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("baseline") / "p.json"
    path.write_text(json.dumps(profile_doc))
    result = run("drift", str(path), CURRENT, "--format", "json")
    assert result.exit_code == 1, describe(result)  # the sample current data drifted
    return strict_json(result.stdout)


def drift_report(*args: str, input: str | bytes | None = None) -> dict[str, Any]:
    result = run("drift", *args, "--format", "json", input=input)
    assert result.exit_code == 1, describe(result)
    return strict_json(result.stdout)


def same_report(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two drift reports agree on every verdict, type and count, and on every
    number to rounding (a profile whose keys were reordered sums its counts in
    another order, so the last bit may differ); the sources aside."""
    if a["drift_detected"] != b["drift_detected"] or set(a["drifted_columns"]) != set(b["drifted_columns"]):
        return False
    ca, cb = ({c["column"]: c for c in r["columns"]} for r in (a, b))
    if ca.keys() != cb.keys():
        return False
    for name, col in ca.items():
        other = cb[name]
        if {k: v for k, v in col.items() if k not in ("metrics", "value")} != {
            k: v for k, v in other.items() if k not in ("metrics", "value")
        }:
            return False
        for key in ("metrics", "value"):
            x, y = col.get(key), other.get(key)
            pairs = [(x, y)] if not isinstance(x, dict) else [(x[m], y[m]) for m in x]
            if not all(
                u == v or (u is not None and v is not None and math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-15))
                for u, v in pairs
            ):
                return False
    return True


# ---------------------------------------------------------------------------
# Every broken field is refused, naming the file and the field

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return doc

    return mutate


def _shift_edges(doc: dict[str, Any]) -> dict[str, Any]:
    doc["columns"]["age"]["edges"] = [e + 0.5 for e in doc["columns"]["age"]["edges"]]
    return doc


def _drop_edge(doc: dict[str, Any]) -> dict[str, Any]:
    doc["columns"]["age"]["edges"].pop(3)
    return doc


def _swap_edges(doc: dict[str, Any]) -> dict[str, Any]:
    e = doc["columns"]["age"]["edges"]
    e[2], e[3] = e[3], e[2]
    return doc


def _repeat_edge(doc: dict[str, Any]) -> dict[str, Any]:
    e = doc["columns"]["age"]["edges"]
    e[3] = e[2]
    return doc


def _more_bins_than_options(doc: dict[str, Any]) -> dict[str, Any]:
    doc["options"]["bins"] = 4
    return doc


def _count_moved(doc: dict[str, Any]) -> dict[str, Any]:
    doc["columns"]["region"]["counts"]["north"] -= 1
    return doc


def _skipped_with_counts(doc: dict[str, Any]) -> dict[str, Any]:
    doc["columns"]["order_id"]["counts"] = {"a": 3000}
    return doc


def _pop(path: tuple[Any, ...]) -> Mutation:
    def mutate(doc: dict[str, Any]) -> dict[str, Any]:
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return doc

    return mutate


def _text(replace: str, by: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert replace in text
        return text.replace(replace, by, 1)

    return mutate


# (id, mutation of the document or of its text, words the error line must hold)
BROKEN: list[tuple[str, Any, tuple[str, ...]]] = [
    ("edges shifted by hand", _shift_edges, ("columns.age.counts", "not a bin")),
    ("an edge dropped", _drop_edge, ("columns.age.counts",)),
    ("edges out of order", _swap_edges, ("columns.age.edges[3]", "increase")),
    ("a repeated edge", _repeat_edge, ("columns.age.edges[3]", "increase")),
    ("more bins than --bins", _more_bins_than_options, ("columns.age.edges", "--bins 4")),
    ("type bogus", _set(("columns", "region", "type"), "bogus"), ("columns.region.type", '"bogus"')),
    ("a count true", _set(("columns", "region", "counts", "north"), True), ("columns.region.counts.north", "true")),
    (
        "a count as text",
        _set(("columns", "region", "counts", "north"), "839"),
        ("columns.region.counts.north", '"839"'),
    ),
    ("a negative count", _set(("columns", "plan", "counts", "pro"), -1), ("columns.plan.counts.pro", "at least 0")),
    ("a fractional count", _set(("columns", "plan", "counts", "pro"), 627.5), ("columns.plan.counts.pro", "integer")),
    ("fractional rows", _set(("rows",), 3000.5), ("rows", "integer")),
    ("rows out of step", _set(("rows",), 2999), ("columns", "2999")),
    ("a column's rows out of step", _set(("columns", "plan", "rows"), 3001), ("columns.plan.rows", "3000")),
    ("counts that do not add up", _count_moved, ("columns.region", "add up to 2999")),
    ("categorical as a string", _set(("options", "categorical"), "region"), ("options.categorical", "a list")),
    ("numeric list of numbers", _set(("options", "numeric"), [1]), ("options.numeric[0]", "a string")),
    ("repeated --categorical", _set(("options", "categorical"), ["a", "a"]), ("options.categorical[1]", "repeats")),
    ("bins zero", _set(("options", "bins"), 0), ("options.bins", "at least 1")),
    ("bins beyond the bound", _set(("options", "bins"), 10**6), ("options.bins", "at most")),
    ("binning unknown", _set(("options", "binning"), "magic"), ("options.binning", '"magic"')),
    ("columns a list", _set(("columns",), []), ("columns", "an object")),
    ("no columns", _set(("columns",), {}), ("columns", "at least 1")),
    ("a column a list", _set(("columns", "plan"), [1, 2]), ("columns.plan", "an object")),
    ("missing count absent", _pop(("columns", "plan", "missing")), ("columns.plan", "'missing'")),
    ("edges absent", _pop(("columns", "age", "edges")), ("columns.age", "'edges'")),
    ("edges on a categorical column", _set(("columns", "plan", "edges"), [1.0]), ("columns.plan", "'edges'")),
    ("an unknown field", _set(("colums",), {}), ("the document", "'colums'")),
    ("an unknown column field", _set(("columns", "plan", "count"), {}), ("columns.plan", "'count'")),
    ("sources not a list", _set(("sources",), "x.csv"), ("sources", "a list")),
    ("typed_by a number", _set(("columns", "plan", "typed_by"), 3), ("columns.plan.typed_by", "a string")),
    ("a skipped column with counts", _skipped_with_counts, ("columns.order_id", "skipped")),
    ("rows absent", _pop(("rows",)), ("the document", "'rows'")),
    ("options absent", _pop(("options",)), ("the document", "'options'")),
    ("format misspelt beside columns", _set(("format",), "kl-cli-profil"), ("format", '"kl-cli-profile"')),
    ("version 99", _set(("version",), 99), ("version 99",)),
    ("version as text", _set(("version",), "2"), ('version "2"',)),
    ("version absent", _pop(("version",)), ("version none",)),
    (
        "a duplicate count key",
        _text('"north": 839,', '"north": 839, "north": 839,'),
        ("columns.region.counts", "north"),
    ),
    ("a duplicate column", _text('"columns": {', '"columns": {"plan": {}, '), ("columns", "repeats the key")),
    ("a duplicate top-level key", _text('"rows": 3000,', '"rows": 3000, "rows": 3000,'), ("the document", "rows")),
    ("a 400-digit edge", _text('"edges": [', '"edges": [' + "9" * 400 + ", "), ("columns.age.edges[0]", "finite")),
    ("an edge 1e400", _text('"edges": [', '"edges": [-1e400, '), ("columns.age.edges[0]", "finite")),
    ("a 400-digit count", _text('"north": 839', '"north": ' + "9" * 400), ("columns.region.counts.north", "at most")),
    ("a NaN count", _text('"north": 839', '"north": NaN'), ("NaN",)),
]


def _broken_text(doc: dict[str, Any], mutation: Any) -> str:
    doc = copy.deepcopy(doc)
    if mutation.__name__ == "mutate" and mutation.__qualname__.startswith("_text"):
        return mutation(json.dumps(doc))
    return json.dumps(mutation(doc))


@pytest.mark.parametrize(("mutation", "needles"), [(m, n) for _, m, n in BROKEN], ids=[i for i, _, _ in BROKEN])
def test_a_broken_profile_is_one_line_naming_the_file_and_the_field(
    profile_doc: dict[str, Any], tmp_path: Path, mutation: Any, needles: tuple[str, ...]
) -> None:
    path = tmp_path / "broken.profile.json"
    path.write_text(_broken_text(profile_doc, mutation))
    for args in (("drift", str(path), CURRENT), ("profile", str(path), "-o", str(tmp_path / "out.json"))):
        line = assert_one_line_error(run(*args), (str(path), *needles))
        assert "internal error" not in line
    assert not (tmp_path / "out.json").exists()


# The cases that break a rule no JSON Schema can state (x-kl-cli-rules):
# a general validator passes them, kl-cli must not.
BEYOND_THE_SCHEMA = {
    "edges shifted by hand",
    "an edge dropped",
    "edges out of order",
    "a repeated edge",
    "more bins than --bins",
    "rows out of step",
    "a column's rows out of step",
    "counts that do not add up",
    "a skipped column with counts",
    "a duplicate count key",
    "a duplicate column",
    "a duplicate top-level key",
    "a 400-digit edge",
    "an edge 1e400",
}


@pytest.mark.parametrize(("case", "mutation"), [(i, m) for i, m, _ in BROKEN], ids=[i for i, _, _ in BROKEN])
def test_the_schema_and_the_rules_each_refuse_their_share(
    profile_doc: dict[str, Any], tmp_path: Path, case: str, mutation: Any
) -> None:
    """A general validator (jsonschema) reading the published file refuses
    every broken document except those that break only a listed rule."""
    document = json.loads(_broken_text(profile_doc, mutation))  # Python's parser: last repeated key wins
    verdict = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).is_valid(document)
    assert verdict == (case in BEYOND_THE_SCHEMA)
    assert jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).is_valid(profile_doc)


# ---------------------------------------------------------------------------
# Recognized by content, wherever it comes from


def test_a_profile_is_recognized_by_its_content(
    profile_doc: dict[str, Any], baseline_report: dict[str, Any], tmp_path: Path
) -> None:
    text = json.dumps(profile_doc, indent=2)
    variants = {
        "bom.json": b"\xef\xbb\xbf" + text.encode(),
        "sorted.json": json.dumps(profile_doc, sort_keys=True, indent=2).encode(),  # as jq -S writes it
        "minified.txt": json.dumps(profile_doc, separators=(",", ":")).encode(),
        "crlf.json": text.replace("\n", "\r\n").encode(),
        "no-extension": text.encode(),
        "packed.json.gz": gzip.compress(text.encode()),
    }
    for name, content in variants.items():
        path = tmp_path / name
        path.write_bytes(content)
        assert same_report(drift_report(str(path), CURRENT), baseline_report), name
    sorted_text = json.dumps(profile_doc, sort_keys=True)
    assert same_report(drift_report("-", CURRENT, input=sorted_text), baseline_report)


def test_a_profile_from_stdin_extends_like_a_file(profile_doc: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    text = "\ufeff" + json.dumps(profile_doc, sort_keys=True)
    result = run("profile", "-", CURRENT, "-o", str(out), input=text.encode())
    assert result.exit_code == 0, describe(result)
    current_rows = len(Path(CURRENT).read_text().splitlines()) - 1
    assert strict_json(out.read_text())["rows"] == profile_doc["rows"] + current_rows


def _child(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "kl_cli", *args], capture_output=True, timeout=120, **kwargs)


def test_a_profile_through_a_fifo_and_process_substitution(
    profile_doc: dict[str, Any], baseline_report: dict[str, Any], tmp_path: Path
) -> None:
    source = tmp_path / "p.json"
    source.write_text(json.dumps(profile_doc, sort_keys=True))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(source.read_bytes()))
    writer.start()
    done = _child(["drift", str(fifo), CURRENT, "--format", "json"])
    writer.join()
    assert done.returncode == 1, done.stderr
    assert same_report(strict_json(done.stdout.decode()), baseline_report)
    script = '"$0" -m kl_cli drift <(cat "$1") "$2" --format json'
    done = subprocess.run(
        ["bash", "-c", script, sys.executable, str(source), CURRENT], capture_output=True, timeout=120
    )
    assert done.returncode == 1, done.stderr
    assert same_report(strict_json(done.stdout.decode()), baseline_report)


def test_a_profile_as_the_current_data_is_an_error(profile_doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(profile_doc))
    assert_one_line_error(run("drift", REFERENCE, str(path)), ("is a profile", "reference"))


def test_a_json_row_that_is_not_a_profile_is_still_data(tmp_path: Path) -> None:
    """A one-object JSON document without the profile's shape stays one row of data."""
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps({"format": "csv", "city": "Oslo"}))
    cur = tmp_path / "cur.json"
    cur.write_text(json.dumps({"format": "csv", "city": "Oslo"}))
    result = run("drift", str(ref), str(cur), "--format", "json")
    assert result.exit_code == 0, describe(result)
    assert {c["column"] for c in strict_json(result.stdout)["columns"]} >= {"city"}


# ---------------------------------------------------------------------------
# The schema is published, and every profile kl-cli writes meets it


def test_the_published_schema_is_a_valid_json_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert profile_schema() == schema  # the file kl-cli reads is the file in the repository


def _profiles_written(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    a = write_csv(
        tmp_path / "a.csv",
        ["x", "city", "flag"],
        [[i * 0.37, ["Oslo", "Rome", ""][i % 3], i % 2 == 0] for i in range(300)],
    )
    b = write_csv(tmp_path / "b.csv", ["x", "extra"], [[i, "e"] for i in range(50)])
    c = write_csv(tmp_path / "c.csv", ["flag", "x", "city"], [[True, 1e9, "Paris"], [False, "", "Oslo"]])
    headerless = tmp_path / "headerless.csv"
    headerless.write_text("".join(f"{i},{i % 7}\n" for i in range(100)))
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text("".join(json.dumps({"n": i, "t": "ab"[i % 2], "z": None}) + "\n" for i in range(120)))
    ids = write_csv(tmp_path / "ids.csv", ["id", "v"], [[f"id{i}", i % 3] for i in range(200)])
    runs = {
        "one file": [a],
        "two files, columns absent from one": [a, b],
        "uniform bins": [a, "--binning", "uniform", "--bins", "7"],
        "types stated": [a, "--numeric", "x", "--categorical", "city"],
        "headerless": [str(headerless)],
        "json lines": [str(jsonl)],
        "an id column (skipped)": [ids],
        "one bin": [a, "--bins", "1"],
    }
    written = []
    for label, args in runs.items():
        out = tmp_path / f"{len(written)}.json"
        result = run("profile", *args, "-o", str(out))
        assert result.exit_code == 0, (label, describe(result))
        written.append((label, strict_json(out.read_text())))
    first = tmp_path / "0.json"
    for label, args in {"merged": [str(first), str(first)], "extended": [str(first), c]}.items():
        out = tmp_path / f"{len(written)}.json"
        result = run("profile", *args, "-o", str(out))
        assert result.exit_code == 0, (label, describe(result))
        written.append((label, strict_json(out.read_text())))
    result = run("profile", "-", "-o", "-", input=Path(a).read_bytes())
    written.append(("stdin to stdout", strict_json(result.stdout)))
    return written


def test_every_profile_kl_cli_writes_meets_the_published_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))
    written = _profiles_written(tmp_path)
    assert len(written) == 11
    for label, document in written:
        errors = [e.message for e in validator.iter_errors(document)]
        assert not errors, (label, errors)
        # ... and reads back: kl-cli's own rules hold too
        path = tmp_path / "check.json"
        path.write_text(json.dumps(document))
        result = run("profile", str(path), "-o", "-")
        assert result.exit_code == 0, (label, describe(result))
        assert strict_json(result.stdout)["columns"] == document["columns"], label


# ---------------------------------------------------------------------------
# -o never destroys data


def test_the_output_cannot_be_a_data_file_by_any_name(tmp_path: Path) -> None:
    data = Path(write_csv(tmp_path / "data.csv", ["a", "b"], [[i, "xy"[i % 2]] for i in range(40)]))
    before = data.read_bytes()
    hard = tmp_path / "hard.csv"
    os.link(data, hard)
    link = tmp_path / "link.json"
    link.symlink_to(data)
    for output in (str(data), f"{tmp_path}/./data.csv", str(hard), str(link)):
        assert_one_line_error(run("profile", str(data), "-o", output), ("one of the data files", "replace the data"))
    assert_one_line_error(run("profile", str(hard), "-o", str(data)), ("one of the data files",))
    assert data.read_bytes() == before
    assert link.is_symlink()


def test_special_files_are_never_replaced(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "data.csv", ["a"], [["x"], ["y"]])
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    cases = {str(fifo): "a FIFO", os.devnull: "a character device", str(folder): "a directory"}
    for output, kind in cases.items():
        assert_one_line_error(run("profile", data, "-o", output), ("cannot write the profile", kind))
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert list(folder.iterdir()) == []
    assert_one_line_error(run("profile", data, "-o", str(tmp_path / "no" / "such" / "p.json")), ("no folder",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "fifo", "folder"]


def test_a_symlink_is_written_through_keeping_the_mode(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "data.csv", ["a"], [["x"], ["y"], ["x"]])
    target = tmp_path / "store" / "real.json"
    target.parent.mkdir()
    old = write_csv(tmp_path / "old.csv", ["a"], [["z"]])
    assert run("profile", old, "-o", str(target)).exit_code == 0  # an old profile (only those are replaced)
    target.chmod(0o640)
    link = tmp_path / "profile.json"
    link.symlink_to(target)
    result = run("profile", data, "-o", str(link))
    assert result.exit_code == 0, describe(result)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert strict_json(target.read_text())["rows"] == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.json"]  # no temporary left


def test_an_update_in_place_is_allowed_and_adds_the_rows(tmp_path: Path) -> None:
    base = write_csv(tmp_path / "base.csv", ["a"], [["x"]] * 10)
    more = write_csv(tmp_path / "more.csv", ["a"], [["y"]] * 5)
    out = tmp_path / "p.json"
    assert run("profile", base, "-o", str(out)).exit_code == 0
    out.chmod(0o600)
    result = run("profile", str(out), more, "-o", str(out))
    assert result.exit_code == 0, describe(result)
    assert strict_json(out.read_text())["rows"] == 15
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_concurrent_updates_of_one_profile_lose_no_rows(tmp_path: Path) -> None:
    """Several processes add their own rows to one profile at once: the
    folder lock serializes them, so every row is counted exactly once."""
    base = write_csv(tmp_path / "base.csv", ["city", "n"], [["Oslo", i] for i in range(1000)])
    out = tmp_path / "p.json"
    assert run("profile", base, "-o", str(out)).exit_code == 0
    parts = [
        write_csv(tmp_path / f"more{k}.csv", ["city", "n"], [[f"c{k}", i] for i in range(500 + k)]) for k in range(6)
    ]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kl_cli", "profile", str(out), part, "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for part in parts
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    final = strict_json(out.read_text())
    assert final["rows"] == 1000 + sum(500 + k for k in range(6))
    counts = final["columns"]["city"]["counts"]
    assert counts == {"Oslo": 1000, **{f"c{k}": 500 + k for k in range(6)}}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# A child that receives SIGNAL while the temporary profile exists: its fsync
# (after the temporary is written, before the rename) sends it to itself.
_SIGNAL_IN_WRITE = """
import os, signal, sys
real, sig = os.fsync, getattr(signal, sys.argv[1])
def fsync(fd):
    os.kill(os.getpid(), sig)
    real(fd)
os.fsync = fsync
sys.argv = ["kl-cli", *sys.argv[2:]]
from kl_cli.cli import run
run()
"""


@pytest.mark.parametrize(("signame", "status"), [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_while_writing_leaves_the_old_profile_and_no_temporary(
    tmp_path: Path, signame: str, status: int
) -> None:
    data = write_csv(tmp_path / "data.csv", ["a"], [["x"], ["y"]])
    out = tmp_path / "p.json"
    assert run("profile", data, "-o", str(out)).exit_code == 0
    before = out.read_bytes()
    more = write_csv(tmp_path / "more.csv", ["a"], [["z"]] * 3)
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_IN_WRITE, signame, "profile", str(out), more, "-o", str(out)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == status, done.stderr
    assert b"Traceback" not in done.stderr
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "more.csv", "p.json"]


def test_a_version_1_profile_is_still_read(
    profile_doc: dict[str, Any], baseline_report: dict[str, Any], tmp_path: Path
) -> None:
    """Version 1 kept the missing cells under the label '(missing)'."""
    old = copy.deepcopy(profile_doc)
    old["version"] = 1
    for col in old["columns"].values():
        missing = col.pop("missing")
        if col["type"] != "skipped":
            col["counts"]["(missing)"] = missing
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(old))
    assert jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text())).is_valid(old)
    assert same_report(drift_report(str(path), CURRENT), baseline_report)
    old["columns"]["plan"]["missing"] = 0  # a version-2 field in a version-1 profile
    path.write_text(json.dumps(old))
    assert_one_line_error(run("drift", str(path), CURRENT), ("columns.plan", "'missing'"))


def test_the_schema_bounds_bins_as_the_command_line_does() -> None:
    from kl_cli.vocabulary import MAX_BINS

    assert profile_schema()["properties"]["options"]["properties"]["bins"]["maximum"] == MAX_BINS
