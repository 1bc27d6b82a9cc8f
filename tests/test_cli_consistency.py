"""One consistent command line (issue 14): options that would do nothing are
usage errors, bare ``kl-cli`` is the help, ``profile -o -`` feeds ``drift -``,
shared option names are documented in one table, shell completion works, and
drift warns when noise alone is above the threshold without permutations."""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
from helpers import REPO, SAMPLE_DATA, assert_one_line_error, by_column, describe, run, strict_json, write_csv

from kl_cli.cli import cli
from kl_cli.cli.needs import NEEDS, KlCommand
from kl_cli.core.null_bias import expected_under_no_change

KL = [sys.executable, "-m", "kl_cli"]
REFERENCE = str(SAMPLE_DATA / "reference.csv")
CURRENT = str(SAMPLE_DATA / "current.csv")
LATENCY = str(SAMPLE_DATA / "latency_ms.csv")
WORDS = str(SAMPLE_DATA / "word_counts.tsv")
PAIR = ["0.7,0.3", "0.4,0.6"]
DRIFT = ["drift", REFERENCE, CURRENT]


# ---------------------------------------------------------------------------
# An option that has no effect is a usage error that says what it needs


NO_EFFECT = {
    # compare
    "bins-without-samples": (["compare", *PAIR, "--bins", "3"], "--bins has no effect without --samples"),
    "binning-without-samples": (
        ["compare", *PAIR, "--binning", "uniform"],
        "--binning has no effect without --samples",
    ),
    "estimator-without-samples": (
        ["compare", *PAIR, "--estimator", "binned"],
        "--estimator has no effect without --samples",
    ),
    "k-without-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--k", "3"],
        "--k has no effect without --estimator knn",
    ),
    "columns-without-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--columns", "ms"],
        "--columns has no effect without --estimator knn",
    ),
    "bins-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--bins", "3"],
        "--bins has no effect with --estimator knn: it needs --estimator binned",
    ),
    "binning-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--binning", "uniform"],
        "--binning has no effect with --estimator knn",
    ),
    "smoothing-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--smoothing", "mix"],
        "--smoothing has no effect with --estimator knn",
    ),
    "n-p-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--n-p", "10"],
        "--n-p has no effect with --estimator knn",
    ),
    "top-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--top", "3"],
        "--top has no effect with --estimator knn",
    ),
    "strict-with-samples": (
        ["compare", LATENCY, LATENCY, "--samples", "--strict"],
        "--strict has no effect with --samples",
    ),
    "confidence-without-bootstrap": (
        ["compare", *PAIR, "--confidence", "0.9", "--n-p", "50", "--n-q", "50", "--permutations", "9"],
        "--confidence has no effect without --bootstrap",
    ),
    "seed-alone": (
        ["compare", *PAIR, "--seed", "1"],
        "--seed has no effect without --permutations, --bootstrap, --estimator knn or a parametric distribution",
    ),
    "alpha-without-additive": (
        ["compare", *PAIR, "--alpha", "1"],
        "--alpha has no effect without --smoothing additive",
    ),
    "epsilon-with-mix": (
        ["compare", *PAIR, "--smoothing", "mix", "--epsilon", "1e-9"],
        "--epsilon has no effect without --smoothing epsilon",
    ),
    "lambda-alone": (["compare", *PAIR, "--lambda", "0.1"], "--lambda has no effect without --smoothing mix"),
    "top-with-json": (["compare", *PAIR, "--top", "3", "--format", "json"], "--top has no effect with --format json"),
    "top-with-two-distributions": (
        ["compare", "normal(0,1)", "normal(1,2)", "--top", "3"],
        "--top has no effect without categories (two distributions have none)",
    ),
    "order-with-value": (
        ["compare", *PAIR, "--order", "input", "--format", "value"],
        "--order has no effect with --format value: it needs a format that lists categories",
    ),
    "order-with-knn": (
        ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--order", "input"],
        "--order has no effect with --estimator knn",
    ),
    "order-with-two-distributions": (
        ["compare", "normal(0,1)", "poisson(3)", "--order", "contribution"],
        "--order has no effect without categories (two distributions have none)",
    ),
    "metric-with-table": (
        ["compare", *PAIR, "--metric", "js_distance"],
        "--metric has no effect without --format value or --fail-above",
    ),
    "column-overridden": (
        ["compare", "x.csv", "--column", "a", "--p-column", "b", "--q-column", "c"],
        "--column has no effect with both --p-column and --q-column",
    ),
    "input-format-overridden": (
        ["compare", *PAIR, "--input-format", "csv", "--p-format", "json", "--q-format", "tsv"],
        "--input-format has no effect with both --p-format and --q-format",
    ),
    # drift
    "drift-input-format-overridden": (
        [*DRIFT, "--input-format", "csv", "--reference-format", "csv", "--current-format", "csv"],
        "--input-format has no effect with both --reference-format and --current-format",
    ),
    "significance-without-permutations": (
        [*DRIFT, "--significance", "0.01"],
        "--significance has no effect without --permutations",
    ),
    "correction-without-permutations": (
        [*DRIFT, "--correction", "bh"],
        "--correction has no effect without --permutations",
    ),
    "drift-seed-alone": ([*DRIFT, "--seed", "4"], "--seed has no effect without --permutations or --bootstrap"),
    "drift-confidence": (
        [*DRIFT, "--confidence", "0.8", "--permutations", "9"],
        "--confidence has no effect without --bootstrap",
    ),
    "detail-with-csv": (
        [*DRIFT, "--detail", "plan", "--format", "csv"],
        "--detail has no effect with --format csv: it needs --format table, markdown or html",
    ),
    "detail-with-junit": (
        [*DRIFT, "--detail", "plan", "--format", "junit"],
        "--detail has no effect with --format junit",
    ),
    "detail-with-json": ([*DRIFT, "--detail", "plan", "--format", "json"], "--detail has no effect with --format json"),
    "drift-alpha": ([*DRIFT, "--alpha", "2"], "--alpha has no effect without --smoothing additive"),
    # batch, sampled, matrix: the same class of problem
    "batch-per-row": (
        ["batch", "0.5,0.5", "0.4,0.6", "--per-row"],
        "--per-row has no effect without --format json",
    ),
    "batch-temperature": (
        ["batch", "0.5,0.5", "0.4,0.6", "--temperature", "2"],
        "--temperature has no effect without --input logits",
    ),
    "batch-stat": (
        ["batch", "0.5,0.5", "0.4,0.6", "--stat", "max"],
        "--stat has no effect without --format value or --fail-above",
    ),
    "batch-metric": (
        ["batch", "0.5,0.5", "0.4,0.6", "--metric", "hellinger", "--format", "json"],
        "--metric has no effect without --format value or --fail-above",
    ),
    "sampled-estimator": (
        ["sampled", "x.csv", "--estimator", "k1"],
        "--estimator has no effect without --format value or --fail-above",
    ),
    "sampled-per": (["sampled", "x.csv", "--per", "sequence"], "--per has no effect without --format value"),
    "sampled-stat": (["sampled", "x.csv", "--stat", "sem", "--format", "csv"], "--stat has no effect without"),
    "matrix-lambda": (["matrix", "0.5,0.5", "0.4,0.6", "--lambda", "0.1"], "--lambda has no effect without"),
}


@pytest.mark.parametrize("case", list(NO_EFFECT), ids=list(NO_EFFECT))
def test_an_option_without_effect_is_a_usage_error_naming_what_it_needs(case):
    args, message = NO_EFFECT[case]
    line = assert_one_line_error(run(*args), [message])
    assert line.startswith(f"kl-cli: error: {message}"), line


# The same options with what they need: they run (0, or 1 for drift's drifted columns).
WITH_WHAT_THEY_NEED = {
    "bins-with-samples": ["compare", LATENCY, LATENCY, "--samples", "--bins", "3", "--binning", "uniform"],
    "estimator-binned": ["compare", LATENCY, LATENCY, "--samples", "--estimator", "binned", "--bins", "4"],
    "knn-k-seed": ["compare", LATENCY, LATENCY, "--samples", "--estimator", "knn", "--k", "2", "--seed", "3"],
    "confidence-with-bootstrap": [
        "compare",
        *PAIR,
        "--n-p",
        "50",
        "--n-q",
        "50",
        "--bootstrap",
        "20",
        "--confidence",
        "0.9",
    ],
    "seed-with-permutations": ["compare", *PAIR, "--n-p", "50", "--n-q", "50", "--permutations", "9", "--seed", "1"],
    "seed-with-a-distribution": ["compare", "normal(0,1)", "normal(1,2)", "--seed", "5"],
    "alpha-with-additive": ["compare", *PAIR, "--smoothing", "additive", "--alpha", "0.5"],
    "top-with-markdown": ["compare", *PAIR, "--top", "1", "--format", "markdown"],
    "top-with-html": ["compare", *PAIR, "--top", "1", "--format", "html"],
    "order-with-csv": ["compare", *PAIR, "--order", "input", "--format", "csv"],
    "order-with-binned-samples": ["compare", LATENCY, LATENCY, "--samples", "--order", "contribution"],
    "metric-with-value": ["compare", *PAIR, "--metric", "js_distance", "--format", "value"],
    "metric-with-fail-above": ["compare", *PAIR, "--metric", "js_distance", "--fail-above", "0.9"],
    "significance-with-permutations": [*DRIFT, "--permutations", "19", "--significance", "0.1", "--seed", "1"],
    "detail-with-markdown": [*DRIFT, "--detail", "plan", "--format", "markdown"],
    "drift-confidence": [*DRIFT, "--bootstrap", "10", "--confidence", "0.8", "--seed", "2", "--format", "json"],
    "column-with-one-side-column": [
        "compare",
        WORDS,
        WORDS,
        "--column",
        "speeches_2019",
        "--q-column",
        "speeches_2023",
    ],
    "drift-input-format-with-one-side": [*DRIFT, "--input-format", "csv", "--current-format", "csv"],
    "batch-per-row-json": ["batch", "{P}", "{Q}", "--per-row", "--format", "json"],
    "batch-stat-value": ["batch", "{P}", "{Q}", "--stat", "max", "--format", "value"],
    "batch-temperature-logits": ["batch", "{P}", "{Q}", "--input", "logits", "--temperature", "2"],
}


@pytest.mark.parametrize("case", list(WITH_WHAT_THEY_NEED), ids=list(WITH_WHAT_THEY_NEED))
def test_the_same_options_with_what_they_need_run(case, tmp_path):
    sides = {"{P}": "a,b\n0.5,0.5\n0.2,0.8\n", "{Q}": "a,b\n0.4,0.6\n0.3,0.7\n"}
    for name, text in sides.items():
        (tmp_path / f"{name[1]}.csv").write_text(text)
    args = [str(tmp_path / f"{a[1]}.csv") if a in sides else a for a in WITH_WHAT_THEY_NEED[case]]
    result = run(*args)
    assert result.exit_code in (0, 1), describe(result)
    assert "no effect" not in result.stderr


def test_an_option_left_at_its_default_is_not_refused():
    """--confidence, --significance, --bins and --top have defaults: only the
    command line counts as asking for them."""
    assert run("compare", *PAIR, "--format", "json").exit_code == 0
    assert run(*DRIFT, "--format", "json").exit_code in (0, 1)
    # the default given explicitly is still asked for on the command line
    assert_one_line_error(run(*DRIFT, "--significance", "0.05"), ["--significance has no effect"])


def test_a_default_map_neither_triggers_nor_blocks():
    """A configuration file (click's default map) may hold --significance for
    runs with and without permutations: only the command line is refused, and
    the values the rule reads include the map's."""
    silent = run_with_defaults({"drift": {"significance": 0.01}}, *DRIFT, "--format", "json")
    assert silent.exit_code in (0, 1), describe(silent)
    assert strict_json(silent.stdout)["significance"] is None  # no permutations: not in force
    mapped = run_with_defaults({"drift": {"permutations": 19, "seed": 1}}, *DRIFT, "--significance", "0.2")
    assert mapped.exit_code in (0, 1) and "no effect" not in mapped.stderr, describe(mapped)


def run_with_defaults(default_map: dict, *args: str) -> click.testing.Result:
    from click.testing import CliRunner

    return CliRunner().invoke(cli, list(args), default_map=default_map)


def test_the_table_names_real_options_of_its_commands():
    """Every row of the table refers to options the commands have, so it cannot go stale."""
    for need in NEEDS:
        for name in need.commands:
            names = {p.name for p in cli.commands[name].params}
            assert need.option in names, (need, name)
            assert need.against is None or need.against in names, (need, name)


def test_every_command_checks_the_table():
    assert all(isinstance(command, KlCommand) for command in cli.commands.values())


# ---------------------------------------------------------------------------
# Bare kl-cli


def test_bare_kl_cli_prints_the_help_and_exits_0():
    bare, helped = run(), run("--help")
    assert bare.exit_code == 0, describe(bare)
    assert bare.stderr == ""
    assert bare.stdout == helped.stdout
    assert bare.stdout.startswith("Usage: ") and "Commands:" in bare.stdout
    for name in cli.commands:
        assert re.search(rf"^  {name}\b", bare.stdout, re.M), name


def test_bare_kl_cli_as_a_process():
    proc = subprocess.run(KL, capture_output=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(b"Usage: kl-cli ") and proc.stderr == b""


# ---------------------------------------------------------------------------
# profile -o - and drift -


def test_profile_to_stdout_is_the_profile_a_file_gets(tmp_path):
    out = run("profile", REFERENCE, "-o", "-")
    assert out.exit_code == 0, describe(out)
    document = strict_json(out.stdout)  # stdout holds the profile and nothing else
    assert document["format"] == "kl-cli-profile"
    target = tmp_path / "p.json"
    assert run("profile", REFERENCE, "-o", str(target)).exit_code == 0
    assert document == strict_json(target.read_text())


def test_drift_reads_a_profile_from_stdin_as_the_reference(tmp_path):
    profile = run("profile", REFERENCE, "-o", "-").stdout
    piped = run("drift", "-", CURRENT, "--format", "json", input=profile)
    target = tmp_path / "p.json"
    target.write_text(profile)
    from_file = run("drift", str(target), CURRENT, "--format", "json")
    assert piped.exit_code == from_file.exit_code == 1, describe(piped)
    a, b = strict_json(piped.stdout), strict_json(from_file.stdout)
    assert a["reference"] == "stdin"
    a.pop("reference"), b.pop("reference")
    assert a == b


def test_drift_reads_data_from_stdin_as_the_reference_too():
    data = Path(REFERENCE).read_text()
    piped = strict_json(run("drift", "-", CURRENT, "--format", "json", input=data).stdout)
    direct = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    assert [c["value"] for c in piped["columns"]] == [c["value"] for c in direct["columns"]]


def test_both_sides_from_stdin_is_a_usage_error():
    profile = run("profile", REFERENCE, "-o", "-").stdout
    assert_one_line_error(run("drift", "-", "-", input=profile), ["standard input", "only once"])


def test_profile_piped_into_drift_as_processes():
    """kl-cli profile data.csv -o - | kl-cli drift - current.csv, for real."""
    producer = subprocess.Popen(
        [*KL, "profile", REFERENCE, "-o", "-"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    consumer = subprocess.run(
        [*KL, "drift", "-", CURRENT, "--format", "json"], stdin=producer.stdout, capture_output=True, timeout=120
    )
    producer.stdout.close()
    assert producer.wait(timeout=60) == 0
    assert consumer.returncode == 1, consumer.stderr  # sample_data's 'plan' column drifts
    piped = strict_json(consumer.stdout.decode())
    direct = strict_json(run("drift", REFERENCE, CURRENT, "--format", "json").stdout)
    assert piped["drifted_columns"] == direct["drifted_columns"] and "plan" in piped["drifted_columns"]
    assert [c["value"] for c in piped["columns"]] == [c["value"] for c in direct["columns"]]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_profile_that_cannot_be_written_to_stdout_is_exit_2_and_one_line():
    """Standard output is not atomic: a failed write is trouble (exit 2, one
    line); a reader of the partial profile refuses it as malformed JSON."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [*KL, "profile", REFERENCE, "-o", "-"], stdout=full, stderr=subprocess.PIPE, timeout=120, check=False
        )
    assert proc.returncode == 2
    lines = proc.stderr.decode().splitlines()
    assert lines == ["kl-cli: error: cannot write to standard output: No space left on device"], lines


def test_a_truncated_profile_on_stdin_is_refused():
    profile = run("profile", REFERENCE, "-o", "-").stdout
    result = run("drift", "-", CURRENT, input=profile[: len(profile) // 2])
    assert result.exit_code == 2 and result.stdout == "", describe(result)


# ---------------------------------------------------------------------------
# Options across commands: the README table


SHARED_COMMANDS = ("compare", "drift", "profile")


def _long_names(command: str) -> set[str]:
    names = set()
    for param in cli.commands[command].params:
        if isinstance(param, click.Option):
            names.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
    return names


def _readme_table_rows() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("### Options across commands")
    section = text[start : text.index("\n#", start + 1)]
    rows = set()
    for line in section.splitlines():
        if line.startswith("| `--"):
            rows.update(re.findall(r"`(--[a-z0-9-]+)`", line.split("|")[1]))
    return rows


def test_every_option_shared_by_two_commands_is_in_the_readme_table():
    names = {c: _long_names(c) for c in SHARED_COMMANDS}
    shared = {n for a in SHARED_COMMANDS for b in SHARED_COMMANDS if a < b for n in names[a] & names[b]}
    shared -= {"--help", "--debug"}
    assert shared, "the commands share options"
    missing = sorted(shared - _readme_table_rows())
    assert not missing, f"README's 'Options across commands' table lacks {missing}"


def test_the_readme_table_states_the_defaults_that_differ():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Options across commands") :]
    base_row = next(line for line in section.splitlines() if line.startswith("| `--base`"))
    assert "`e`" in base_row and "`2`" in base_row
    for command, default in (("compare", "e"), ("drift", "2")):
        (base,) = [p for p in cli.commands[command].params if p.name == "base"]
        assert base.default == default


# ---------------------------------------------------------------------------
# Shell completion


def test_completion_scripts_are_printed():
    for shell, needle in (("bash", "complete -o nosort -F"), ("zsh", "#compdef kl-cli"), ("fish", "complete")):
        proc = subprocess.run(
            KL, env={**os.environ, "_KL_CLI_COMPLETE": f"{shell}_source"}, capture_output=True, timeout=60, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert needle in proc.stdout.decode() and "_KL_CLI_COMPLETE" in proc.stdout.decode(), shell
        assert proc.stderr == b""


def test_completion_completes_commands_options_and_files():
    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "_KL_CLI_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        proc = subprocess.run(KL, env=env, capture_output=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().splitlines()

    assert complete("kl-cli dr", 1) == ["plain,drift"]
    assert "plain,--significance" in complete("kl-cli drift --sig", 2)
    assert "plain,js_distance" in complete("kl-cli drift --metric ", 3)
    assert complete(f"kl-cli drift {SAMPLE_DATA}/ref", 2) == [f"file,{SAMPLE_DATA}/ref"]


def test_the_readme_documents_completion_for_the_entry_point():
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^kl-cli = "kl_cli\.cli:run"$', pyproject, re.M)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_KL_CLI_COMPLETE={shell}_source kl-cli" in readme


# ---------------------------------------------------------------------------
# drift without permutations: noise above the threshold


@pytest.mark.parametrize(
    ("probs", "n", "m"),
    [(np.full(10, 0.1), 200, 300), (np.array([0.5, 0.3, 0.1, 0.05, 0.05]), 500, 400), (np.full(4, 0.25), 60, 90)],
)
def test_the_plug_in_bias_agrees_with_a_simulation(probs, n, m):
    """Two samples of one distribution: the mean of each metric over 3,000
    simulated pairs (scipy's jensenshannon, numpy's multinomial) against the
    approximation from the same pairs' pooled shares."""
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(11)
    simulated: dict[str, list[float]] = {"js_distance": [], "js_divergence": [], "hellinger": [], "total_variation": []}
    simulated["kl_pq"], simulated["jeffreys"] = [], []
    estimated: dict[str, list[float]] = {k: [] for k in simulated}
    for _ in range(3000):
        a, b = rng.multinomial(n, probs) / n, rng.multinomial(m, probs) / m
        js = float(jensenshannon(a, b, base=2))
        simulated["js_distance"].append(js)
        simulated["js_divergence"].append(js * js)
        simulated["hellinger"].append(math.sqrt(float(((np.sqrt(a) - np.sqrt(b)) ** 2).sum()) / 2))
        simulated["total_variation"].append(float(np.abs(a - b).sum()) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl_ab = float(np.where(a > 0, a * np.log2(a / b), 0).sum())
            kl_ba = float(np.where(b > 0, b * np.log2(b / a), 0).sum())
        simulated["kl_pq"].append(kl_ab)
        simulated["jeffreys"].append(kl_ab + kl_ba)
        for k in estimated:
            estimated[k].append(expected_under_no_change(k, a, b, n, m, "2"))
    for k in simulated:
        assert np.isfinite(simulated[k]).all(), k  # every category seen: the quadratic regime
        truth, approx = np.mean(simulated[k]), np.mean(estimated[k])
        assert approx == pytest.approx(truth, rel=0.12), k


def test_the_plug_in_bias_in_other_bases_and_metrics():
    p = q = np.array([0.25, 0.25, 0.5])
    nats = expected_under_no_change("kl_pq", p, q, 100, 100, "e")
    assert nats == pytest.approx(2 * (1 / 100 + 1 / 100) / 2)
    assert expected_under_no_change("kl_pq", p, q, 100, 100, "2") == pytest.approx(nats / math.log(2))
    assert expected_under_no_change("entropy_p", p, q, 100, 100, "e") is None
    # bounded metrics never exceed their maximum
    wide = np.full(1000, 1e-3)
    assert expected_under_no_change("js_distance", wide, wide, 10, 10, "2") <= 1.0
    assert expected_under_no_change("js_divergence", wide, wide, 10, 10, "e") <= math.log(2)


@pytest.fixture(scope="module")
def identical(tmp_path_factory):
    """Both sides sampled from one distribution: 'wide' over 500 categories
    (300 rows a side, noise alone is large), 'narrow' over 2 (well sampled)."""
    rng = np.random.default_rng(21)
    folder = tmp_path_factory.mktemp("identical")

    def rows():
        return [[f"c{rng.integers(500)}", "ab"[rng.integers(2)]] for _ in range(300)]

    return write_csv(folder / "ref.csv", ["wide", "narrow"], rows()), write_csv(
        folder / "cur.csv", ["wide", "narrow"], rows()
    )


def _bias_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "plug-in bias" in line]


def test_a_high_cardinality_column_of_identical_distributions_is_warned(identical):
    result = run("drift", *identical, "--categorical", "wide", "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    warned = _bias_warnings(result.stderr)
    assert len(warned) == 1 and "column 'wide'" in warned[0], result.stderr
    report = strict_json(result.stdout)
    wide = by_column(report)["wide"]
    assert wide["value"] > report["threshold"]  # flagged by noise alone: what the warning is for
    line = warned[0]
    assert line.startswith(
        f"kl-cli: warning: column 'wide': js_distance {wide['value']:.3g} is above the threshold 0.1"
    )
    assert ", but with no change at all it would be about" in line and "300 / 300 rows" in line
    assert "more rows" in line and "fewer categories" in line and "--permutations" in line
    # the figure in the warning: within the simulation's reach of the true noise level
    figure = float(re.search(r"would be about ([0-9.]+)", line).group(1))
    assert 0.1 < figure <= wide["value"] * 1.2


def test_a_well_sampled_column_is_not_warned(identical):
    result = run("drift", *identical, "--columns", "narrow", "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    assert _bias_warnings(result.stderr) == [], result.stderr


def test_a_numeric_column_with_many_bins_is_told_to_use_fewer(tmp_path):
    rng = np.random.default_rng(5)
    ref = write_csv(tmp_path / "r.csv", ["x"], [[f"{v:.5f}"] for v in rng.normal(size=120)])
    cur = write_csv(tmp_path / "c.csv", ["x"], [[f"{v:.5f}"] for v in rng.normal(size=120)])
    result = run("drift", ref, cur, "--bins", "40", "--format", "csv")
    (line,) = _bias_warnings(result.stderr)
    assert "column 'x'" in line and "fewer bins (--bins)" in line
    quiet = run("drift", ref, cur, "--bins", "40", "--format", "csv", "--threshold", "0.9")
    assert _bias_warnings(quiet.stderr) == []


def test_a_column_within_the_threshold_is_not_warned(tmp_path):
    """The same rows on both sides: noise could flag such a column, but this one was not flagged."""
    rows = [[f"c{i % 400}"] for i in range(800)]
    ref, cur = write_csv(tmp_path / "r.csv", ["x"], rows), write_csv(tmp_path / "c.csv", ["x"], rows[::-1])
    result = run("drift", ref, cur, "--categorical", "x", "--format", "json")
    assert result.exit_code == 0 and by_column(strict_json(result.stdout))["x"]["value"] == 0, describe(result)
    assert _bias_warnings(result.stderr) == []


def test_with_permutations_the_null_mean_warns_instead(identical):
    result = run("drift", *identical, "--categorical", "wide", "--permutations", "49", "--seed", "1")
    assert _bias_warnings(result.stderr) == []
    assert any("permutation null mean" in line for line in result.stderr.splitlines()), result.stderr


def test_strict_for_two_distributions_is_refused():
    """--strict checks weights; two parametric distributions have none (it was silently ignored)."""
    assert_one_line_error(run("compare", "normal(0,1)", "normal(1,1)", "--strict"), ["--strict", "parametric"])


def test_profile_to_a_closed_stdout_is_refused_before_reading():
    command = shlex.join([*KL, "profile", "-", "-o", "-"])
    # standard input is never read: the closed output is found first (no "reading standard input")
    proc = subprocess.run(
        ["/bin/sh", "-c", f"{command} >&-"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines() == ["kl-cli: error: standard output is closed"]
