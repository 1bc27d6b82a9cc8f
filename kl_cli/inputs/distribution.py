"""A parametric distribution as a source: ``family(arguments)`` on the command
line, or a JSON object ``{"family": "normal", "mu": 0, "sigma": 1}`` in a file.

The call is read with Python's own parser (``ast``) and only literal numbers,
signs and lists are taken from it: nothing is evaluated.
"""

from __future__ import annotations

import ast
import os
import re
from typing import Any

from ..core.parametric.families import FAMILIES, Distribution, make
from ..errors import InputError
from ..text import show_label
from .registry import json_kind
from .streams import MAX_JSON_BYTES, decode

# A word that is a call: a name, then parentheses around the rest.
_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.DOTALL)
# Longer specs are refused before parsing (a matrix of 1000 x 1000 fits well within).
MAX_SPEC_CHARS = 40_000_000


# The start of a call to a family: a malformed call (``normal(0,``) is still meant as one.
_FAMILY_START = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def looks_like_call(spec: str) -> bool:
    start = _FAMILY_START.match(spec)
    return bool(_CALL.match(spec)) or (start is not None and start.group(1) in FAMILIES)


def _literal(node: ast.AST, where: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, where)
        if isinstance(value, list):
            raise InputError(f"{where}: a sign before a list")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item, where) for item in node.elts]
    if isinstance(node, ast.Name) and node.id.lower() in ("inf", "infinity", "nan"):
        raise InputError(f"{where} must be finite, got {node.id}")
    raise InputError(f"{where} must be a number or a list of numbers")


def parse_call(spec: str, role: str) -> Distribution:
    """``normal(0, 1)``, ``normal(mu=0, sigma=2)``, ``mvnormal(mean=[0, 0], cov=[[1, 0], [0, 1]])``."""
    match = _CALL.match(spec)
    if match is None:
        raise InputError(f"{role}: {show_label(spec)} is not a distribution like normal(0, 1)")
    family = match.group(1)
    if family not in FAMILIES:
        lowered = family.lower()
        hint = f" (did you mean {lowered}?)" if lowered in FAMILIES else ""
        raise InputError(f"{role}: unknown family {show_label(family)}{hint}: the families are {', '.join(FAMILIES)}")
    if len(spec) > MAX_SPEC_CHARS:
        raise InputError(f"{role}: the distribution is over {MAX_SPEC_CHARS:,} characters long")
    try:
        tree = ast.parse(spec.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise InputError(
            f"{role}: {show_label(spec)} is not a valid call: write {family}(1, 2) or {family}(name=value, ...)"
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise InputError(f"{role}: {show_label(spec)} is not a distribution like {family}(...)")
    args = [_literal(a, f"{role}: {family}: parameter {i + 1}") for i, a in enumerate(call.args)]
    kwargs: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise InputError(f"{role}: {family}: parameters are written name=value")
        if kw.arg in kwargs:
            raise InputError(f"{role}: {family}: {kw.arg} is given twice")
        kwargs[kw.arg] = _literal(kw.value, f"{role}: {family}: {kw.arg}")
    return _made(family, args, kwargs, role)


def _made(family: str, args: list[Any], kwargs: dict[str, Any], role: str) -> Distribution:
    try:
        return make(family, args, kwargs)
    except InputError as exc:
        raise InputError(f"{role}: {exc}", hint=exc.hint) from None


def from_json_object(value: Any, name: str) -> Distribution | None:
    """The distribution a parsed JSON document describes, or None when it is
    not one (no ``family`` key in an object)."""
    if not isinstance(value, dict) or "family" not in value:
        return None
    family = value["family"]
    if not isinstance(family, str):
        raise InputError(f'{name}: family must be a name like "normal", not {type(family).__name__}')
    if family not in FAMILIES:
        raise InputError(f"{name}: unknown family {show_label(family)}: the families are {', '.join(FAMILIES)}")
    params = {k: v for k, v in value.items() if k != "family"}
    if set(params) == {"parameters"} and isinstance(params["parameters"], dict):
        params = params["parameters"]  # the shape kl-cli's own JSON report writes
    return _made(family, [], params, name)


def read_distribution(spec: Any, role: str) -> Distribution | None:
    """The distribution a command-line word writes as a call (``normal(0, 1)``),
    or None when the word is something else. A path is not read here: a file is
    opened once, by ``sides.open_side``, which finds a distribution in it with
    ``distribution_in``."""
    if isinstance(spec, Distribution):
        return spec
    if not isinstance(spec, str) or spec == "-":
        return None
    if looks_like_call(spec) and not os.path.exists(spec):
        return parse_call(spec, role)
    return None


def distribution_in(document: bytes, name: str, encoding: str = "utf-8") -> Distribution | None:
    """The distribution a JSON document holds (its kind, by the registry, is
    ``distribution``), or None when the document is data."""
    if len(document) > MAX_JSON_BYTES or json_kind(document) != "distribution":
        return None
    from .jsondoc import parse_json_text

    return from_json_object(parse_json_text(decode(document, encoding, name), name), name)
