"""The published profile schema (``profile.schema.json``), applied to a parsed document.

kl-cli reads the schema file itself, so the file is the one statement of
what a profile may hold. This module interprets the part of JSON Schema
(draft 2020-12) that the file uses and refuses any other keyword, so the
file can never say more than is checked. A general validator
(``jsonschema``) would take seconds on a profile of 100,000 categories;
the test suite runs one beside this to show the two agree.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

Path = tuple[str | int, ...]

# Keywords that only describe; they check nothing.
_ANNOTATIONS = {"$schema", "$id", "title", "description", "x-kl-cli-rules", "$defs"}
_CHECKED = {
    "type",
    "const",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "minProperties",
    "items",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "$ref",
    "if",
    "then",
    "else",
    "not",
}
_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class SchemaError(ValueError):
    """A document that breaks the schema: where (a path of keys) and what."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@cache
def profile_schema() -> dict[str, Any]:
    """The schema file shipped with the package."""
    text = resources.files(__package__).joinpath("profile.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    _check_keywords(schema)
    return schema


def validate(document: Any, schema: dict[str, Any] | None = None) -> None:
    """Raise ``SchemaError`` at the first place ``document`` breaks ``schema``."""
    root = profile_schema() if schema is None else schema
    error = _first_error(document, root, root, ())
    if error is not None:
        raise error


def json_type(value: Any) -> str:
    """The JSON type of a parsed value (an integral float is an integer, as JSON Schema says)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if math.isfinite(value) and value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def shown(value: Any) -> str:
    """A short spelling of a value for a message."""
    kind = json_type(value)
    if kind == "object":
        return "an object"
    if kind == "array":
        return "a list"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_keywords(schema: Any) -> None:
    """Every keyword the file uses must be one this module checks."""
    if isinstance(schema, dict):
        unknown = set(schema) - _CHECKED - _ANNOTATIONS
        if unknown:
            raise RuntimeError(f"profile.schema.json uses keywords kl-cli does not check: {sorted(unknown)}")
        for key, sub in schema.items():
            if key in ("properties", "$defs"):
                for each in sub.values():
                    _check_keywords(each)
            elif key in ("additionalProperties", "items", "if", "then", "else", "not"):
                _check_keywords(sub)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: 1 == 1.0, but true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise RuntimeError(f"profile.schema.json: only local references are read, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _first_error(value: Any, schema: dict[str, Any], root: dict[str, Any], path: Path) -> SchemaError | None:
    if "$ref" in schema:
        error = _first_error(value, _resolve(schema["$ref"], root), root, path)
        if error is not None:
            return error
    kind = json_type(value)
    wanted = schema.get("type")
    if wanted is not None and not (kind == wanted or (wanted == "number" and kind == "integer")):
        return SchemaError(path, f"must be {_TYPE_WORDS[wanted]}, not {shown(value)}")
    if "const" in schema and not _same(value, schema["const"]):
        return SchemaError(path, f"must be {shown(schema['const'])}, not {shown(value)}")
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        options = ", ".join(shown(option) for option in schema["enum"])
        return SchemaError(path, f"must be one of {options}, not {shown(value)}")
    if kind in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return SchemaError(path, f"must be at least {schema['minimum']}, not {shown(value)}")
        if "maximum" in schema and value > schema["maximum"]:
            return SchemaError(path, f"must be at most {schema['maximum']}, not {shown(value)}")
    if kind == "object":
        error = _object_error(value, schema, root, path)
        if error is not None:
            return error
    if kind == "array":
        error = _array_error(value, schema, root, path)
        if error is not None:
            return error
    if "not" in schema and _first_error(value, schema["not"], root, path) is None:
        banned = schema["not"].get("required")
        what = f"must not have the field {banned[0]!r}" if banned else "is not allowed here"
        return SchemaError(path, what)
    if "if" in schema:
        branch = "then" if _first_error(value, schema["if"], root, path) is None else "else"
        if branch in schema:
            return _first_error(value, schema[branch], root, path)
    return None


def _object_error(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: Path
) -> SchemaError | None:
    for name in schema.get("required", ()):
        if name not in value:
            return SchemaError(path, f"lacks the field {name!r}")
    if len(value) < schema.get("minProperties", 0):
        return SchemaError(path, f"must have at least {schema['minProperties']} entries, not {len(value)}")
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        sub = properties.get(key)
        if sub is None:
            if extra is False:
                return SchemaError(path, f"has an unknown field {key!r}")
            if extra is True:
                continue
            sub = extra
        error = _first_error(item, sub, root, (*path, key))
        if error is not None:
            return error
    return None


def _array_error(value: list[Any], schema: dict[str, Any], root: dict[str, Any], path: Path) -> SchemaError | None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return SchemaError(path, f"has {len(value)} items, at most {schema['maxItems']} allowed")
    if "items" in schema:
        for index, item in enumerate(value):
            error = _first_error(item, schema["items"], root, (*path, index))
            if error is not None:
                return error
    if schema.get("uniqueItems"):
        seen: set[str] = set()
        for index, item in enumerate(value):
            # strings by hashing; anything else by JSON equality with the items before it
            repeated = item in seen if isinstance(item, str) else any(_same(item, o) for o in value[:index])
            if repeated:
                return SchemaError((*path, index), f"repeats {shown(item)}")
            if isinstance(item, str):
                seen.add(item)
    return None
