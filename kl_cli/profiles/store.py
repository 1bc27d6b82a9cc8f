"""Profiles on disk: recognized by their content, loaded (checked), written
without ever destroying what kl-cli did not create.

Reading: an input is a profile when its content is a JSON object whose
``format`` is ``kl-cli-profile`` (whatever its name, key order, byte-order
mark or compression, and from a file, standard input, a FIFO or ``<(...)``).
It is then checked completely (``validate.py``) before any number is used.

Writing (``ProfileTarget``): the output must be a regular file or a new
path, never one of the data files being profiled (by device and inode, so
no spelling of the path escapes), and a symlink is written through to its
target. An existing file is replaced only when it is a kl-cli profile
(recognized by its content, as above) or empty: anything else is refused,
never destroyed. The profile goes to a temporary file in the target's folder,
then replaces the target in one rename, keeping the target's mode; an
advisory lock on that folder is held from before the inputs are read until
the rename, so concurrent updates of one profile are serialized and no
run's rows are lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from ..errors import InputError, UsageError
from ..text import visible
from .model import PROFILE_FORMAT, READABLE_VERSIONS, Profile
from .validate import profile_from_document

# ---------------------------------------------------------------------------
# Reading


def read_profile_or_data(
    spec: str, name: str, open_stdin: Callable[[], BinaryIO] | None = None, stated: str | None = None
) -> tuple[Profile | None, Any]:
    """(the profile, None) when ``spec`` holds a profile; else (None, the
    kept copy of a stream already begun (``inputs.kept``), for the data
    reader; None for a file).
    ``stated`` is a format the user stated for this input (it wins)."""
    from ..inputs.kept import spool_stream
    from ..inputs.source import Source
    from ..inputs.streams import is_stream

    spool = spool_stream(spec, name, open_stdin) if is_stream(spec) else None
    try:
        document = _json_object(Source(spec, name, stated=stated, spooled=spool))
        if not _is_profile(document):
            return None, spool
    except BaseException:
        if spool is not None:
            spool.close()
        raise
    if spool is not None:
        spool.close()
    label = f"profile {name}"
    return profile_from_document(_checked_version(document, label), label), None


def load_profile(path: str, open_stdin: Callable[[], BinaryIO] | None = None) -> Profile:
    """Read a profile (a file or a stream), checked completely."""
    name = "stdin" if path == "-" else path
    profile, spool = read_profile_or_data(path, name, open_stdin)
    if profile is None:
        if spool is not None:
            spool.close()
        raise InputError(f'profile {name}: not a kl-cli profile (a JSON object with "format": "{PROFILE_FORMAT}")')
    return profile


def _json_object(src: Any) -> Any:
    """The parsed document of a source holding one JSON object, else None
    (text in another encoding or malformed JSON is left to the data reader,
    which says what is wrong with it as data)."""
    from ..inputs.jsondoc import parse_json_text
    from ..inputs.streams import MAX_JSON_BYTES

    if src.format != "json" or not src.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    with src.reading() as handle:
        data = handle.read(MAX_JSON_BYTES + 1)
    if len(data) > MAX_JSON_BYTES:
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        return parse_json_text(text, src.name)
    except InputError:
        return None


def _is_profile(document: Any) -> bool:
    """A JSON object tagged as a profile, or shaped like one (a ``format``
    beside a ``columns`` object): the checks then say what is wrong."""
    return isinstance(document, dict) and (
        document.get("format") == PROFILE_FORMAT or ("format" in document and isinstance(document.get("columns"), dict))
    )


def _checked_version(document: dict[str, Any], name: str) -> dict[str, Any]:
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version not in READABLE_VERSIONS:
        readable = " and ".join(map(str, READABLE_VERSIONS))
        shown = json.dumps(version)[:40] if "version" in document else "none"
        raise InputError(
            f"{name}: profile format version {shown}, but this kl-cli reads versions {readable}",
            hint="rebuild it with kl-cli profile",
        )
    return document


# ---------------------------------------------------------------------------
# Writing


class ProfileTarget:
    """Where ``profile -o PATH`` writes: checked at once, locked while the
    inputs are read, replaced atomically at the end.

    >>> with ProfileTarget(path) as target:        # doctest: +SKIP
    ...     target.refuse_inputs(data_files)
    ...     target.write(profile)
    """

    def __init__(self, path: str) -> None:
        self.path = path
        shown = visible(path)
        # A symlink is written through: its target is the file replaced.
        self.target = os.path.realpath(path)
        self.folder = os.path.dirname(self.target)
        try:
            st = os.stat(self.target)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise UsageError(f"cannot write the profile to {shown}: {exc.strerror or exc}") from None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise UsageError(
                f"cannot write the profile to {shown}: it is {_kind(st.st_mode)}, not a regular file",
                hint="give a new path or a profile file (-o - writes to standard output)",
            )
        if st is None and not os.path.isdir(self.folder):
            raise UsageError(f"cannot write the profile to {shown}: no folder {visible(self.folder)}")
        self.identity = None if st is None else (st.st_dev, st.st_ino)
        self._lock: int | None = None
        self._foreign_checked = False

    def __enter__(self) -> ProfileTarget:
        self._lock = _lock_folder(self.folder)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None

    def refuse_inputs(self, paths: Iterable[Any]) -> None:
        """An output that is one of the data files would replace the data with its profile."""
        if self.identity is None:
            return
        for path in paths:
            if not isinstance(path, str) or path == "-":
                continue
            try:
                st = os.stat(path)
            except (OSError, ValueError):
                continue
            if (st.st_dev, st.st_ino) == self.identity:
                same = "" if path == self.path else f" (the data file {visible(path)})"
                raise UsageError(
                    f"-o {visible(self.path)} is one of the data files being profiled{same}: "
                    "writing the profile there would replace the data",
                    hint="give another output path",
                )
        self.refuse_foreign()

    def refuse_foreign(self) -> None:
        """An existing file that is not empty and not a kl-cli profile is not
        kl-cli's to replace (checked after ``refuse_inputs``' more telling
        message, before any data are read, and again before writing)."""
        try:
            st = os.stat(self.target)
        except OSError:
            return  # gone (or never there): nothing to destroy
        if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
            return
        if not _holds_profile(self.target):
            raise UsageError(
                f"{visible(self.path)} exists and is not a kl-cli profile: not replaced "
                "(remove it or choose another -o)"
            )
        self._foreign_checked = True

    def write(self, profile: Profile, before_commit: Callable[[], None] | None = None) -> None:
        """Replace the target in one rename: an interrupted run (Ctrl-C,
        SIGTERM, SIGHUP) leaves the old file whole and no temporary behind.
        ``before_commit`` runs just before the rename (the CLI holds signals
        there: once the new file is in place, the run has succeeded)."""
        if not self._foreign_checked:
            self.refuse_foreign()
        text = json.dumps(profile.to_dict(), indent=2, allow_nan=False, ensure_ascii=True) + "\n"
        # The temporary's name is chosen before it is created, so that an
        # interrupt at any moment after creation still knows what to remove.
        tmp = os.path.join(self.folder, f".kl-cli-{os.getpid()}-{secrets.token_hex(6)}.tmp")
        try:
            try:
                old = os.stat(self.target)
            except FileNotFoundError:
                old = None
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as exc:
                raise InputError(f"cannot write {visible(self.path)}: {exc.strerror or exc}") from None
            try:
                _take_over(fd, old)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                if before_commit is not None:
                    before_commit()
                os.replace(tmp, self.target)
            except OSError as exc:
                raise InputError(f"cannot write {visible(self.path)}: {exc.strerror or exc}") from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _holds_profile(path: str) -> bool:
    """Whether the file at ``path`` is a kl-cli profile by its content (as ``read_profile_or_data`` tells)."""
    from ..inputs.source import Source

    try:
        return _is_profile(_json_object(Source(path, path)))
    except (InputError, OSError):
        return False


def write_profile(profile: Profile, path: str) -> None:
    """Write ``profile`` to ``path`` (checked, locked and atomic: see ``ProfileTarget``)."""
    with ProfileTarget(path) as target:
        target.write(profile)


def _take_over(fd: int, old: os.stat_result | None) -> None:
    """The new file gets the mode (and, where allowed, the owner) of the one
    it replaces; a new file gets the mode the umask gives."""
    if old is None:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        return
    with contextlib.suppress(OSError):  # only root may give a file away
        os.fchown(fd, old.st_uid, old.st_gid)
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _lock_folder(folder: str) -> int | None:
    """An exclusive advisory lock on ``folder`` (waits for other kl-cli runs
    writing a profile there). None where the system has no such locks."""
    try:
        import fcntl
    except ImportError:  # not on this platform: writes are still atomic
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise UsageError(f"cannot write to the folder {visible(folder)}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: writes are still atomic
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(mode: int) -> str:
    for test, word in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return word
    return "a special file"
