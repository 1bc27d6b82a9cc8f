"""JSON documents: strict parsing, and the shapes that hold one distribution."""

from __future__ import annotations

import json
import numbers
from typing import Any

from ..core.histogram import Histogram, count_observations
from ..errors import InputError
from ..text import show_label
from .cells import BELOW_FLOATS, below_floats, too_many_digits
from .weights import exact_histogram, split_big


def parse_json_text(text: str, source: str) -> Any:
    """Strict JSON: NaN/Infinity tokens and deep nesting are input errors."""

    def reject_constant(token: str) -> Any:
        raise InputError(f"{source}: {token} is not a number JSON allows")

    def checked_float(token: str) -> float:
        value = float(token)
        if below_floats(token, value):
            raise InputError(f"{source}: {token} {BELOW_FLOATS}")
        return value

    try:
        return json.loads(text, parse_constant=reject_constant, parse_float=checked_float, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{source}: JSON is nested too deeply") from None
    except ValueError:  # an integer longer than Python converts
        raise InputError(f"{source}: {too_many_digits()}") from None


class DuplicateKeys(dict):
    """A JSON object that repeated a key: ``pairs`` keeps every (key, value),
    so a distribution can sum the repeats (and say so) rather than keep the last."""

    pairs: list[tuple[str, Any]]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    dup = DuplicateKeys(obj)
    dup.pairs = pairs
    return dup


def json_pair(value: Any) -> bool:
    """True for the ``{"p": ..., "q": ...}`` form holding both distributions."""
    return (
        isinstance(value, dict)
        and set(value) == {"p", "q"}
        and all(isinstance(v, (list, dict)) for v in value.values())
    )


def histogram_from_json(value: Any, source: str) -> Histogram:
    """A list of numbers, a list of strings (observations) or {label: number}."""
    if isinstance(value, dict):
        if not value:
            raise InputError(f"{source}: empty JSON object")
        pairs = value.pairs if isinstance(value, DuplicateKeys) else list(value.items())
        numbers = [_json_number(v, f"{source}: label {show_label(k)}") for k, v in pairs]
        return exact_histogram(*split_big(numbers), [k for k, _ in pairs], source)
    if isinstance(value, list):
        if not value:
            raise InputError(f"{source}: empty JSON list")
        if all(isinstance(v, str) for v in value):
            return count_observations(value, source)
        numbers = [_json_number(v, f"{source}: item {i + 1}") for i, v in enumerate(value)]
        return exact_histogram(*split_big(numbers), None, source)
    raise InputError(
        f"{source}: JSON must be a list of numbers, a list of strings or an object of label: number, "
        f"not {type(value).__name__}"
    )


def _json_number(v: Any, where: str) -> float | int:
    """A JSON number: an integer exactly (at any size: weights are scaled
    exactly, see ``weights``), anything else as a float."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        shown = "null (empty)" if v is None else json.dumps(v)[:40]
        raise InputError(f"{where}: {shown} is not a number")
    if isinstance(v, int):
        return v
    try:
        return float(v)
    except OverflowError:
        raise InputError(f"{where}: {str(v)[:40]} is too large") from None
