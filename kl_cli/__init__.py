"""kl-cli: Kullback-Leibler and related divergences, both directions, explained.

>>> from kl_cli import compare
>>> round(compare([0.7, 0.3], [0.4, 0.6]).metrics["kl_pq"], 6)
0.183787
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BatchResult",
    "Comparison",
    "DriftReport",
    "MatrixReport",
    "Profile",
    "SampledResult",
    "batch",
    "compare",
    "drift",
    "matrix",
    "profile",
    "sampled",
]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import kl_cli` (and the CLI's start-up) stays light.
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
