"""The command line: the click group, its exit statuses, and one module per command."""

from __future__ import annotations

from .app import cli, run
from .batch import batch
from .compare import compare
from .drift import drift
from .matrix import matrix
from .profile import profile
from .sampled import sampled

cli.add_command(batch)
cli.add_command(compare)
cli.add_command(drift)
cli.add_command(matrix)
cli.add_command(profile)
cli.add_command(sampled)

__all__ = ["cli", "run"]
