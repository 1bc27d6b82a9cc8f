"""kl-cli's configuration file: a TOML file read as untrusted input.

Two places hold it: the ``[tool.kl-cli]`` table of a ``pyproject.toml``
(found from a folder upwards: the nearest ``pyproject.toml`` that has a
``[tool.kl-cli]`` table; the search stops at a git repository's root, a
folder holding ``.git``, and at the filesystem root), or a file named with
``--config``, which is either such a pyproject (named so, or with a
``[tool]``, ``[project]`` or ``[build-system]`` table)
or a file of kl-cli's own whose top level is that table (``[drift]``...).

This module only reads: the file is a regular file of at most
``MAX_CONFIG_BYTES``, UTF-8 TOML; what its keys mean is the caller's
business. Every problem is one ``InputError`` naming the file.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..text import visible

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: a configuration is a few lines
PYPROJECT = "pyproject.toml"
_PYPROJECT_TABLES = ("tool", "project", "build-system")  # a file with one of them is a pyproject


@dataclass(frozen=True)
class ConfigFile:
    """kl-cli's table of a configuration file, and how to name it in messages.

    ``path`` is the file as shown (relative to the current folder when it was
    found upwards); ``prefix`` is the TOML path of the table in that file,
    ``"tool.kl-cli"`` in a pyproject, ``""`` in a file of kl-cli's own.
    """

    path: str
    prefix: str
    table: dict[str, Any]

    def where(self, *keys: str) -> str:
        """The TOML table holding ``keys`` as the file spells it: ``[tool.kl-cli.drift.columns.age]``."""
        parts = [*([self.prefix] if self.prefix else []), *(toml_key(k) for k in keys)]
        return "[" + ".".join(parts) + "]"


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted (control characters made visible)."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    return '"' + visible(key, 40).replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_config(path: str) -> ConfigFile:
    """The kl-cli table of the file ``path`` (given with ``--config``).

    A file named ``pyproject.toml``, or one with a ``[tool]``,
    ``[project]`` or ``[build-system]`` table, is read as a pyproject (its
    ``[tool.kl-cli]`` table, which must be there); any other file is kl-cli's
    table itself.
    """
    document = _load(path, must_be_regular=True)
    assert document is not None
    if os.path.basename(path) == PYPROJECT or any(key in document for key in _PYPROJECT_TABLES):
        table = _kl_table(document, path)
        if table is None:
            raise InputError(f"{_shown(path)}: a pyproject with no [tool.kl-cli] table (kl-cli's settings go there)")
        return ConfigFile(path, "tool.kl-cli", table)
    return ConfigFile(path, "", document)


def find_pyproject(start: str | None = None) -> ConfigFile | None:
    """The ``[tool.kl-cli]`` table of the nearest ``pyproject.toml`` that has
    one, from ``start`` (the current folder) upwards, stopping after a folder
    holding ``.git`` or at the filesystem root; None when there is none.
    A ``pyproject.toml`` that is not a regular file is passed over."""
    here = os.path.abspath(start or os.getcwd())
    cwd = os.path.abspath(os.getcwd())
    while True:
        candidate = os.path.join(here, PYPROJECT)
        document = _load(candidate, must_be_regular=False, shown=_relative(candidate, cwd))
        if document is not None:
            table = _kl_table(document, _relative(candidate, cwd))
            if table is not None:
                return ConfigFile(_relative(candidate, cwd), "tool.kl-cli", table)
        if os.path.lexists(os.path.join(here, ".git")):
            return None
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _relative(path: str, cwd: str) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # another drive (Windows)
        return path


def _kl_table(document: dict[str, Any], shown: str) -> dict[str, Any] | None:
    tool = document.get("tool")
    if not isinstance(tool, dict) or "kl-cli" not in tool:
        return None
    table = tool["kl-cli"]
    if not isinstance(table, dict):
        raise InputError(f"{_shown(shown)}: [tool] kl-cli: must be a table, got {type_name(table)}")
    return table


def _load(path: str, *, must_be_regular: bool, shown: str | None = None) -> dict[str, Any] | None:
    """The parsed document; None (when ``must_be_regular`` is false) for a
    path that does not exist or is not a regular file."""
    name = _shown(shown or path)
    try:
        # O_NONBLOCK: a FIFO is never waited on; it is refused below as not a regular file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if not must_be_regular:
            return None
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        if not must_be_regular:
            return None
        raise InputError(f"{name}: is a directory, not a configuration file") from None
    except OSError as exc:
        if not must_be_regular and exc.errno in (errno.ENOTDIR, errno.ENXIO, errno.ELOOP):
            return None
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            if not must_be_regular:
                return None
            what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise InputError(f"{name}: is {what}, not a configuration file")
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES:
            chunk = os.read(fd, MAX_CONFIG_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > MAX_CONFIG_BYTES:
        raise InputError(f"{name}: larger than {MAX_CONFIG_BYTES // (1 << 20)} MiB, not a configuration file")
    data = b"".join(chunks)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}: line {line}: not UTF-8 text (TOML is UTF-8)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = " ".join(str(exc).split())
        found = re.search(r"\(at line (\d+), column \d+\)$", message)
        if found:
            message = message[: found.start()].rstrip()
            raise InputError(f"{name}: line {found.group(1)}: invalid TOML: {visible(message, 120)}") from None
        raise InputError(f"{name}: invalid TOML: {visible(message, 120)}") from None
    except RecursionError:  # deeply nested arrays
        raise InputError(f"{name}: invalid TOML: nested too deeply") from None


def type_name(value: object) -> str:
    """What a TOML value is, in TOML's words (for 'must be a number, got a string')."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f'a string ("{visible(value, 40)}")'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # dates and times


def _shown(path: str) -> str:
    return visible(path, 200)
