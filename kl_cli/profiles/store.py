"""Profiles on disk: recognizing, loading (checked) and writing (atomically)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets

from ..errors import InputError
from ..vocabulary import MISSING
from .model import MISSING_KEY, PROFILE_FORMAT, READABLE_VERSIONS, ColumnProfile, Profile, ProfileOptions

# ---------------------------------------------------------------------------
# Files


def looks_like_profile(path: str) -> bool:
    """True when the file starts like a kl-cli profile (a JSON object with our format tag)."""
    if path == "-" or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and PROFILE_FORMAT.encode() in head


def load_profile(path: str) -> Profile:
    """Read a profile file, checking its format and version."""
    from ..inputs.jsondoc import parse_json_text
    from ..inputs.streams import read_bytes

    name = f"profile {path}"
    data = parse_json_text(read_bytes(path, name).decode("utf-8-sig", errors="replace"), name)
    if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
        raise InputError(f'{name}: not a kl-cli profile (no "format": "{PROFILE_FORMAT}")')
    version = data.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        readable = " and ".join(map(str, READABLE_VERSIONS))
        raise InputError(
            f"{name}: profile format version {version!r}, but this kl-cli reads versions {readable}",
            hint="rebuild it with kl-cli profile",
        )
    try:
        opts = data["options"]
        options = ProfileOptions(
            int(opts["bins"]), str(opts["binning"]), tuple(opts["categorical"]), tuple(opts["numeric"])
        )
        columns = {}
        for cname, col in data["columns"].items():
            edges = tuple(float(e) for e in col["edges"]) if "edges" in col else None
            counts: dict[str | None, float] = {str(k): float(v) for k, v in col["counts"].items()}
            # version 1 counted missing cells under the label "(missing)"
            counts[MISSING_KEY] = counts.pop(MISSING, 0.0) if version == 1 else float(col["missing"])
            if any(not math.isfinite(v) or v < 0 for v in counts.values()):
                raise ValueError(f"column {cname!r} has a negative or non-finite count")
            columns[cname] = ColumnProfile(
                cname,
                col["type"],
                col["typed_by"],
                counts,
                int(col["rows"]),
                edges,
                col.get("reason"),
                list(col.get("notes", [])),
            )
        return Profile(columns, int(data["rows"]), options, list(data.get("sources", [path])))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{name}: malformed profile ({exc})") from None


def write_profile(profile: Profile, path: str) -> None:
    """Write atomically: a temporary file in the same folder, then rename, so
    an interrupted run never leaves a truncated profile or loses the old one."""
    text = json.dumps(profile.to_dict(), indent=2, allow_nan=False, ensure_ascii=True) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise InputError(f"cannot write {path}: it is a directory")
    # The temporary's name is chosen before it is created, so that an
    # interrupt at any moment after creation still knows what to remove.
    tmp = os.path.join(folder, f".kl-cli-{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        if os.path.exists(path):  # keep the mode of the profile being replaced
            mode = os.stat(path).st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
