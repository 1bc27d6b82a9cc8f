"""Per-column rules of a drift check: a column's own threshold, metric, bins, type, or ignore.

The rules that shape a profile (bins, type, ignore) are applied here, by
``profile_with_rules``, for drift's reference and for ``kl-cli profile``
alike, so a profile built with a configuration agrees with drift run on
the data with that configuration. They come from a configuration file (``[tool.kl-cli.drift.columns.<name>]``)
or from the Python API's ``columns_config``; the command line decides
precedence before they get here, so the pipeline applies what it is given.
Each value is checked by the same range as the option of that name
(``vocabulary.FLOAT_RANGES``, ``MAX_BINS``, ``METRICS``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..errors import UsageError
from ..profiles.build import build_profile
from ..profiles.model import Profile, ProfileOptions
from ..vocabulary import FLOAT_RANGES, MAX_BINS, METRICS

COLUMN_TYPES = ("numeric", "categorical")
RULE_KEYS = ("threshold", "metric", "bins", "type", "ignore")


@dataclass(frozen=True)
class ColumnRule:
    """One column's own rule; None where the column follows the command's settings.

    ``source`` names where the rule was written (``pyproject.toml
    [tool.kl-cli.drift.columns.age]``), ``file`` the file alone (for the
    reason "ignored by pyproject.toml").
    """

    threshold: float | None = None
    metric: str | None = None
    bins: int | None = None
    type: str | None = None
    ignore: bool = False
    source: str = "columns_config"
    file: str = "columns_config"


def check_threshold(value: object, what: str = "--threshold") -> float:
    """A threshold: a number >= 0 and finite (no metric is negative; NaN compares false with everything)."""
    low = FLOAT_RANGES["threshold"][0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (low is not None and number < low):
        raise UsageError(f"{what} must be a finite number >= {low:g}, got {value!r}")
    return number


def column_rules(config: Mapping[str, ColumnRule | Mapping[str, Any]] | None) -> dict[str, ColumnRule]:
    """The per-column rules, checked: ``{column: ColumnRule or {"threshold": 0.2, ...}}``."""
    if config is None:
        return {}
    if not isinstance(config, Mapping):
        raise UsageError(f"columns_config must be a mapping of column names to rules, got {type(config).__name__}")
    out = {}
    for name, rule in config.items():
        if not isinstance(name, str):
            raise UsageError(f"columns_config: column names are strings, got {name!r}")
        if not isinstance(rule, ColumnRule):
            if not isinstance(rule, Mapping):
                raise UsageError(f"columns_config[{name!r}] must be a mapping of {', '.join(RULE_KEYS)}")
            unknown = [k for k in rule if k not in RULE_KEYS]
            if unknown:
                known = ", ".join(RULE_KEYS)
                raise UsageError(f"columns_config[{name!r}]: unknown key {unknown[0]!r} (known: {known})")
            rule = ColumnRule(**dict(rule))
        out[name] = _checked(name, rule)
    return out


def _checked(name: str, rule: ColumnRule) -> ColumnRule:
    where = f"column {name!r} ({rule.source})"
    if rule.threshold is not None:
        check_threshold(rule.threshold, f"{where}: threshold")
    if rule.metric is not None and rule.metric not in METRICS:
        raise UsageError(f"{where}: metric must be one of {', '.join(METRICS)}, got {rule.metric!r}")
    bins = rule.bins
    if bins is not None and (isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_BINS):
        raise UsageError(f"{where}: bins must be a whole number from 1 to {MAX_BINS:,}, got {bins!r}")
    if rule.type is not None and rule.type not in COLUMN_TYPES:
        raise UsageError(f"{where}: type must be numeric or categorical, got {rule.type!r}")
    if not isinstance(rule.ignore, bool):
        raise UsageError(f"{where}: ignore must be true or false, got {rule.ignore!r}")
    return rule


def rule_source(threshold_source: str, metric_source: str) -> str:
    """Where a column's threshold and metric came from, in one phrase."""
    if threshold_source == metric_source:
        return threshold_source
    return f"threshold from {threshold_source}, metric from {metric_source}"


def given(given_by: Mapping[str, str] | None, option: str) -> str:
    """Who gave ``option`` in a message: ``--columns``, or the file and key
    (``pyproject.toml [tool.kl-cli.drift] columns``) when a configuration file did."""
    return (given_by or {}).get(option, f"--{option}")


def forced_by(
    rules: Mapping[str, ColumnRule], options: ProfileOptions, given_by: Mapping[str, str] | None
) -> tuple[ProfileOptions, dict[str, str]]:
    """The options with the rules' types added, and who forced each typed column
    (``--numeric``, a file's ``numeric`` key, or a column's ``type``)."""
    check_types(rules, options.categorical, options.numeric, given_by)
    by = {name: given(given_by, flag) for flag in ("categorical", "numeric") for name in getattr(options, flag)}
    typed = {name: r.type for name, r in rules.items() if r.type is not None and not r.ignore}
    for name in typed:
        by.setdefault(name, f"{rules[name].source} type")

    def more(kind: str) -> tuple[str, ...]:
        have = getattr(options, kind)
        return (*have, *(n for n, t in typed.items() if t == kind and n not in have))

    return replace(options, categorical=more("categorical"), numeric=more("numeric")), by


def check_types(
    rules: Mapping[str, ColumnRule],
    categorical: Iterable[str],
    numeric: Iterable[str],
    given_by: Mapping[str, str] | None = None,
) -> None:
    """A column's own type cannot contradict --categorical/--numeric."""
    for flag, names, other in (("categorical", categorical, "numeric"), ("numeric", numeric, "categorical")):
        for name in names:
            rule = rules.get(name)
            if rule is not None and rule.type == other:
                raise UsageError(f"{rule.source}: type = {other}, but {given(given_by, flag)} names column {name!r}")


def profile_with_rules(
    frames: Any,
    options: ProfileOptions,
    sources: list[str],
    columns: list[str] | None,
    exclude: list[str],
    rules: Mapping[str, ColumnRule],
    seen: dict[str, None] | None = None,
    given_by: Mapping[str, str] | None = None,
) -> Profile:
    """A profile of ``frames`` built under the per-column rules: their types
    force a column's type, ``ignore`` leaves it out, ``bins`` gives a numeric
    column its own number of bins (a bins rule on a column that is not
    numeric is an error: it would change nothing)."""
    build_options, by = forced_by(rules, options, given_by)
    ignored = [n for n, r in rules.items() if r.ignore]
    bins = {n: r.bins for n, r in rules.items() if r.bins is not None and not r.ignore}
    profile = build_profile(
        frames, build_options, sources, columns, [*exclude, *ignored], bins, seen, by, also_read=list(rules)
    )
    for name, col in profile.columns.items():
        rule = rules.get(name)
        if rule is None:
            continue
        if rule.type is not None:
            col.typed_by = f"type = {rule.type} in {rule.source}"
        if rule.bins is not None:
            _bins_need_numbers(rule, name, col.type)
            col.notes.append(f"{rule.bins} bins by {rule.source}")
    return profile


def check_profile_rules(profile: Profile, rules: Mapping[str, ColumnRule], name: str) -> None:
    """A profile fixes each column's type and bins: a rule asking otherwise is an error."""
    for column, rule in rules.items():
        col = profile.columns.get(column)
        if col is None or rule.ignore:
            continue
        if rule.type is not None and col.type != rule.type:
            raise UsageError(
                f"{rule.source}: type = {rule.type}, but profile {name} counted column {column!r} as {col.type}",
                hint=f"drop the type, or rebuild the profile with --{rule.type} {column}",
            )
        if rule.bins is not None:
            _bins_need_numbers(rule, column, col.type)
            have = len(col.edges or ()) + 1
            if rule.bins not in (have, col.bins or profile.options.bins):
                raise UsageError(
                    f"{rule.source}: bins = {rule.bins}, but profile {name} fixes column {column!r} at {have} bins",
                    hint="drop the bins, or rebuild the profile from the data with the same configuration",
                )


def _bins_need_numbers(rule: ColumnRule, column: str, kind: str) -> None:
    if kind != "numeric":
        raise UsageError(
            f"{rule.source} bins: column {column!r} is {kind}, so bins = {rule.bins} would change nothing "
            '(use type = "numeric" to bin it)'
        )
