"""The Python API equals the CLI: ``compare``, ``drift`` and ``profile`` from
``kl_cli`` take the command line's option names (``lambda_`` for
``--lambda``, also accepted as ``**{"lambda": x}``) and their results'
``to_dict()`` is exactly the JSON the command prints.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
from helpers import describe, run, strict_json

from kl_cli import compare, drift, profile
from kl_cli.errors import UsageError

FORECAST = "sample_data/forecast.csv"  # probabilities
OBSERVED = "sample_data/observed.csv"  # counts
REFERENCE = "sample_data/reference.csv"  # datasets, for drift and profile
CURRENT = "sample_data/current.csv"
WORDS = "sample_data/word_counts.tsv"  # word, speeches_2019, speeches_2023
WEATHER = "sample_data/weather.json"  # {"p": {...}, "q": {...}}


pytestmark = pytest.mark.usefixtures("at_repo_root")  # relative paths: the same source names in both reports


def cli_options(options: dict[str, Any]) -> list[str]:
    """The command-line spelling of API keywords: ``lambda_=0.1`` -> ``--lambda 0.1``,
    ``strict=True`` -> ``--strict``, a list -> one option per item."""
    words: list[str] = []
    for key, value in options.items():
        flag = "--" + key.rstrip("_").replace("_", "-")
        if value is True:
            words.append(flag)
        elif isinstance(value, list):
            for item in value:
                words += [flag, str(item)]
        else:
            words += [flag, str(value)]
    return words


def cli_json(*args: str) -> dict[str, Any]:
    """``kl-cli ARGS --format json``: exit 0 or 1 (drift found), strict JSON on stdout."""
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), describe(result)
    return strict_json(result.stdout)


# ---------------------------------------------------------------------------
# compare

COMPARE_CASES = {
    "defaults": ((FORECAST, OBSERVED), {}),
    "inline": (("0.7,0.3", "0.4,0.6"), {}),
    "additive": ((FORECAST, OBSERVED), {"smoothing": "additive", "alpha": 0.5}),
    "epsilon": ((FORECAST, OBSERVED), {"smoothing": "epsilon", "epsilon": 1e-6}),
    "mix-lambda_": ((FORECAST, OBSERVED), {"smoothing": "mix", "lambda_": 0.05}),
    "mix-lambda": ((FORECAST, OBSERVED), {"smoothing": "mix", "lambda": 0.05}),
    "base-2-int": ((WEATHER,), {"base": 2}),
    "base-2-str": ((WEATHER,), {"base": "2"}),
    "base-10": ((WEATHER,), {"base": 10}),
    "base-e": ((WEATHER,), {"base": "e"}),
    "resampled": (
        (OBSERVED, "sun=100,cloud=100,rain=60,snow=10,fog=10,hail=2"),
        {"permutations": 199, "bootstrap": 100, "confidence": 0.9, "seed": 1},
    ),
    "sample-sizes": ((WEATHER,), {"n_p": 200, "n_q": 150, "permutations": 99, "bootstrap": 50, "seed": 7}),
    "samples": ((REFERENCE, CURRENT), {"samples": True, "column": "basket_value", "bins": 8, "binning": "uniform"}),
    "samples-quantile": ((REFERENCE, CURRENT), {"samples": True, "column": "age", "bins": 5}),
    "column": ((REFERENCE, CURRENT), {"column": "plan"}),
    "p-q-columns": (
        (WORDS,),
        {"p_column": "speeches_2019", "q_column": "speeches_2023", "label_column": "word", "base": 2},
    ),
    "label-column": (
        (WORDS, WORDS),
        {"p_column": "speeches_2019", "q_column": "speeches_2023", "label_column": "word"},
    ),
    "strict": ((FORECAST, OBSERVED), {"strict": True, "encoding": "utf-8"}),
}


@pytest.mark.parametrize("case", list(COMPARE_CASES))
def test_compare_equals_the_cli(case: str) -> None:
    sides, options = COMPARE_CASES[case]
    assert compare(*sides, **options).to_dict() == cli_json("compare", *sides, *cli_options(options))


def test_compare_lambda_spellings_agree() -> None:
    assert (
        compare(FORECAST, OBSERVED, smoothing="mix", lambda_=0.2).to_dict()
        == compare(FORECAST, OBSERVED, smoothing="mix", **{"lambda": 0.2}).to_dict()
    )


# ---------------------------------------------------------------------------
# drift

DRIFT_CASES = {
    "defaults": {},
    "columns": {"columns": "region,plan,age"},
    "columns-list": {"columns": ["region", "plan"]},
    "exclude": {"exclude": ["order_id", "rating"]},
    "bins": {"bins": 5, "binning": "uniform"},
    "categorical-numeric": {"categorical": "age", "numeric": "rating"},
    "metric": {"metric": "kl_pq", "threshold": 0.05, "base": "e"},
    "base-10": {"base": 10},
    "smoothing": {"smoothing": "mix", "lambda_": 0.01},
    "resampled": {"permutations": 99, "seed": 2, "significance": 0.1},
    "max-drift-share": {"max_drift_share": 0.6},
}


@pytest.mark.parametrize("case", list(DRIFT_CASES))
def test_drift_equals_the_cli(case: str) -> None:
    options = DRIFT_CASES[case]
    assert drift(REFERENCE, CURRENT, **options).to_dict() == cli_json(
        "drift", REFERENCE, CURRENT, *cli_options(options)
    )


def test_drift_from_a_profile_equals_the_cli(tmp_path) -> None:
    kept = str(tmp_path / "reference.profile.json")
    assert run("profile", REFERENCE, "-o", kept).exit_code == 0
    assert drift(kept, CURRENT).to_dict() == cli_json("drift", kept, CURRENT)


# ---------------------------------------------------------------------------
# profile

PROFILE_CASES = {
    "one-file": ((REFERENCE,), {}),
    "two-files": ((REFERENCE, CURRENT), {}),
    "columns": ((REFERENCE,), {"columns": "region,age"}),
    "exclude": ((REFERENCE,), {"exclude": ["order_id"]}),
    "bins": ((REFERENCE,), {"bins": 4, "binning": "uniform"}),
    "categorical-numeric": ((CURRENT,), {"categorical": ["order_id", "age"], "numeric": "rating"}),
    "chunked": ((REFERENCE,), {"chunk_rows": 700}),
}


@pytest.mark.parametrize("case", list(PROFILE_CASES))
def test_profile_equals_the_cli(case: str) -> None:
    paths, options = PROFILE_CASES[case]
    result = run("profile", *paths, *cli_options(options), "-o", "-")
    assert result.exit_code == 0, describe(result)
    assert profile(*paths, **options).to_dict() == strict_json(result.stdout)


# ---------------------------------------------------------------------------
# DataFrames, bad options


def frame(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_drift_and_profile_accept_dataframes() -> None:
    from_file, from_frame = profile(REFERENCE).to_dict(), profile(frame(REFERENCE)).to_dict()
    assert from_frame["rows"] == from_file["rows"]
    assert from_frame["columns"] == from_file["columns"]
    assert (
        drift(frame(REFERENCE), frame(CURRENT)).to_dict()["columns"] == drift(REFERENCE, CURRENT).to_dict()["columns"]
    )


@pytest.mark.parametrize(
    ("call", "options"),
    [
        (lambda **o: compare(FORECAST, OBSERVED, **o), {"smoothing": "additive", "epsilon": 1e-3}),
        (lambda **o: compare(FORECAST, OBSERVED, **o), {"base": 3}),
        (lambda **o: drift(REFERENCE, CURRENT, **o), {"smoothing": "none", "alpha": 1.0}),
        (lambda **o: drift(REFERENCE, CURRENT, **o), {"metric": "nope"}),
    ],
    ids=["compare-epsilon-with-additive", "compare-base-3", "drift-alpha-without-additive", "drift-unknown-metric"],
)
def test_a_bad_option_value_is_a_usage_error(call, options) -> None:
    with pytest.raises(UsageError):
        call(**options)


@pytest.mark.parametrize(
    "call",
    [
        lambda: compare(FORECAST, OBSERVED, smoothin="additive"),
        lambda: drift(REFERENCE, CURRENT, treshold=0.2),
        lambda: profile(REFERENCE, bins_=3),
    ],
    ids=["compare", "drift", "profile"],
)
def test_an_unknown_keyword_is_a_type_error(call) -> None:
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("estimator", ["binned", "knn"])
@pytest.mark.parametrize("kind", ["list", "array", "series"])
def test_samples_in_memory_equal_the_same_samples_in_files(tmp_path, estimator: str, kind: str) -> None:
    """compare(x, y, samples=True) took only paths (a TypeError on a list); a
    missing value in memory (NaN, None) is left out as an empty cell is."""
    import numpy as np

    rng = np.random.default_rng(7)
    x, y = rng.normal(0, 1, 300).tolist(), rng.normal(0.5, 1.5, 250).tolist()
    (tmp_path / "x.json").write_text(json.dumps([*x, None]))  # a JSON null is a missing value
    (tmp_path / "y.csv").write_text("v\n" + "".join(f"{v!r}\n" for v in y))
    wrap = {"list": list, "array": np.array, "series": pd.Series}[kind]
    mem = compare(wrap([*x, float("nan")]), wrap(y), samples=True, estimator=estimator)
    cli = strict_json(
        run(
            "compare",
            str(tmp_path / "x.json"),
            str(tmp_path / "y.csv"),
            "--samples",
            "--estimator",
            estimator,
            "--format",
            "json",
        ).stdout
    )
    infinite = set(cli["infinite"])  # null in strict JSON
    assert mem.metrics == {
        k: float("inf") if k in infinite else v for k, v in cli["metrics"].items() if v or k in mem.metrics
    }
    model = compare(wrap(x), "normal(0,1)", samples=True, estimator=estimator)
    assert model.metrics["kl_pq"] >= 0


def test_samples_in_memory_that_are_not_numbers_are_refused() -> None:
    from kl_cli.errors import InputError

    with pytest.raises(InputError, match="not a number"):
        compare(["a", "b"], [1.0, 2.0], samples=True)
    with pytest.raises(InputError, match="must be a list"):
        compare(5, [1.0, 2.0], samples=True)
