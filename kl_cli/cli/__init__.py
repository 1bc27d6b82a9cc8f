"""The command line: the click group, its exit statuses, and one module per command."""

from __future__ import annotations

from .app import cli, run
from .batch import batch
from .compare import compare
from .drift import drift
from .profile import profile

cli.add_command(batch)
cli.add_command(compare)
cli.add_command(drift)
cli.add_command(profile)

__all__ = ["cli", "run"]
