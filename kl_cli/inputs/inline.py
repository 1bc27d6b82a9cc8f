"""Inline lists: ``0.7,0.3`` or ``rain=0.7,dry=0.3``."""

from __future__ import annotations

import re

from ..errors import InputError
from ..text import show_label
from .cells import BELOW_FLOATS, LongInteger, below_floats, integer, too_many_digits

_INTEGER = re.compile(r"[+-]?[0-9]+")


class InlineSyntaxError(InputError):
    """The text is not inline-list syntax at all (as opposed to bad values)."""


def split_inline(text: str, source: str) -> tuple[list[float | int], list[str] | None]:
    """The numbers and labels (``None`` when unlabelled) of an inline list."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise InlineSyntaxError(f"{source}: empty list")
    labelled = ["=" in item for item in items]
    if any(labelled) and not all(labelled):
        i = labelled.index(False) if labelled[0] else labelled.index(True)
        raise InlineSyntaxError(
            f"{source}: item {i + 1} ({items[i]!r}) mixes labelled and unlabelled items",
            hint="label every item, like rain=0.7,dry=0.3, or none, like 0.7,0.3",
        )
    labels: list[str] | None = [] if all(labelled) else None
    values: list[float | int] = []
    for i, item in enumerate(items):
        if labels is not None:
            label, _, number = item.partition("=")
            label = label.strip()
            if not label:
                raise InlineSyntaxError(f"{source}: item {i + 1} ({item!r}) has no label before '='")
            labels.append(label)
            item = number.strip()
        if not item:
            raise InlineSyntaxError(f"{source}: item {i + 1} is empty")
        if _INTEGER.fullmatch(item):  # exact at any size (weights are scaled exactly, see ``weights``)
            value = integer(item)
            if isinstance(value, LongInteger):
                raise InputError(f"{source}: item {i + 1}: {too_many_digits()}")
            values.append(value)
            continue
        try:
            value = float(item)
        except ValueError:
            raise InlineSyntaxError(f"{source}: item {i + 1}: {show_label(item)} is not a number") from None
        if below_floats(item, value):  # 1e-5000 read as 0 would make a finite divergence infinite
            raise InputError(
                f"{source}: item {i + 1}: {show_label(item)} {BELOW_FLOATS}",
                hint="kl-cli compares weights whose ratios are within about 1e300: scale the list",
            )
        values.append(value)
    return values, labels
