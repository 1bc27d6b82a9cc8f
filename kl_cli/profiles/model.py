"""The profile value types: per-column counts of a dataset and the options that shaped them.

A profile is the sufficient statistic of a reference dataset for drift: per
column its type, the rule that typed it, the bin edges (numeric) and the
counts per category or bin, and the count of missing cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

PROFILE_FORMAT = "kl-cli-profile"
PROFILE_VERSION = 2
# Versions this kl-cli reads: 1 kept missing cells as a "(missing)" count,
# where a real cell "(missing)" could not be told apart.
READABLE_VERSIONS = (1, 2)
# The key of the missing count in a column's counts: not a string, so no
# real cell can ever be merged into it.
MISSING_KEY = None
# A numeric column with more distinct values than this is binned; fewer, and
# each value is its own category.
NUMERIC_DISTINCT = 20
# A text column with more distinct values than this share of its rows (and
# than NUMERIC_DISTINCT) looks like an identifier: counting it says nothing.
ID_SHARE = 0.5


@dataclass(frozen=True)
class ProfileOptions:
    """The choices that shape a profile; a profile records them."""

    bins: int = 10
    binning: str = "quantile"
    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "bins": self.bins,
            "binning": self.binning,
            "categorical": sorted(self.categorical),
            "numeric": sorted(self.numeric),
        }


@dataclass
class ColumnProfile:
    """One column: its type, why, its bins (numeric) and counts by label."""

    name: str
    type: str  # "numeric" | "categorical" | "skipped"
    typed_by: str
    counts: dict[str | None, float]  # MISSING_KEY: the missing cells
    rows: int
    edges: tuple[float, ...] | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    bins: int | None = None  # a number of bins of the column's own (a configuration's rule), else the options'

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "typed_by": self.typed_by, "rows": self.rows}
        if self.edges is not None:
            out["edges"] = list(self.edges)
        if self.bins is not None:
            out["bins"] = self.bins
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = list(self.notes)
        out["missing"] = _int_if_whole(self.counts.get(MISSING_KEY, 0.0))
        out["counts"] = {k: _int_if_whole(v) for k, v in self.counts.items() if k is not MISSING_KEY}
        return out


@dataclass
class Profile:
    """Per-column counts of one or more datasets, and the options used."""

    columns: dict[str, ColumnProfile]
    rows: int
    options: ProfileOptions
    sources: list[str]
    notes: list[str] = field(default_factory=list)  # how the data were read (a file without a header)
    engine: str = "local"  # where the counting ran: local or dask (the result is the same)

    def to_dict(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            made_by = f"kl-cli {version('kl-cli')}"
        except PackageNotFoundError:  # running from a source tree
            made_by = "kl-cli"
        return {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "created_by": made_by,
            "engine": self.engine,
            "sources": list(self.sources),
            "rows": self.rows,
            "options": self.options.to_dict(),
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
            **({"notes": list(self.notes)} if self.notes else {}),
        }


def _int_if_whole(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def check_profile_options(
    have: ProfileOptions,
    asked: ProfileOptions,
    explicit: set[str],
    name: str,
    given_by: dict[str, str] | None = None,
) -> None:
    """A profile fixes bins and types; a command line (or a configuration
    file: ``given_by`` names where an option came from) that asks otherwise is an error."""
    for key in ("bins", "binning", "categorical", "numeric"):
        if key not in explicit:
            continue
        a, b = getattr(have, key), getattr(asked, key)
        if key in ("categorical", "numeric"):
            a, b = sorted(a), sorted(b)
        if a != b:
            where = (given_by or {}).get(key, "command line")
            by = "" if where == "command line" else f" by {where}"
            raise UsageError(
                f"profile {name} was built with --{key} {_show(a)}, but --{key} {_show(b)} was given{by}",
                hint="drop the option, or rebuild the profile with it",
            )


def _show(v: Any) -> str:
    return ",".join(v) if isinstance(v, list) else str(v)
