"""The configuration file of drift and profile: its keys mapped onto their options, command line first.

One table serves both commands: ``kl-cli profile`` applies the keys that
shape a profile (``SHAPING_KEYS`` and a column's bins, type and ignore), so
a profile built under a configuration agrees with drift run on the data
under it; the keys that only judge (threshold, metric, ...) are skipped by
profile, not refused. The table is ``[tool.kl-cli.drift]`` of the nearest ``pyproject.toml`` (see
``inputs/config.py`` for the search), or the file given with ``--config``;
``--no-config`` reads none. Its keys are drift's options spelled as on the
command line (``max-drift-share``, not ``max_drift_share``), and a
``columns`` table of per-column rules. A value from the file passes through
the very option type (``Number``, ``Count``, ``Choice``) of the option of
that name, so it obeys the same bounds; a key the command line gave is not
taken from the file (``ctx.get_parameter_source``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click
from click.core import ParameterSource

from ..errors import UsageError
from ..inputs.config import ConfigFile, find_pyproject, read_config, toml_key, type_name
from ..reports.drift_rules import COLUMN_TYPES, RULE_KEYS, ColumnRule
from .needs import complete_files

# drift's options a configuration file may set, as the command line spells
# them, and the TOML types each takes.
_NUMBER, _TEXT, _WHOLE, _NAMES = "a number", "a string", "a whole number", "a string or an array of strings"
OPTION_KEYS: dict[str, str] = {
    "metric": _TEXT,
    "threshold": _NUMBER,
    "significance": _NUMBER,
    "correction": _TEXT,
    "bins": _WHOLE,
    "binning": _TEXT,
    "base": "a string or a whole number",
    "max-drift-share": _NUMBER,
    "columns": _NAMES,
    "exclude": _NAMES,
    "numeric": _NAMES,
    "categorical": _NAMES,
}
# The keys that shape a profile (read by profile too); the others only judge.
SHAPING_KEYS = ("bins", "binning", "columns", "exclude", "numeric", "categorical")
_SHAPING_RULE_KEYS = ("bins", "type", "ignore")
# A column's own keys: the option whose type checks each (None: checked here).
_RULE_OPTION = {"threshold": "threshold", "metric": "metric", "bins": "bins", "type": None, "ignore": None}
_RULE_TYPES = {"threshold": _NUMBER, "metric": _TEXT, "bins": _WHOLE, "type": _TEXT, "ignore": "a boolean"}
_COLUMN_TYPE = click.Choice(COLUMN_TYPES)
# Keys that mean something only with --permutations: a file sets them for the
# runs that have a test, so they are checked always and used only then.
_WITH_PERMUTATIONS = ("significance", "correction")
_TYPED_ON_COMMAND_LINE = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)


def config_options(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--config FILE and --no-config; ``what`` the command reads from the file, for the help."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(
            "--no-config",
            is_flag=True,
            help="Read no configuration file (the [tool.kl-cli.drift] table of a pyproject.toml is used by default).",
        )(f)
        f = click.option(
            "--config",
            metavar="FILE",
            shell_complete=complete_files,
            help=f"Read {what} from this TOML file (instead of the nearest pyproject.toml's "
            "[tool.kl-cli.drift] table); command-line options win. At most 1 MiB.",
        )(f)
        return f

    return decorate


def apply_config(ctx: click.Context, options: dict[str, Any], command: str = "drift") -> None:
    """Take ``config`` and ``no_config`` out of ``options``, fill in from the
    file every option the command line did not give, and add the per-column
    rules and where each setting came from (``run_drift``'s and
    ``run_profile``'s keywords). For ``command`` profile only the keys that
    shape a profile are applied."""
    shaping_only = command == "profile"
    path, no_config = options.pop("config"), options.pop("no_config")
    if path is not None and no_config:
        raise click.UsageError("--config and --no-config: give one of them", ctx)
    if path is not None and not path.strip():
        raise click.UsageError("--config: the file name is empty", ctx)
    found = None if no_config else read_config(path) if path is not None else find_pyproject()
    typed = {name for name in options if ctx.get_parameter_source(name) in _TYPED_ON_COMMAND_LINE}
    sources = {name: "option" if name in typed else "default" for name in ("threshold", "metric")}
    rules: dict[str, ColumnRule] = {}
    if found is not None:
        table = _drift_table(found)
        params = {p.name: p for p in ctx.command.params if p.name}
        where = found.where("drift")
        for key, value in table.items():
            if key == "columns" and isinstance(value, dict):
                rules = _column_rules(found, value, params, shaping_only)
                continue
            name = _option_name(found, key)
            if shaping_only and key not in SHAPING_KEYS:
                continue  # a key that judges: drift's, not profile's
            checked = _checked(found, where, key, value, OPTION_KEYS[key], params[name].type, ctx)
            if name in _WITH_PERMUTATIONS and not options.get("permutations"):
                continue  # a default for the runs with a permutation test, which this one is not
            if name not in typed:
                options[name] = checked
                # threshold and metric: the table (shown in each column's rule); the others: the key too
                sources[name] = f"{found.path} {where}" + ("" if name in sources else f" {_key(key)}")
        rules = _command_line_wins(rules, typed, options)
    options["columns_config"] = rules
    if not shaping_only:
        options["config"] = None if found is None else found.path
    options["option_sources"] = (
        sources if not shaping_only else {k: v for k, v in sources.items() if k not in ("threshold", "metric")}
    )


def _drift_table(found: ConfigFile) -> dict[str, Any]:
    where = f"[{found.prefix}] " if found.prefix else ""
    for key in found.table:
        if key != "drift":
            raise UsageError(f"{found.path}: {where}{_key(key)}: unknown key (kl-cli reads only its drift table)")
    table = found.table.get("drift", {})
    if not isinstance(table, dict):
        raise UsageError(f"{found.path}: {where}drift: must be a table, got {type_name(table)}")
    return table


def _option_name(found: ConfigFile, key: str) -> str:
    if key in OPTION_KEYS:
        return key.replace("-", "_")
    hint = ""
    if key.replace("_", "-") in OPTION_KEYS:
        hint = f"; keys are spelled as the options: {key.replace('_', '-')}"
    raise UsageError(
        f"{found.path}: {found.where('drift')} {_key(key)}: unknown key{hint} "
        f"(the keys are drift's options {', '.join(OPTION_KEYS)}, and a columns table)"
    )


def _checked(
    found: ConfigFile,
    where: str,
    key: str,
    value: Any,
    expected: str,
    kind: click.ParamType | None,
    ctx: click.Context,
) -> Any:
    """A file's value, of the TOML type ``expected``, through the option's own type."""

    def fail(message: str) -> UsageError:
        return UsageError(f"{found.path}: {where} {_key(key)}: {message}")

    if expected == _NAMES:
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
            raise fail(f"must be {expected}, got {type_name(value)}")
        return tuple(names)
    if expected == "a boolean":
        if not isinstance(value, bool):
            raise fail(f"must be true or false, got {type_name(value)}")
        return value
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    whole = isinstance(value, int) and not isinstance(value, bool)
    right = {
        _NUMBER: number,
        _WHOLE: whole,
        _TEXT: isinstance(value, str),
        "a string or a whole number": isinstance(value, str) or whole,
    }[expected]
    if not right:
        raise fail(f"must be {expected}, got {type_name(value)}")
    if kind is None:
        return value
    try:
        return kind.convert(str(value) if key == "base" else value, None, ctx)
    except click.BadParameter as exc:
        raise fail(exc.message) from None


def _column_rules(
    found: ConfigFile, table: dict[str, Any], params: dict[str, click.Parameter], shaping_only: bool = False
) -> dict[str, ColumnRule]:
    """``[drift.columns.<name>]`` tables into checked rules (with ``shaping_only``, bins, type and ignore)."""
    rules = {}
    ctx = click.get_current_context()
    for column, entry in table.items():
        where = found.where("drift", "columns", column)
        if not isinstance(entry, dict):
            raise UsageError(
                f"{found.path}: {found.where('drift', 'columns')} {_key(column)}: must be a table, "
                f"got {type_name(entry)}"
            )
        values: dict[str, Any] = {}
        for key, value in entry.items():
            if key not in _RULE_OPTION:
                raise UsageError(
                    f"{found.path}: {where} {_key(key)}: unknown key (a column's keys are {', '.join(RULE_KEYS)})"
                )
            if shaping_only and key not in _SHAPING_RULE_KEYS:
                continue
            option = _RULE_OPTION[key]
            kind = params[option].type if option is not None else _COLUMN_TYPE if key == "type" else None
            values[key] = _checked(found, where, key, value, _RULE_TYPES[key], kind, ctx)
        rules[column] = ColumnRule(**values, source=f"{found.path} {where}", file=found.path)
    return rules


def _command_line_wins(rules: dict[str, ColumnRule], typed: set[str], options: dict[str, Any]) -> dict[str, ColumnRule]:
    """An option given on the command line overrides the file everywhere: a
    --threshold, --metric or --bins every column's own value; --numeric and
    --categorical the types of the columns they name."""
    from ..reports.options import column_names

    named = set()
    for flag in ("numeric", "categorical"):
        if flag in typed:
            named |= set(column_names(options[flag]))
    out = {}
    for column, rule in rules.items():
        changes: dict[str, Any] = {key: None for key in ("threshold", "metric", "bins") if key in typed}
        if column in named:
            changes["type"] = None
        out[column] = replace(rule, **changes)
    return out


def _key(key: str) -> str:
    return toml_key(key)
