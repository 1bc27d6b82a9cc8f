"""The house in layers: the import-linter contracts hold, and no module imports itself in a circle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent


def test_no_import_cycle_anywhere_in_the_package():
    """For every import a -> b (function-level ones included), no chain leads from b back to a."""
    graph = grimp.build_graph("kl_cli", include_external_packages=False)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_layer_contracts_hold():
    """`lint-imports` with the contracts of pyproject.toml (CI runs it too)."""
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    if not Path(exe).exists():
        pytest.skip("import-linter is not installed")
    result = subprocess.run([exe], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_leaf_needs_only_the_standard_library():
    """errors, text and vocabulary import nothing outside the standard library and themselves."""
    graph = grimp.build_graph("kl_cli", include_external_packages=True)
    for leaf in ("kl_cli.errors", "kl_cli.text", "kl_cli.vocabulary"):
        imported = graph.find_modules_directly_imported_by(leaf)
        outside = {m for m in imported if m.split(".")[0] in ("numpy", "pandas", "click", "rich", "pyarrow", "scipy")}
        assert not outside, (leaf, outside)
        assert not {m for m in imported if m.startswith("kl_cli.")}, (leaf, imported)
