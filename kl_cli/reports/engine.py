"""Where drift and profile count a dataset: here (``local``) or on a Dask cluster (``dask``).

Both engines count with the same code (``profiles.partial``); the engine
only decides where the chunks are read and how partials travel. One engine
serves a whole command: drift's reference and current data share one
cluster client, opened before the first read and closed after the last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import UsageError
from ..inputs.datasets import frames_of
from ..inputs.locations import expand_one
from ..vocabulary import ENGINES, MAX_WORKERS


class Engine:
    """A context for the datasets of one command: ``dataset(files, reading)``
    gives what ``build_profile`` and ``count_against`` count."""

    def __init__(
        self,
        name: str = "local",
        scheduler: str | None = None,
        workers: int | None = None,
        partition_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if name not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {name!r}")
        if name != "dask":
            for option, value in (("--scheduler", scheduler), ("--workers", workers)):
                if value is not None:
                    raise UsageError(f"{option} has no effect without --engine dask")
        if scheduler is not None and workers is not None:
            raise UsageError("--workers has no effect with --scheduler (a running cluster has its own workers)")
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS
        ):
            raise UsageError(f"--workers must be a whole number from 1 to {MAX_WORKERS}, got {workers!r}")
        if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
            raise UsageError(f"--scheduler must be an address such as tcp://host:8786, got {scheduler!r}")
        self.name = name
        self.scheduler = scheduler
        self.workers = workers
        self.progress = partition_progress
        self._client: Any = None
        self._context: Any = None

    def __enter__(self) -> Engine:
        if self.name == "dask":
            from ..profiles.cluster import cluster_client

            self._context = cluster_client(self.scheduler, self.workers)
            self._client = self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._context is not None:
            context, self._context, self._client = self._context, None, None
            context.__exit__(*exc)

    def files(self, spec: Any) -> list[Any]:
        """The files a data argument names (a pattern's matches; a DataFrame as it is)."""
        if not isinstance(spec, str):
            if self.name == "dask":
                raise UsageError("--engine dask reads files; a DataFrame is counted with engine local")
            return [spec]
        if self.name == "dask" and spec == "-":
            raise UsageError("--engine dask cannot read standard input: the workers read files (or URLs)")
        return expand_one(spec)

    def dataset(self, files: list[Any], read_kwargs: dict[str, Any]) -> Any:
        """The chunks of ``files`` to count: frames read here, or a cluster's counting."""
        if self.name == "local":
            return frames_of(files, **read_kwargs)
        from ..inputs.partitions import PartitionReading
        from ..profiles.cluster import DaskCounting

        reading = PartitionReading(read_kwargs["table"], read_kwargs["chunk_rows"], len(files) > 1)
        return DaskCounting(self._client, files, reading, read_kwargs.get("messages"), self.progress)
