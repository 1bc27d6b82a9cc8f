"""Fuzzing the command line (issue 5, point 1).

Arbitrary text as inline arguments, arbitrary bytes as CSV/TSV/JSON/JSON-lines
files and on standard input, and arbitrary combinations of the documented
options, through click's CliRunner (the real ``main()``, so exit statuses are
the real ones). Every run must end in one of two ways:

- exit 0 (1 only with ``--fail-above``, or for drift) and output that is valid
  for its format: strict JSON, well-formed CSV, a number; no NaN anywhere;
  no raw control characters outside CSV (which keeps labels exact);
  stderr holds only ``kl-cli:`` lines;
- exit 2 and exactly one ``kl-cli: error:`` line on stderr, nothing on stdout,
  and never an "internal error".

Never a traceback and never a hang (each run has a time limit). The examples
come from the derandomized ``kl-cli-fuzz`` profile (see conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings

import pytest
from helpers import assert_one_line_error, describe, raw_controls, run, strict_json, time_limit
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from kl_cli.cli import cli

FUZZ = settings(settings.get_profile("kl-cli-fuzz"), suppress_health_check=list(HealthCheck))


def choices(command: str, option: str) -> tuple[str, ...]:
    """The choices of an option, read from the command itself (the real option list)."""
    param = next(p for p in cli.commands[command].params if option in p.opts)
    return tuple(param.type.choices)


METRICS = choices("compare", "--metric")
COMPARE_FORMATS = choices("compare", "--format")
DRIFT_FORMATS = choices("drift", "--format")
CORRECTIONS = choices("drift", "--correction")
BASES = choices("compare", "--base")
SMOOTHING_METHODS = choices("compare", "--smoothing")
BINNINGS = choices("compare", "--binning")
ENCODINGS = st.sampled_from(["utf-8", "latin-1", "utf-16", "utf-8-sig", "ascii", "no-such-codec"])
COLUMN_NAMES = st.sampled_from(["a", "b", "x", "label", "value", "w", "v", "ghost", ""])
# Options the fuzz leaves alone, and why; every other option must be fuzzed
# (test_every_documented_option_is_fuzzed keeps this honest).
NOT_FUZZED = {
    "--help": "prints help, nothing to break",
    "--debug": "shows tracebacks on purpose",
    "--version": "prints the version",
    # a cluster per example is too slow for a fuzz; tests/test_dask_engine.py tests them
    "--engine": "starts a Dask cluster",
    "--scheduler": "connects to a Dask cluster",
    "--workers": "sizes a Dask cluster",
}
# The columns --fail-above adds to every row of compare's CSV.
VERDICT_CSV_COLUMNS = ["fail_above_metric", "fail_above_limit", "fail_above_value", "fail_above_exceeded"]
COMPARE_CSV_HEADERS = (
    ["label", "p", "q", "kl_pq", "kl_qp"],
    ["metric", "value", "method", "error"],  # estimates (--estimator knn) and parametric distributions
    ["metric", "value", "p_value", "null_mean", "ci_low", "ci_high"],
)
NAN_WORD = re.compile(r"(?<![A-Za-z])nan(?![A-Za-z])", re.IGNORECASE)
RUN_SECONDS = 20  # a generous limit per run; a normal fuzz run takes milliseconds

# ---------------------------------------------------------------------------
# Strategies

good_number = st.one_of(
    st.integers(min_value=0, max_value=1000).map(str),
    st.floats(min_value=0, max_value=1e6).map(repr),
    st.sampled_from(["0", "1", "0.5", "0.25", "1e-300", "5e-324", "1e300", "1e308", "3"]),
)
bad_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(
        ["-0", "1e309", "nan", "inf", "-inf", "1e", ".", "+.5", "0x10", "1_000", " 2 ", "١", "½", "1,5", "", "-1"]
    ),
)
number_text = st.one_of(good_number, good_number, good_number, bad_number)
common_label = st.sampled_from(["a", "b", "c", "rain", "sun", "fog"])
odd_label = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["[red]x[/red]", "\x1b[31m", "é", "a|b", "(missing)", "p", "q", " ", "nan", "1", "a b"]),
)
label_text = st.one_of(common_label, common_label, odd_label)


@st.composite
def inline_lists(draw) -> str:
    """Inline-list-shaped text: labelled, unlabelled or mixed, good and bad numbers."""
    n = draw(st.integers(min_value=0, max_value=6))
    numbers = [draw(number_text) for _ in range(n)]
    style = draw(st.sampled_from(["plain", "labelled", "labelled", "mixed"]))
    items = []
    for x in numbers:
        if style == "labelled" or (style == "mixed" and draw(st.booleans())):
            items.append(f"{draw(label_text)}={x}")
        else:
            items.append(x)
    return draw(st.sampled_from([",", ", ", " ,"])).join(items)


@st.composite
def coherent_inline_pairs(draw) -> tuple[str, str]:
    """P and Q that mostly fit together: the same labels (or the same length),
    mostly good numbers, so that runs get past parsing into the maths."""
    k = draw(st.integers(min_value=1, max_value=6))
    labelled = draw(st.booleans())
    labels = draw(st.lists(label_text, min_size=k, max_size=k)) if labelled else []
    sides = []
    for _ in range(2):
        numbers = [draw(st.one_of(good_number, good_number, good_number, good_number, number_text)) for _ in range(k)]
        items = [f"{lab}={x}" for lab, x in zip(labels, numbers)] if labelled else numbers
        if labelled and draw(st.integers(0, 4)) == 0:
            items = items[::-1]
        sides.append(",".join(items))
    return sides[0], sides[1]


inline_argument = st.one_of(
    inline_lists(), inline_lists(), st.text(max_size=30), st.sampled_from(["-", ".", "..", "/", "{}", "[]"])
)

odd_cell = st.sampled_from(['"a,b"', '"unterminated', "NULL", "None", "\ufeff", "é", "", "nan", '""'])
CELLS = {
    "label": label_text,
    "value": number_text,
    "a": st.one_of(st.integers(min_value=0, max_value=4).map(str), odd_cell),
    "b": st.one_of(st.sampled_from(["u", "v", "w", "z"]), odd_cell, label_text),
    "x": st.one_of(number_text, odd_cell),
}


@st.composite
def table_bytes(draw) -> bytes:
    """CSV/TSV text shaped like compare's tables (label, value) or the drift
    datasets (a, b, x), with bad cells, odd headers, assorted encodings and
    line endings."""
    shape = draw(st.sampled_from([["label", "value"], ["value"], ["label"], ["a", "b", "x"], ["x", "a"], ["b"]]))
    if draw(st.integers(0, 5)) == 0:  # an odd header
        shape = [draw(st.sampled_from(["a", "b", "x", "label", "value", "", " a", "a "])) for _ in shape]
    sep = draw(st.sampled_from([",", ",", "\t", ";", ", "]))
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        row = [draw(CELLS.get(name, odd_cell)) for name in shape]
        if draw(st.integers(0, 9)) == 0:  # ragged
            row = row[: draw(st.integers(min_value=0, max_value=len(row)))] or [*row, draw(odd_cell)]
        rows.append(row)
    text = end.join(sep.join(r) for r in [shape, *rows]) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(["a", "b", "x", "p", "q"]), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def json_bytes(draw) -> bytes:
    value = draw(
        st.one_of(
            json_values,
            st.fixed_dictionaries({"p": json_values, "q": json_values}),
            st.dictionaries(label_text, st.floats(allow_nan=True, allow_infinity=True), max_size=5),
        )
    )
    text = json.dumps(value, allow_nan=True)
    if draw(st.booleans()):  # damage it
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:cut] + draw(st.sampled_from(["", "}", "]", ",", '"', "[" * 50]))
    return text.encode()


@st.composite
def jsonl_bytes(draw) -> bytes:
    rows = draw(
        st.lists(st.dictionaries(st.sampled_from(["a", "b", "x"]), json_values, max_size=3) | json_values, max_size=8)
    )
    return "\n".join(json.dumps(r, allow_nan=True) for r in rows).encode()


file_bytes = st.one_of(st.binary(max_size=300), table_bytes(), json_bytes(), jsonl_bytes())

valid_float = st.one_of(
    st.floats(min_value=-10, max_value=10).map(repr), st.sampled_from(["0", "0.1", "0.5", "1", "1e-9", "100"])
)
invalid_float = st.sampled_from(["nan", "inf", "-inf", "abc", "", "1e999", "-1e-400"])
float_option = st.one_of(valid_float, valid_float, valid_float, invalid_float)
SMOOTHING_PARAMETER = {"additive": "--alpha", "epsilon": "--epsilon", "mix": "--lambda"}
SMOOTHING_VALUES = {
    "additive": st.floats(min_value=1e-6, max_value=10),
    "epsilon": st.floats(min_value=1e-15, max_value=0.5),
    "mix": st.floats(min_value=1e-6, max_value=1),
}


@st.composite
def smoothing_options(draw) -> list[str]:
    method = draw(st.sampled_from([None, *SMOOTHING_METHODS]))
    opts = [] if method is None else ["--smoothing", method]
    if method in SMOOTHING_PARAMETER and draw(st.booleans()):
        value = draw(st.one_of(SMOOTHING_VALUES[method].map(repr), SMOOTHING_VALUES[method].map(repr), float_option))
        opts += [SMOOTHING_PARAMETER[method], value]
    if draw(st.integers(0, 9)) == 0:  # now and then another method's parameter: a usage error
        opts += [draw(st.sampled_from(list(SMOOTHING_PARAMETER.values()))), draw(float_option)]
    return opts


@st.composite
def resampling_options(draw) -> list[str]:
    opts = []
    if draw(st.integers(0, 3)) == 0:
        opts += ["--permutations", str(draw(st.integers(min_value=0, max_value=12)))]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--bootstrap", str(draw(st.integers(min_value=0, max_value=12)))]
        if draw(st.booleans()):
            opts += ["--confidence", draw(st.sampled_from(["0.9", "0.5", "0.999", "1", "0", "x"]))]
    if opts:
        opts += ["--seed", str(draw(st.integers(min_value=0, max_value=3)))]
    return opts


INPUT_FORMATS = ["csv", "tsv", "json", "jsonl", "parquet", "CSV", "xml"]
DELIMITERS = [",", ";", "tab", "pipe", "\\t", "|", "ab", "", "\n"]


@st.composite
def layout_options(draw, sides: tuple[str, str]) -> list[str]:
    """What a user may state of an input's layout: its format (for all inputs or
    one side), its delimiter and whether it has a header, valid or not."""
    opts: list[str] = []
    for flag in ("--input-format", *sides):
        if draw(st.integers(0, 5)) == 0:
            opts += [flag, draw(st.sampled_from(INPUT_FORMATS))]
    if draw(st.integers(0, 4)) == 0:
        opts += ["--delimiter", draw(st.sampled_from(DELIMITERS))]
    if draw(st.integers(0, 3)) == 0:
        opts += [draw(st.sampled_from(["--header", "--no-header"]))]
    return opts


@st.composite
def compare_options(draw) -> tuple[list[str], str, bool]:
    """Options of compare, sampled from its real option list; returns
    (options, format, --fail-above given)."""
    opts: list[str] = []
    if draw(st.booleans()):
        opts += ["--base", draw(st.sampled_from(BASES))]
    opts += draw(smoothing_options())
    fmt = draw(st.sampled_from(COMPARE_FORMATS))
    opts += ["--format", fmt]
    if draw(st.booleans()):
        opts += ["--metric", draw(st.sampled_from(METRICS))]
    if draw(st.booleans()):
        opts += ["--top", str(draw(st.integers(min_value=0, max_value=5)))]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--order", draw(st.sampled_from(["input", "contribution", "alphabetical"]))]
    fail_above = draw(st.booleans())
    if fail_above:
        opts += ["--fail-above", draw(float_option)]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--strict"]
    if draw(st.integers(0, 4)) == 0:
        opts += ["--samples"]
        if draw(st.booleans()):
            opts += ["--bins", str(draw(st.sampled_from([1, 2, 3, 5, 10, 0, -1])))]
        if draw(st.booleans()):
            opts += ["--binning", draw(st.sampled_from(BINNINGS))]
        if draw(st.booleans()):
            opts += ["--estimator", draw(st.sampled_from(["binned", "knn", "knn", "kde"]))]
            if draw(st.booleans()):
                opts += ["--k", str(draw(st.sampled_from([1, 2, 5, 0, -1, 10**6])))]
            if draw(st.integers(0, 3)) == 0:
                opts += ["--columns", draw(st.sampled_from(["a", "a,b", "x,x", "", ",", "ghost"]))]
    opts += draw(resampling_options())
    for flag in ("--n-p", "--n-q"):  # each on its own, so both are drawn whatever the other choices
        if draw(st.integers(0, 9)) == 0:
            opts += [flag, str(draw(st.integers(min_value=0, max_value=50)))]
    for flag in ("--column", "--p-column", "--q-column", "--label-column"):
        if draw(st.integers(0, 7)) == 0:
            opts += [flag, draw(COLUMN_NAMES)]
    if draw(st.integers(0, 7)) == 0:
        opts += ["--encoding", draw(ENCODINGS)]
    opts += draw(layout_options(("--p-format", "--q-format")))
    return opts, fmt, fail_above


@st.composite
def light_compare_options(draw) -> tuple[list[str], str, bool]:
    """A format, a base, a metric, sometimes --samples: the input-fuzzing tests are about reading."""
    fmt = draw(st.sampled_from(COMPARE_FORMATS))
    opts = ["--format", fmt]
    if draw(st.booleans()):
        opts += ["--base", draw(st.sampled_from(BASES))]
    if draw(st.booleans()):
        opts += ["--metric", draw(st.sampled_from(METRICS))]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--smoothing", "additive"]
    if draw(st.integers(0, 4)) == 0:  # the other reader: raw numeric observations
        opts += ["--samples"]
    if draw(st.integers(0, 4)) == 0:
        opts += [draw(st.sampled_from(["--column", "--label-column"])), draw(COLUMN_NAMES)]
    if draw(st.integers(0, 5)) == 0:
        opts += ["--encoding", draw(ENCODINGS)]
    return opts, fmt, False


@st.composite
def light_drift_options(draw) -> tuple[list[str], str]:
    """A format, a metric and sometimes tiny chunks: reading is what is fuzzed."""
    fmt = draw(st.sampled_from(DRIFT_FORMATS))
    opts = ["--format", fmt]
    if draw(st.booleans()):
        opts += ["--metric", draw(st.sampled_from(METRICS))]
    if draw(st.booleans()):
        opts += ["--chunk-rows", str(draw(st.integers(min_value=1, max_value=3)))]
    if draw(st.integers(0, 5)) == 0:
        opts += ["--encoding", draw(ENCODINGS)]
    return opts, fmt


@st.composite
def drift_options(draw, columns: tuple[str, ...] = ("a", "b", "x")) -> tuple[list[str], str]:
    opts: list[str] = []
    names = st.sampled_from([*columns, "ghost", "a,b"])
    if draw(st.booleans()):
        opts += ["--metric", draw(st.sampled_from(METRICS))]
    if draw(st.booleans()):
        opts += ["--threshold", draw(float_option)]
    if draw(st.booleans()):
        opts += ["--base", draw(st.sampled_from(BASES))]
    opts += draw(smoothing_options())
    fmt = draw(st.sampled_from(DRIFT_FORMATS))
    opts += ["--format", fmt]
    if draw(st.integers(0, 2)) == 0:
        opts += ["--bins", str(draw(st.sampled_from([1, 2, 3, 5, 10, 0, -1])))]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--binning", draw(st.sampled_from(BINNINGS))]
    for flag in ("--categorical", "--numeric", "--columns", "--exclude"):
        if draw(st.integers(0, 4)) == 0:
            opts += [flag, draw(names)]
    if draw(st.integers(0, 3)) == 0:
        opts += ["--chunk-rows", str(draw(st.integers(min_value=1, max_value=4)))]
    if draw(st.integers(0, 4)) == 0:
        opts += ["--max-drift-share", draw(float_option)]
    if draw(st.integers(0, 4)) == 0:
        opts += ["--detail", draw(names)]
    opts += draw(resampling_options())
    if draw(st.integers(0, 4)) == 0:
        opts += ["--significance", draw(st.sampled_from(["0.05", "0.5", "0", "1", "2"]))]
    if draw(st.integers(0, 4)) == 0:  # without --permutations: a usage error
        opts += ["--correction", draw(st.sampled_from([*CORRECTIONS, "BH", "sidak", ""]))]
    if draw(st.integers(0, 7)) == 0:
        opts += ["--encoding", draw(ENCODINGS)]
    if draw(st.integers(0, 7)) == 0:  # a missing file, a CSV read as TOML, a directory, an empty name
        opts += ["--config", draw(st.sampled_from(["ghost.toml", "reference.csv", ".", ""]))]
    if draw(st.integers(0, 7)) == 0:
        opts += ["--no-config"]
    opts += draw(layout_options(("--reference-format", "--current-format")))
    return opts, fmt


# ---------------------------------------------------------------------------
# The invariants

# Defects the fuzz has found: each is pinned, with its smallest input, by a
# strict xfail test, and recognised here by its exact message so that fuzzing
# keeps checking everything else meanwhile. When a defect is fixed its xfail
# test starts passing (XPASS fails the suite): delete its line here too.
KNOWN_DEFECTS: list[re.Pattern[str]] = []  # none known now


# Python warnings that leak onto stderr, each pinned by a strict xfail test.
KNOWN_WARNINGS: list[re.Pattern[str]] = []


def _known_defect(result, inputs: str) -> bool:
    if result.exit_code == 2 and any(sig.search(result.stderr) for sig in KNOWN_DEFECTS):
        return True
    return any(sig.search(w) for w in result.printed_warnings for sig in KNOWN_WARNINGS)


def check(result, *, fmt: str, may_exceed: bool, inputs: str, command: str = "compare") -> None:
    """Every invariant of issue 5, point 1, on one run."""
    fuzzing = currently_in_test_context()  # check() also serves the plain regression tests
    if fuzzing:
        note(describe(result))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    if fuzzing:
        event(f"exit {result.exit_code}")
    allowed = {0, 2} | ({1} if may_exceed else set())
    assert result.exit_code in allowed, f"exit {result.exit_code}"
    if fuzzing and _known_defect(result, inputs):
        reject()
    if result.exit_code == 2:
        assert_one_line_error(result)  # one 'kl-cli: error:' line, nothing on stdout
        assert result.printed_warnings == [], "a real run would print these on stderr too"
        assert "internal error" not in result.stderr, result.stderr
        return
    for line in result.stderr.splitlines():
        assert line.startswith("kl-cli: "), f"foreign line on stderr: {line!r}"
    assert result.printed_warnings == [], "a real run would print these on stderr"
    out = result.stdout
    assert out.endswith("\n"), "no output"
    # A label may be called 'nan'; otherwise no NaN may appear.
    if "nan" not in inputs.lower():
        assert not NAN_WORD.search(out), "NaN in the output"
    if fmt != "csv":  # CSV keeps labels exact, control characters included
        assert raw_controls(out) == [], raw_controls(out)
    if fmt == "json":
        data = strict_json(out)
        assert isinstance(data, dict)
        _no_nan(data)
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out, newline="")))
        if command == "compare":
            if may_exceed:  # --fail-above given: its verdict closes every row (issue 14)
                assert rows[0][-4:] == VERDICT_CSV_COLUMNS, rows[0]
                exceeded = "true" if result.exit_code == 1 else "false"
                assert all(len(r) == len(rows[0]) and r[-1] == exceeded for r in rows[1:]), rows
                rows = [r[:-4] for r in rows]
            assert rows[0] in COMPARE_CSV_HEADERS, rows[0]
        else:
            assert rows[0][0] == "column", rows[0]
        assert all(len(r) == len(rows[0]) for r in rows), rows  # a label's CR or newline is quoted
        if command == "compare":
            for r in rows[1:]:
                for cell in r[1:]:  # every column but the label or metric id holds a number
                    assert cell == "" or not math.isnan(float(cell)), r
    elif fmt == "value":
        assert out.count("\n") == 1 and not math.isnan(float(out)), out


def _no_nan(value) -> None:
    if isinstance(value, float):
        assert not math.isnan(value)
    elif isinstance(value, dict):
        for v in value.values():
            _no_nan(v)
    elif isinstance(value, list):
        for v in value:
            _no_nan(v)


# ---------------------------------------------------------------------------
# Fixtures

REFERENCE_DATA = "a,b,x\n" + "".join(f"{i % 3},{'uvw'[i % 3]},{i * 0.7:.2f}\n" for i in range(40))
CURRENT_DATA = "a,b,x\n" + "".join(f"{i % 4},{'uvw'[i % 2]},{i * 0.9:.2f}\n" for i in range(30))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch folder, the working directory while fuzzing (so a fuzzed word
    never names a project file), with fixed good inputs."""
    import os

    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "reference.csv").write_text(REFERENCE_DATA)
    (folder / "current.csv").write_text(CURRENT_DATA)
    (folder / "forecast.csv").write_text("weather,probability\nsun,0.5\nrain,0.3\nfog,0.2\n")
    (folder / "observed.json").write_text('{"sun": 40, "rain": 35, "fog": 0, "snow": 5}')
    before = os.getcwd()
    os.chdir(folder)
    yield folder
    os.chdir(before)


# Warnings a real run prints on stderr (Python hides the deprecation family by default).
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def invoke(args: list[str], input: bytes | None = None):
    """Run kl-cli in-process under a time limit. Python warnings are recorded
    (pytest would swallow them) as the stderr lines a real run would print."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with time_limit(RUN_SECONDS, f"kl-cli {args!r}"):
            result = run(*args, input=input)
    result.printed_warnings = [
        f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}"
        for w in caught
        if not issubclass(w.category, HIDDEN_WARNINGS)
    ]
    return result


def text_of(data: bytes) -> str:
    return data.decode("latin-1") + data.decode("utf-8", errors="ignore") + data.decode("utf-16", errors="ignore")


# ---------------------------------------------------------------------------
# The fuzz tests


@FUZZ
@given(
    pq=st.one_of(coherent_inline_pairs(), st.tuples(inline_argument, st.one_of(st.none(), inline_argument))),
    options=light_compare_options(),
)
def test_inline_arguments(workdir, pq, options):
    p, q = pq
    opts, fmt, fail_above = options
    args = ["compare", *opts, "--", p, *([] if q is None else [q])]
    result = invoke(args)
    check(result, fmt=fmt, may_exceed=fail_above, inputs=" ".join(args))


@FUZZ
@given(
    content=file_bytes,
    ext=st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".txt", ""]),
    role=st.sampled_from(["P", "Q", "both"]),
    options=light_compare_options(),
)
def test_file_bytes_compare(workdir, content, ext, role, options):
    path = workdir / f"fuzzed{ext}"
    path.write_bytes(content)
    opts, fmt, fail_above = options
    other = "forecast.csv"
    sources = {"P": [str(path), other], "Q": [other, str(path)], "both": [str(path), str(path)]}[role]
    result = invoke(["compare", *sources, *opts])
    check(result, fmt=fmt, may_exceed=fail_above, inputs=text_of(content) + " ".join(opts))


@FUZZ
@given(
    content=file_bytes,
    ext=st.sampled_from([".csv", ".tsv", ".json", ".jsonl", ".txt", ""]),
    role=st.sampled_from(["current", "reference"]),
    options=light_drift_options(),
)
def test_file_bytes_drift(workdir, content, ext, role, options):
    path = workdir / f"fuzzed_data{ext}"
    path.write_bytes(content)
    opts, fmt = options
    sources = [str(path), "current.csv"] if role == "reference" else ["reference.csv", str(path)]
    result = invoke(["drift", *sources, *opts])
    check(result, fmt=fmt, may_exceed=True, inputs=text_of(content) + " ".join(opts), command="drift")


@FUZZ
@given(
    content=file_bytes,
    role=st.sampled_from(["compare-P", "compare-Q", "drift-current"]),
    fmt=st.sampled_from(DRIFT_FORMATS),
)
def test_bytes_on_stdin(workdir, content, role, fmt):
    args = {
        "compare-P": ["compare", "-", "observed.json"],
        "compare-Q": ["compare", "forecast.csv", "-"],
        "drift-current": ["drift", "reference.csv", "-"],
    }[role]
    result = invoke([*args, "--format", fmt], input=content)
    check(
        result,
        fmt=fmt,
        may_exceed=role.startswith("drift"),
        inputs=text_of(content),
        command=role.split("-")[0],
    )


GOOD_PAIRS = [
    ["0.7,0.3", "0.4,0.6"],
    ["rain=0.7,dry=0.3", "dry=0.6,rain=0.4"],
    ["forecast.csv", "observed.json"],
    ["a=2,b=3,c=1,d=2,e=2", "a=203,b=196,c=201,d=199,e=201"],
    ["sun=1,rain=0", "sun=0,rain=1"],
    ["1,2,3,4,5,6,7,8,9,10", "2,2,3,3,4,4,5,5,6,6"],  # numbers for --samples too
]


# Cells that pandas types differently depending on what else is in the chunk.
chunk_cells = st.one_of(
    st.sampled_from(["", "nan", "NaN", "NULL", "null", "None", "NA", "True", "FALSE", "tRUE", "maybe"]),
    st.sampled_from(["0.10", "2.0", "\t3", " 4", "1e5", "-0", "inf", "-Infinity", "007", "1" + "0" * 310]),
    st.integers(-5, 40).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
    st.text(st.characters(codec="ascii", exclude_characters=',"\r\n'), max_size=3),
)
jsonl_cells = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 30), st.floats(-1e3, 1e3), st.sampled_from(["1", "a", " "])
)


@st.composite
def chunked_dataset(draw) -> tuple[str, str]:
    """A small CSV or JSON-lines dataset of two columns built from cells that
    pandas types by chunk; JSON rows may lack keys or be empty."""
    rows = draw(st.integers(1, 12))
    if draw(st.booleans()):
        lines = [",".join(draw(chunk_cells) for _ in range(2)) for _ in range(rows)]
        return "data.csv", "k,v\n" + "\n".join(f'"{c}"' if " " in c else c for c in lines) + "\n"
    objects = [draw(st.dictionaries(st.sampled_from(["k", "v"]), jsonl_cells, max_size=2)) for _ in range(rows)]
    return "data.jsonl", "".join(json.dumps(o) + "\n" for o in objects)


@FUZZ
@given(dataset=chunked_dataset(), forced=st.sampled_from([[], ["--categorical", "k"], ["--numeric", "v"]]))
def test_results_do_not_depend_on_the_chunk_size(workdir, dataset, forced):
    """profile and drift read datasets chunk by chunk; every cell is typed on
    its own, so the chunk size never changes an answer (README, Guarantees)."""
    name, text = dataset
    (workdir / name).write_text(text)
    runs = {}
    for chunk in ("1", "3", "1000"):
        profile = invoke(["profile", name, "-o", "-", "--chunk-rows", chunk, *forced])
        drift = invoke(["drift", name, name, "--format", "json", "--chunk-rows", chunk, *forced])
        runs[chunk] = [(r.exit_code, r.stdout, r.stderr) for r in (profile, drift)]
        check(profile, fmt="json", may_exceed=False, inputs=text, command="profile")
        check(drift, fmt="json", may_exceed=True, inputs=text, command="drift")
    assert runs["1"] == runs["3"] == runs["1000"]


@FUZZ
@given(pair=st.sampled_from(GOOD_PAIRS), options=compare_options())
def test_option_combinations_compare(workdir, pair, options):
    opts, fmt, fail_above = options
    result = invoke(["compare", *pair, *opts])
    check(result, fmt=fmt, may_exceed=fail_above, inputs=" ".join(opts))


@FUZZ
@given(options=drift_options(), swap=st.booleans())
def test_option_combinations_drift(workdir, options, swap):
    opts, fmt = options
    sources = ["current.csv", "reference.csv"] if swap else ["reference.csv", "current.csv"]
    result = invoke(["drift", *sources, *opts])
    check(result, fmt=fmt, may_exceed=True, inputs=" ".join(opts), command="drift")


@pytest.mark.parametrize(
    ("command", "strategies"),
    [
        ("compare", [compare_options(), light_compare_options()]),
        ("drift", [drift_options(), light_drift_options()]),
    ],
)
def test_every_documented_option_is_fuzzed(command, strategies):
    """Each option of the command shows up in the fuzz's option strategies
    (a new option must be added to them, or to NOT_FUZZED with a reason)."""
    documented = {o for p in cli.commands[command].params for o in p.opts if o.startswith("--")}
    seen: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(strategies))
    def collect(example) -> None:
        seen.update(o for o in example[0] if o.startswith("--"))

    collect()
    missing = documented - seen - set(NOT_FUZZED)
    assert not missing, f"options of {command} the fuzz never passes: {sorted(missing)}"


# ---------------------------------------------------------------------------
# Defects found by fuzzing, pinned with their smallest inputs


def _run_drift_on(workdir, name: str, content: bytes, *opts: str):
    path = workdir / name
    path.write_bytes(content)
    return invoke(["drift", "reference.csv", str(path), *opts])


@pytest.mark.parametrize(
    "content",
    [b"{}\nnull\n", b"{}\n[null]\n", b"{}\nfalse\n", b"[]\nnull\n", b"{}\n[[[],null]]\n", b'{"a":1}\n[[null,null]]\n'],
    ids=["null", "list", "false", "lists", "nested", "nan-column"],
)
def test_jsonl_rows_that_are_not_objects(workdir, content):
    result = _run_drift_on(workdir, "rows.jsonl", content)
    line = assert_one_line_error(result, ["rows.jsonl"])
    assert "internal error" not in line


# Found by this fuzz ('internal error: AttributeError: 'DataFrame' object has no
# attribute 'str''), fixed since: header names equal once trimmed are made unique.
@pytest.mark.parametrize("content", [b"a, a\n1,2\n3,4\n", b"a,a \nx,2\ny,4\n", b"\x00\t\x0b\x00\n\x00"])
def test_table_header_names_equal_after_trimming(workdir, content):
    path = workdir / "dup.csv"
    path.write_bytes(content)
    for args, stdin in (([str(path), "1,1"], None), (["-", "1,1"], content), ([str(path), "x=1,y=1"], None)):
        result = invoke(["compare", *args, "--format", "json"], input=stdin)
        check(result, fmt="json", may_exceed=False, inputs=text_of(content))


@pytest.mark.parametrize(("name", "content"), [("bools.csv", b"x\ntrue\n"), ("bools.jsonl", b'{"x": false}\n')])
def test_booleans_in_a_numeric_column(workdir, name, content):
    result = _run_drift_on(workdir, name, content)  # x is numeric in reference.csv
    line = assert_one_line_error(result, ["'x'"])
    assert "internal error" not in line


# Found by this fuzz ("internal error: Error: new-line character seen in unquoted
# field" from the csv-module peek), fixed since.
@pytest.mark.parametrize("content", [b"\r\x00", b"a\r\x00\n"])
def test_carriage_return_and_nul_in_a_table(workdir, content):
    path = workdir / "crnul.csv"
    path.write_bytes(content)
    line = assert_one_line_error(invoke(["compare", str(path), "1"]), ["crnul.csv"])
    assert "internal error" not in line
    line = assert_one_line_error(invoke(["compare", "-", "1"], input=content), ["stdin"])
    assert "internal error" not in line


@pytest.mark.parametrize("command", ["drift", "profile"])
def test_dataset_header_names_equal_after_trimming(workdir, command):
    path = workdir / "dupdata.csv"
    path.write_bytes(b"a,a\t\nu,v\nw,z\n")
    args = ["drift", "reference.csv", str(path)] if command == "drift" else ["profile", str(path), "-o", "-"]
    result = invoke([*args, "--format", "json"] if command == "drift" else args)
    if result.exit_code == 2:
        line = assert_one_line_error(result, ["dupdata.csv"])
        assert "internal error" not in line
    else:
        check(result, fmt="json", may_exceed=True, inputs="", command=command)


def test_duplicate_labels_whose_sum_overflows(workdir):
    result = invoke(["compare", "a=1,b=1", "b=1e308,b=1e308,a=1", "--format", "json"])
    check(result, fmt="json", may_exceed=False, inputs="")
    data = strict_json(result.stdout)
    assert data["metrics"]["kl_qp"] == pytest.approx(math.log(2), rel=1e-9)  # Q is (almost) all on 'b'
    assert not any("nan" in w for w in data["warnings"])
    disjoint = invoke(["compare", "a=1", "b=1e308,b=1e308", "--format", "value"])
    check(disjoint, fmt="value", may_exceed=False, inputs="")
    assert disjoint.stdout == "inf\n"


def test_debug_after_double_dash_is_an_argument(workdir):
    result = invoke(["compare", "--", "a=1", "--debug"])
    line = assert_one_line_error(result, ["--debug"])
    assert "internal error" not in line


@pytest.mark.parametrize("content", ["w,v\na,1\n".encode("utf-16-le"), b"\x00\x00\x00\x00"], ids=["utf-16-le", "nuls"])
def test_utf16_without_a_bom(workdir, content):
    path = workdir / "nobom.csv"
    path.write_bytes(content)
    for extra in ([], ["--samples"]):
        result = invoke(["compare", str(path), "a=1", "--encoding", "utf-16", *extra])
        if result.exit_code == 2:
            line = assert_one_line_error(result, ["nobom.csv"])
            assert "internal error" not in line
        else:
            check(result, fmt="table", may_exceed=False, inputs="")
