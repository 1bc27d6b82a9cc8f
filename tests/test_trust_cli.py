"""Issue 11, the door: options checked as they are parsed, exit statuses that
stay meaningful whatever happens to the standard streams, reports that come
out whole in any output encoding and at any COLUMNS, markdown that no field
can inject into, and SIGTERM/SIGHUP handled like Ctrl-C.

The stream and signal cases run real processes (``python -m kl_cli``): only
there are file descriptors closed or full, encodings set by
PYTHONIOENCODING and signals delivered.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from helpers import (
    SAMPLE_DATA,
    assert_one_line_error,
    by_column,
    describe,
    run,
    strict_json,
    unescaped_pipes,
    wait_until,
    write_csv,
)

from kl_cli.cli import cli
from kl_cli.cli.options import Count, Number
from kl_cli.vocabulary import (
    FLOAT_RANGES,
    MAX_BINS,
    MAX_CHUNK_ROWS,
    MAX_EXACT_INT,
    MAX_K,
    MAX_RESAMPLES,
    MAX_TOP,
    MAX_WORKERS,
)

KL = [sys.executable, "-m", "kl_cli"]
REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
FORECAST = str(SAMPLE_DATA / "forecast.csv")
OBSERVED = str(SAMPLE_DATA / "observed.csv")

# A valid run of each command, to which one option is added.
BASE_RUN = {
    "compare": ["compare", "0.7,0.3", "0.4,0.6"],
    "drift": ["drift", REFERENCE, CURRENT],
    "profile": ["profile", REFERENCE, "-o", "-"],
    "sampled": ["sampled", str(SAMPLE_DATA / "rl_logprobs.csv"), "--logq", "logq", "--logp", "logp"],
    "matrix": ["matrix", "0.7,0.3", "0.4,0.6", "0.5,0.5"],
    "batch": [
        "batch",
        str(SAMPLE_DATA / "reference_logits.npy"),
        str(SAMPLE_DATA / "quantized_logits.npy"),
        "--input",
        "logits",
    ],
}


def _options(kind: type[click.ParamType]) -> list[tuple[str, click.Parameter]]:
    return [
        (name, param)
        for name, command in sorted(cli.commands.items())
        for param in command.params
        if isinstance(param, click.Option) and isinstance(param.type, kind)
    ]


FLOAT_OPTIONS = _options(click.types.FloatParamType)
INT_OPTIONS = _options(click.types.IntParamType)


def _ids(options: list[tuple[str, click.Parameter]]) -> list[str]:
    return [f"{name} {param.opts[0]}" for name, param in options]


def _child(args, *, env=None, timeout=120, **kwargs) -> subprocess.CompletedProcess[bytes]:
    """``python -m kl_cli ARGS``, its streams as ``kwargs`` say (captured otherwise)."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*KL, *args], env=full_env, timeout=timeout, check=False, **kwargs)


@functools.cache
def _reference_run(args: tuple[str, ...], env: tuple[tuple[str, str], ...]) -> subprocess.CompletedProcess[bytes]:
    """A run that several tests compare against, made once."""
    return _child(list(args), env=dict(env))


def _lines(err: bytes | None) -> list[str]:
    return [line for line in (err or b"").decode("utf-8", "replace").splitlines() if line.strip()]


# ---------------------------------------------------------------------------
# 1. Options checked at the door


def test_the_float_and_whole_number_options_are_the_known_ones():
    """The lists the tests below run over are found by looking at the commands;
    this pins them, so an option missing from them cannot go unnoticed."""
    assert {f"{n} {p.opts[0]}" for n, p in FLOAT_OPTIONS} == {
        "batch --alpha",
        "batch --epsilon",
        "batch --lambda",
        "batch --temperature",
        "batch --fail-above",
        "compare --alpha",
        "compare --epsilon",
        "compare --lambda",
        "compare --fail-above",
        "compare --confidence",
        "drift --alpha",
        "drift --epsilon",
        "drift --lambda",
        "drift --threshold",
        "drift --max-drift-share",
        "drift --confidence",
        "drift --significance",
        "sampled --fail-above",
        "matrix --alpha",
        "matrix --epsilon",
        "matrix --lambda",
    }
    assert {f"{n} {p.opts[0]}" for n, p in INT_OPTIONS} == {
        "compare --top",
        "compare --permutations",
        "compare --bootstrap",
        "compare --seed",
        "compare --n-p",
        "compare --n-q",
        "compare --bins",
        "compare --k",
        "drift --bins",
        "drift --chunk-rows",
        "drift --permutations",
        "drift --bootstrap",
        "drift --seed",
        "profile --bins",
        "profile --chunk-rows",
        "drift --workers",
        "profile --workers",
    }


@pytest.mark.parametrize(("command", "param"), FLOAT_OPTIONS, ids=_ids(FLOAT_OPTIONS))
def test_every_float_option_is_the_checked_type(command, param):
    """One shared click type for every float option (click's FloatRange lets NaN through)."""
    assert isinstance(param.type, Number), f"{command} {param.opts[0]} is {param.type!r}"


@pytest.mark.parametrize(("command", "param"), INT_OPTIONS, ids=_ids(INT_OPTIONS))
def test_every_whole_number_option_has_an_upper_bound(command, param):
    assert isinstance(param.type, Count), f"{command} {param.opts[0]} is {param.type!r}"
    assert param.type.max is not None and param.type.max <= MAX_EXACT_INT


@pytest.mark.parametrize(("command", "param"), FLOAT_OPTIONS, ids=_ids(FLOAT_OPTIONS))
@pytest.mark.parametrize("nan", ["nan", "NaN", "-nan", " nan "])
def test_every_float_option_refuses_nan(command, param, nan):
    option = param.opts[0]
    line = assert_one_line_error(run(*BASE_RUN[command], option, nan), [option])
    assert "internal error" not in line


FINITE_ONLY = [(c, p) for c, p in FLOAT_OPTIONS if not p.type.infinite]


@pytest.mark.parametrize(("command", "param"), FINITE_ONLY, ids=_ids(FINITE_ONLY))
@pytest.mark.parametrize("infinite", ["inf", "-inf", "Infinity", "1e999", "-1e400"])
def test_float_options_refuse_infinity_where_it_means_nothing(command, param, infinite):
    option = param.opts[0]
    assert_one_line_error(run(*BASE_RUN[command], option, infinite), [option])


def test_only_fail_above_takes_infinity_and_it_means_what_it_says():
    assert {p.opts[0] for _, p in FLOAT_OPTIONS if p.type.infinite} == {"--fail-above"}
    finite = ["0.7,0.3", "0.4,0.6"]
    infinite = ["0.7,0.3", "1,0"]  # KL(P||Q) is infinite: P gives mass where Q gives none
    assert run("compare", *finite, "--fail-above", "inf").exit_code == 0
    assert run("compare", *infinite, "--fail-above", "inf").exit_code == 1
    assert run("compare", *finite, "--fail-above", "-inf").exit_code == 1


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_significance_nan_no_longer_turns_drift_detection_off(fmt):
    """The issue's case: 'nan' reported '0 of 6 columns drifted' with exit 0 (json: an internal error)."""
    args = ["drift", REFERENCE, CURRENT, "--permutations", "999", "--seed", "1", "--format", fmt]
    control = run(*args, "--significance", "0.05")
    assert control.exit_code == 1, describe(control)
    line = assert_one_line_error(run(*args, "--significance", "nan"), ["--significance", "0<x<1"])
    assert "internal error" not in line


@pytest.mark.parametrize(
    ("option", "low", "high"),
    [(o, lo, hi) for o, (lo, hi, _, _, _) in FLOAT_RANGES.items() if lo is not None or hi is not None],
)
def test_float_ranges_are_enforced_at_their_edges(option, low, high):
    """Each bounded float option refuses its open edges and what lies beyond."""
    command, param = next((c, p) for c, p in FLOAT_OPTIONS if p.name.rstrip("_") == option)
    _, _, low_open, high_open, _ = FLOAT_RANGES[option]
    flag = param.opts[0]
    refused = [str(low - 1)] + ([str(low)] if low_open else [])
    if high is not None:
        refused += [str(high + 1)] + ([str(high)] if high_open else [])
    for value in refused:
        assert_one_line_error(run(*BASE_RUN[command], flag, value), [flag])


BOUNDS = {
    "--bins": MAX_BINS,
    "--permutations": MAX_RESAMPLES,
    "--bootstrap": MAX_RESAMPLES,
    "--chunk-rows": MAX_CHUNK_ROWS,
    "--n-p": MAX_EXACT_INT,
    "--n-q": MAX_EXACT_INT,
    "--seed": MAX_EXACT_INT,
    "--top": MAX_TOP,
    "--k": MAX_K,
    "--workers": MAX_WORKERS,
}


def _spelled(n: int) -> str:
    return "2^53" if n == 2**53 else f"{n:,}"


@pytest.mark.parametrize(("command", "param"), INT_OPTIONS, ids=_ids(INT_OPTIONS))
def test_size_options_state_their_bound_in_the_help(command, param):
    option = param.opts[0]
    assert param.type.max == BOUNDS[option]
    _, help_text = param.get_help_record(click.Context(cli.commands[command]))
    assert f"<={_spelled(BOUNDS[option])}]" in help_text, help_text
    assert f"<={_spelled(BOUNDS[option])}" in " ".join(run(command, "--help").stdout.split())


@pytest.mark.parametrize(("command", "param"), INT_OPTIONS, ids=_ids(INT_OPTIONS))
@pytest.mark.parametrize("past", ["by-one", "by-1e30", "5000-digits"])
def test_size_options_refuse_values_past_their_bound_in_one_short_line(command, param, past):
    option = param.opts[0]
    value = {"by-one": str(param.type.max + 1), "by-1e30": str(param.type.max + 10**30), "5000-digits": "9" * 5000}[
        past
    ]
    line = assert_one_line_error(run(*BASE_RUN[command], option, value), [option, _spelled(param.type.max)])
    assert len(line) < 300, line  # a 5,000-digit value is cut in the message


@pytest.mark.parametrize(("command", "param"), INT_OPTIONS, ids=_ids(INT_OPTIONS))
@pytest.mark.parametrize("value", ["-1", "1.5", "1e3", "ten", ""])
def test_size_options_refuse_what_is_not_a_whole_number_in_range(command, param, value):
    option = param.opts[0]
    assert_one_line_error(run(*BASE_RUN[command], option, value), [option])


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "0.7,0.3", "0.4,0.6", "--top", str(MAX_TOP)],
        ["compare", "1,2,3,4,5,6,7,8,9,10", "2,3,4,5,6,7,8,9,10,11", "--samples", "--bins", str(MAX_BINS)],
        ["drift", REFERENCE, CURRENT, "--bins", str(MAX_BINS), "--chunk-rows", str(MAX_CHUNK_ROWS)],
        ["profile", REFERENCE, "-o", "-", "--bins", str(MAX_BINS)],
        # 2**53 as a sample size and as a seed: the bootstrap draws from it
        [*BASE_RUN["compare"], "--n-p", str(2**53), "--n-q", str(2**53), "--bootstrap", "5", "--seed", str(2**53)],
    ],
    ids=["top", "compare-bins", "drift-bins-chunk-rows", "profile-bins", "n-p-n-q-seed"],
)
def test_values_at_the_bound_are_accepted(args):
    if "--top" in args:  # --top shapes the table and markdown only (JSON lists every category)
        result = run(*args, "--format", "markdown")
        assert result.exit_code == 0 and "kl_pq" in result.stdout, describe(result)
        return
    result = run(*args, "--format", "json") if args[0] != "profile" else run(*args)
    assert result.exit_code in (0, 1), describe(result)
    data = strict_json(result.stdout)
    if "--seed" in args:
        assert data["bootstrap"]["seed"] == 2**53  # echoed exactly: a double holds it


def test_bins_past_the_bound_no_longer_build_huge_profiles():
    """A 3,000-row profile with --bins 1000000 was 113 MB; now it is refused at once."""
    line = assert_one_line_error(run("profile", REFERENCE, "-o", "-", "--bins", "1000000"), ["--bins", "10,000"])
    assert "internal error" not in line


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "0.7,0.3", "0.4,0.6", "--n-p", "100000000000000000000", "--n-q", "10", "--bootstrap", "10"],
        ["drift", REFERENCE, CURRENT, "--chunk-rows", "100000000000000000000"],
        ["profile", REFERENCE, "-o", "-", "--bins", "100000000000000000000000"],
    ],
    ids=["n-p", "chunk-rows", "bins"],
)
def test_huge_sizes_are_refused_not_internal_errors(args):
    line = assert_one_line_error(run(*args))
    assert "internal error" not in line and "range" in line


# ---------------------------------------------------------------------------
# 2. Exit statuses stay meaningful


STATUS_CASES = {
    "compare-ok": (["compare", FORECAST, OBSERVED], 0),
    "compare-warns": (["compare", "1,2", "3,4"], 0),  # small samples: warnings on stderr
    "compare-over": (["compare", "0.7,0.3", "0.4,0.6", "--fail-above", "0.1"], 1),
    "compare-usage-error": (["compare", "0.7,0.3", "0.4,0.6", "--alpha", "1"], 2),
    "compare-input-error": (["compare", "no-such-file.csv", "0.5,0.5"], 2),
    "drift": (["drift", REFERENCE, CURRENT], 1),
    "drift-no-drift": (["drift", REFERENCE, REFERENCE], 0),
    "profile-stdout": (["profile", REFERENCE, "-o", "-"], 0),
    "profile-file": (["profile", REFERENCE, "-o", "OUT"], 0),  # its confirmation goes to stderr
}


def _status_args(name: str, tmp_path: Path) -> tuple[list[str], int]:
    args, code = STATUS_CASES[name]
    return [str(tmp_path / "out.json") if a == "OUT" else a for a in args], code


@pytest.mark.parametrize("case", list(STATUS_CASES))
def test_a_full_stderr_never_changes_the_exit_status(tmp_path, case):
    """2>/dev/full made every status 1 ('drift' to CI); a diagnostic that cannot
    be written is dropped, an error that cannot be written still exits 2."""
    args, code = _status_args(case, tmp_path)
    with open("/dev/full", "w") as full:
        proc = _child(args, stderr=full, cwd=tmp_path)
    assert proc.returncode == code
    reference = _child(args, cwd=tmp_path)
    assert reference.returncode == code
    assert proc.stdout == reference.stdout  # the result is whole all the same


@pytest.mark.parametrize("case", list(STATUS_CASES))
def test_a_closed_stderr_never_changes_the_exit_status(tmp_path, case):
    args, code = _status_args(case, tmp_path)
    proc = _child(args, stderr=None, cwd=tmp_path, preexec_fn=lambda: os.close(2))
    assert proc.returncode == code


@pytest.mark.parametrize("case", ["drift", "drift-no-drift", "profile-file", "compare-over", "compare-input-error"])
def test_the_run_ends_without_the_interpreters_teardown(tmp_path, case):
    """Arrow's native threads, torn down with the interpreter, aborted a
    finished drift run now and then (exit 134 after a whole report, seen in CI
    under load). kl-cli leaves by ``os._exit`` once its streams are flushed: an
    exit handler registered before the run never runs, the status and the
    output are the run's own."""
    args, code = _status_args(case, tmp_path)
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('TEARDOWN\\n'))\n"
        "from kl_cli.cli.app import run\n"
        f"sys.argv = ['kl-cli', *{args!r}]\n"
        "run()\n"
    )
    # The environment as _child passes it: a child given none inherits the C-level
    # one, where readline (imported under pytest) may have set COLUMNS and LINES.
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, cwd=tmp_path, timeout=120, check=False, env={**os.environ}
    )
    assert proc.returncode == code, proc.stderr
    assert b"TEARDOWN" not in proc.stderr
    reference = _child(args, cwd=tmp_path)
    assert proc.stdout == reference.stdout and reference.returncode == code


WRITING_CASES = {
    "compare": ["compare", FORECAST, OBSERVED],
    "compare-value": ["compare", "0.7,0.3", "0.4,0.6", "--format", "value"],
    "compare-json": ["compare", FORECAST, OBSERVED, "--format", "json"],
    "drift": ["drift", REFERENCE, CURRENT],
    "drift-markdown": ["drift", REFERENCE, CURRENT, "--format", "markdown"],
    "profile": ["profile", REFERENCE, "-o", "-"],
    "help": ["compare", "--help"],
}


@pytest.mark.parametrize("case", list(WRITING_CASES))
def test_a_full_stdout_is_exit_2_with_one_line(case):
    with open("/dev/full", "w") as full:
        proc = _child(WRITING_CASES[case], stdout=full)
    assert proc.returncode == 2, proc.stderr
    assert _lines(proc.stderr)[-1:] == ["kl-cli: error: cannot write to standard output: No space left on device"]
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr


@pytest.mark.parametrize("case", list(WRITING_CASES))
def test_a_closed_stdout_is_exit_2_with_one_line(case):
    proc = _child(WRITING_CASES[case], stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2, proc.stderr
    assert _lines(proc.stderr)[-1:] == ["kl-cli: error: standard output is closed"]
    assert b"internal error" not in proc.stderr and b"Traceback" not in proc.stderr


def test_a_closed_stdout_is_refused_before_the_work():
    """compare and drift need standard output: nothing is read when it is closed."""
    proc = _child(["drift", "no-such-reference.csv", CURRENT], stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    assert _lines(proc.stderr) == ["kl-cli: error: standard output is closed"]


def test_profile_to_a_file_needs_no_stdout(tmp_path):
    out = tmp_path / "p.json"
    proc = _child(["profile", REFERENCE, "-o", str(out)], stdout=None, preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0, proc.stderr
    assert strict_json(out.read_text())["rows"] == 3000


def test_closed_stdout_and_stderr_still_exit_2():
    def close_both() -> None:
        os.close(1)
        os.close(2)

    proc = _child(WRITING_CASES["compare"], stdout=None, stderr=None, preexec_fn=close_both)
    assert proc.returncode == 2


@pytest.mark.parametrize("args", [["compare", "-", "0.5,0.5"], ["drift", REFERENCE, "-"]], ids=["compare", "drift"])
def test_a_closed_stdin_is_exit_2_with_one_line(args):
    proc = _child(args, stdin=None, preexec_fn=lambda: os.close(0))
    assert proc.returncode == 2
    assert _lines(proc.stderr) == ["kl-cli: error: standard input is closed"]


@pytest.mark.parametrize(
    ("args", "done"),
    [
        (["compare", FORECAST, OBSERVED, "--format", "csv"], 0),
        (["drift", REFERENCE, CURRENT, "--format", "markdown"], 1),  # done before head left: drift found
        (["profile", REFERENCE, "-o", "-"], 0),
    ],
    ids=["compare", "drift", "profile"],
)
def test_into_head_still_ends_quietly(args, done):
    producer = subprocess.Popen([*KL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    producer.stdout.close()
    first, _ = head.communicate(timeout=60)
    err = producer.stderr.read()
    producer.stderr.close()
    rc = producer.wait(timeout=60)
    assert first.count(b"\n") == 1
    assert err == b"", err
    assert rc in (done, -signal.SIGPIPE), rc


def test_python_warnings_reach_stderr_as_one_visible_line(tmp_path):
    """A library's warning goes through the same one-line, escaped path as every diagnostic."""
    script = (
        "import warnings, sys\n"
        "from kl_cli.cli import app\n"
        "@app.cli.command('warn')\n"
        "def warn():\n"
        "    warnings.warn('odd\\x1b[31m thing\\nsecond line')\n"
        "sys.argv = ['kl-cli', 'warn']\n"
        "app.run()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert _lines(proc.stderr) == ["kl-cli: warning: UserWarning: odd\\x1b[31m thing second line"]


# ---------------------------------------------------------------------------
# 3. Encodings, terminals and markdown


NUMBER = re.compile(rb"\d+(?:\.\d+)?(?:e[-+]?\d+)?")

ENCODED_CASES = {
    "compare": ["compare", FORECAST, OBSERVED],
    "compare-resampled": ["compare", "a=12,b=8,c=6", "a=9,b=9,c=9", "--permutations", "99", "--bootstrap", "50"],
    "compare-markdown": ["compare", FORECAST, OBSERVED, "--format", "markdown"],
    "drift": ["drift", REFERENCE, CURRENT],
    "drift-resampled": ["drift", REFERENCE, CURRENT, "--permutations", "49", "--bootstrap", "20"],
    "drift-detail": ["drift", REFERENCE, CURRENT, "--detail", "region"],
    "drift-markdown": ["drift", REFERENCE, CURRENT, "--format", "markdown", "--detail", "age"],
}


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "cp1252"])
@pytest.mark.parametrize("case", list(ENCODED_CASES))
def test_reports_come_out_whole_in_an_encoding_that_lacks_their_characters(case, encoding):
    """PYTHONIOENCODING=latin-1 broke the table part-way on '‖'; now the whole
    report comes out, with ASCII spellings, and every number of the UTF-8 report."""
    args = [*ENCODED_CASES[case], "--seed", "1"] if "resampled" in case else ENCODED_CASES[case]
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}
    utf8 = _reference_run(tuple(args), tuple({**env, "PYTHONIOENCODING": "utf-8"}.items()))
    narrow = _child(args, env={**env, "PYTHONIOENCODING": encoding})
    assert utf8.returncode in (0, 1), utf8.stderr
    assert narrow.returncode == utf8.returncode, narrow.stderr
    assert b"Error" not in narrow.stderr and b"Traceback" not in narrow.stderr
    text = narrow.stdout.decode(encoding)  # written in the encoding asked for
    assert NUMBER.findall(narrow.stdout) == NUMBER.findall(utf8.stdout)
    assert len(narrow.stdout.splitlines()) == len(utf8.stdout.splitlines())
    if "‖" in utf8.stdout.decode():
        assert "||" in text
    if "markdown" not in case:
        last = utf8.stdout.decode().rstrip().splitlines()[-1]
        assert text.rstrip().splitlines()[-1].strip()[:10] == last.strip()[:10]


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "cp1252"])
@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_labels_the_encoding_cannot_hold_are_escaped(encoding, fmt):
    p, q = "é=1,‖=2,😀=3", "é=2,‖=1,😀=3"
    top = [] if fmt == "csv" else ["--top", "0"]  # csv lists every category: --top has no effect there
    proc = _child(["compare", p, q, "--format", fmt, *top], env={"PYTHONIOENCODING": encoding})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode(encoding)
    assert "\\u2016" in text and "\\U0001f600" in text
    assert ("é" in text) == (encoding != "ascii") and ("\\xe9" in text) == (encoding == "ascii")
    if fmt != "csv":  # in the table and markdown the label is escaped, never respelled as '||'
        category_lines = [line for line in text.splitlines() if "\\u2016" in line and "%" not in line]
        assert category_lines and all("||" not in line for line in category_lines), text


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_drift_names_the_encoding_cannot_hold_are_escaped(tmp_path, encoding):
    header = ["plan‖tier", "naïve"]
    rows = [["a" if i % 3 else "b", "x" if i % 2 else "y"] for i in range(60)]
    ref = write_csv(tmp_path / "ref.csv", header, rows)
    cur = write_csv(tmp_path / "cur.csv", header, rows[::-1][:40])
    for fmt in ("table", "markdown", "csv", "json"):
        proc = _child(["drift", ref, cur, "--format", fmt], env={"PYTHONIOENCODING": encoding, "COLUMNS": "120"})
        assert proc.returncode in (0, 1), proc.stderr
        text = proc.stdout.decode(encoding)
        assert "plan\\u2016tier" in text, text  # JSON's own escape, or kl-cli's
        if fmt == "json":
            assert list(by_column(json.loads(text))) == header  # JSON keeps the names exact


WIDTH_ENV = {"TERM": "dumb", "NO_COLOR": "1"}
WIDTH_CASES = {
    "compare": ["compare", FORECAST, OBSERVED, "--top", "0"],
    "compare-resampled": ["compare", "a=12,b=8,c=6,d=2", "a=9,b=9,c=9,d=5", "--permutations", "99", "--seed", "1"],
    "drift": ["drift", REFERENCE, CURRENT],
    "drift-resampled": ["drift", REFERENCE, CURRENT, "--permutations", "49", "--bootstrap", "20", "--seed", "1"],
}


@pytest.mark.parametrize("columns", ["0", "1", "5", "-3", "79"])
@pytest.mark.parametrize("case", list(WIDTH_CASES))
def test_a_columns_too_small_falls_back_to_80(case, columns):
    """COLUMNS=0 printed an empty report (exit 0); every value too small gives the 80-column report."""
    result = run(*WIDTH_CASES[case], env={**WIDTH_ENV, "COLUMNS": columns})
    sane = run(*WIDTH_CASES[case], env={**WIDTH_ENV, "COLUMNS": "80"})
    assert result.exit_code == sane.exit_code and result.exit_code in (0, 1), describe(result)
    assert result.stdout == sane.stdout
    assert "…" not in sane.stdout  # at 80 columns no cell is cut


@pytest.mark.parametrize("columns", ["1001", "100000000000", "9" * 4000])
def test_a_huge_columns_is_held_at_1000(columns):
    result = run(*WIDTH_CASES["compare"], env={**WIDTH_ENV, "COLUMNS": columns})
    capped = run(*WIDTH_CASES["compare"], env={**WIDTH_ENV, "COLUMNS": "1000"})
    assert result.exit_code == 0, describe(result)
    assert result.stdout == capped.stdout


@pytest.mark.parametrize(("columns", "width"), [("0", 80), ("-3", 80), ("100", 100), ("10" * 9, 1000), ("x", 400)])
def test_the_width_rich_is_given(monkeypatch, columns, width):
    """The width itself (the reports above are too short for 1,000 and 10**17 columns to differ);
    a COLUMNS that is not a number is ignored, and a report to no terminal gets the piped width
    (issue 14: a width that fits the content, so no line is wrapped mid-word)."""
    from kl_cli.render.writers import report_width

    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr("os.get_terminal_size", lambda fd: (_ for _ in ()).throw(OSError("no terminal")))
    assert report_width(io.StringIO()) == width


@pytest.mark.parametrize("columns", ["abc", "", "8O", "9" * 5000])
@pytest.mark.parametrize("case", ["compare", "drift"])
def test_a_garbage_columns_falls_back_to_a_sane_width(case, columns):
    """Not a number: ignored, as if COLUMNS were unset: the terminal's width, and with no terminal
    (as here) the piped width, which fits the content (issue 14)."""
    garbage = _child(WIDTH_CASES[case], env={**WIDTH_ENV, "COLUMNS": columns})
    unset = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    sane = subprocess.run([*KL, *WIDTH_CASES[case]], env={**unset, **WIDTH_ENV}, capture_output=True, check=False)
    assert garbage.returncode == sane.returncode and garbage.returncode in (0, 1), garbage.stderr
    assert garbage.stdout == sane.stdout


def test_every_row_is_in_the_table_whatever_the_columns():
    names = ["order_id", "region", "plan", "age", "basket_value", "channel", "rating"]
    for columns in ("0", "1", "5", "-3", "100000"):
        out = run("drift", REFERENCE, CURRENT, env={**WIDTH_ENV, "COLUMNS": columns}).stdout
        assert all(re.search(rf"^{name}\b", out, re.MULTILINE) for name in names), (columns, out)
        assert "drift detected" in out


INJECTIONS = ["x\n# injected heading", "y\n\n- injected item", "> quote", "| a | b |", "&amp; $x^2$", "<b>bold</b>"]


def _markdown_is_safe(text: str, own_lines: int) -> None:
    """Only the report's own structure: its heading, its paragraphs, table rows of one
    width, notes; no line that a field started (a heading, a list item, a quote)."""
    lines = text.splitlines()
    assert sum(line.startswith("#") for line in lines) == own_lines, text
    assert not any(line.startswith(("- injected", "> quote", "<")) for line in lines), text
    assert "<b>" not in text and "&amp;" not in text.replace("\\&amp;", "")
    tables: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    for table in filter(None, tables):
        assert len({unescaped_pipes(row) for row in table}) == 1, table


def test_drift_markdown_escapes_names_from_a_data_file(tmp_path):
    header = ["ok", *INJECTIONS]
    rows = [[str(i % 4), *("abc"[(i + k) % 3] for k in range(len(INJECTIONS)))] for i in range(90)]
    ref = write_csv(tmp_path / "ref\n# injected source.csv", header, rows)
    cur = write_csv(tmp_path / "cur.csv", header, rows[:50])
    for detail in ([], ["--detail", INJECTIONS[0]]):
        result = run("drift", ref, cur, "--format", "markdown", *detail)
        assert result.exit_code in (0, 1), describe(result)
        _markdown_is_safe(result.stdout, own_lines=2 if detail else 1)
        assert "injected heading" in result.stdout  # shown, escaped


def test_drift_markdown_escapes_every_field_of_a_profile(tmp_path):
    """A profile is untrusted: its sources, typed_by, reasons and counts' labels
    may hold anything; a field that the loader lets through is escaped."""
    profile = json.loads((SAMPLE_DATA / "reference.profile.json").read_text())
    profile["sources"] = ["evil\n# injected source"]
    profile["columns"]["order_id"]["reason"] = "skipped\n# injected reason\n- injected item"
    profile["columns"]["region"]["typed_by"] = "text\n# injected typed_by"
    counts = profile["columns"]["region"]["counts"]
    profile["columns"]["region"]["counts"] = {"north\n# injected label": counts.pop("north"), **counts}
    path = tmp_path / "evil.profile.json"
    path.write_text(json.dumps(profile))
    result = run("drift", str(path), CURRENT, "--format", "markdown", "--detail", "region")
    if result.exit_code == 2:  # refused by the loader: one line, which is also safe
        assert_one_line_error(result)
        return
    assert result.exit_code in (0, 1), describe(result)
    _markdown_is_safe(result.stdout, own_lines=2)


def test_drift_markdown_escapes_type_reason_and_notes_of_any_report():
    """The renderer itself, fed a report whose every text field is hostile
    (a loader that let one through must not make markup of it)."""
    from kl_cli import drift
    from kl_cli.render.drift import render_drift

    report = drift(REFERENCE, CURRENT)
    for i, column in enumerate(report.columns):
        column.type = f"numeric\n# injected type {i}"
        column.typed_by = "t\n# injected typed_by"
        column.notes.append("note\n# injected note")
        column.reason = column.reason and "why\n# injected reason"
    report.notes.append("> \n# injected report note")
    out = io.StringIO()
    render_drift(report, "markdown", out)
    _markdown_is_safe(out.getvalue(), own_lines=1)
    assert "numeric\\n\\# injected type 0" in out.getvalue()


def test_compare_markdown_escapes_labels_and_sources(tmp_path):
    data = tmp_path / "p\n# injected source.csv"
    data.write_text("label,value\n" + "".join(f'"{lab}",{i + 1}\n' for i, lab in enumerate(INJECTIONS)))
    result = run("compare", str(data), str(data), "--format", "markdown", "--top", "0")
    assert result.exit_code == 0, describe(result)
    _markdown_is_safe(result.stdout, own_lines=1)
    assert "injected heading" in result.stdout


def test_markdown_keeps_ampersands_and_dollars_literal(kl):
    out = kl.ok("a&amp;b=1,$x$=2", "a&amp;b=2,$x$=1", "--format", "markdown").stdout
    assert "a\\&amp;b" in out and "\\$x\\$" in out


# ---------------------------------------------------------------------------
# 4. SIGTERM and SIGHUP go the way of Ctrl-C


def _blocked_on_a_pipe(pid: int) -> bool:
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def _signalled(args: list[str], signum: int, *, waiting: str) -> tuple[int, bytes, bytes]:
    proc = subprocess.Popen([*KL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if waiting == "stdin":
            wait_until(lambda: _blocked_on_a_pipe(proc.pid) or proc.poll() is not None, 30, "kl-cli to block on stdin")
        else:  # computing: well past start-up (the permutations are being drawn)
            time.sleep(2)
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signum)
        rc = proc.wait(timeout=30)
        return rc, proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


SIGNALS = [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")]


@pytest.mark.parametrize(("signum", "status", "name"), SIGNALS, ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize(
    "args",
    [["compare", "-", "0.5,0.5"], ["drift", REFERENCE, "-"], ["profile", "-", "-o", "-"]],
    ids=["compare", "drift", "profile"],
)
def test_terminated_while_waiting_for_stdin(args, signum, status, name):
    rc, out, err = _signalled(args, signum, waiting="stdin")
    assert rc == status, err
    assert _lines(err) == [f"kl-cli: error: terminated ({name})"], err
    assert out == b""


@pytest.mark.parametrize(("signum", "status", "name"), SIGNALS, ids=["SIGTERM", "SIGHUP"])
def test_terminated_while_computing(signum, status, name):
    p, q = "a=1000,b=1100,c=900,d=1000,e=1050", "a=1100,b=1000,c=950,d=1000,e=1000"
    args = ["compare", p, q, "--permutations", str(MAX_RESAMPLES), "--seed", "1"]
    rc, _, err = _signalled(args, signum, waiting="cpu")
    assert rc == status, err
    assert _lines(err) == [f"kl-cli: error: terminated ({name})"], err
    assert b"Traceback" not in err


def test_the_terminated_status_is_128_plus_the_signal():
    from kl_cli.errors import Terminated

    for signum, status, name in SIGNALS:
        assert Terminated(signum, name).status == status == 128 + signum
    assert not issubclass(Terminated, Exception)  # no 'except Exception' can take it for an error


def test_nan_never_reaches_a_report():
    """The float type refuses NaN before any pipeline sees it, whatever the spelling."""
    for spelling in ("nan", "+nan", "NAN", "-NaN"):
        assert math.isnan(float(spelling))
        result = run("drift", REFERENCE, CURRENT, "--threshold", spelling, "--format", "json")
        assert_one_line_error(result, ["--threshold"])


def test_an_input_that_ends_early_is_trouble_not_an_interruption(monkeypatch):
    """click turns an EOFError raised anywhere into Abort, which meant exit 130
    ('interrupted'); an input that ended early is trouble (exit 2), one line."""
    import kl_cli.reports.compare as compare_report

    def ends_early(*args, **kwargs):
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")

    monkeypatch.setattr(compare_report, "run_compare", ends_early)
    result = run("compare", "0.5,0.5", "0.4,0.6")
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert_one_line_error(result, "ended before")
    assert "interrupted" not in result.stderr
