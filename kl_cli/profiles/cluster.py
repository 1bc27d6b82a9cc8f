"""The Dask engine: a dataset counted partition by partition on a cluster.

Each partition is read and counted on a worker by the same code as the
local engine (``inputs.partitions.read_partition`` into
``profiles.partial``); the partials come back merged in a tree of pairwise
merges, in partition order, so the result is the local one. Merges never
change their inputs, so a partition or merge Dask runs again after losing
a worker counts once. Errors on a worker come back as the same one-line
errors, with the partition named; Ctrl-C cancels the cluster's work.

dask and distributed are imported here only, inside functions, and this
module only with ``--engine dask``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from ..core import binning
from ..core.binning import NumericSummary
from ..errors import InputError, KlError, UsageError
from ..inputs.datasets import empty_file_note, no_rows
from ..inputs.partitions import Partition, PartitionReading, file_pieces, plan_partitions, read_partition
from ..text import visible
from .partial import CurrentCounts, DatasetPartial, Wanted, count_frames, first_pass, second_pass

# (done, total) partitions, after each one.
PartitionProgress = Callable[[int, int], None]


def import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError("--engine dask needs dask and distributed", hint="pip install 'kl-cli[dask]'") from None
    return distributed


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _quiet_logs() -> None:
    """distributed's diagnostics are not ours to print: each of its loggers
    (some have handlers of their own, so the parent's level is not enough)."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("distributed", "tornado", "asyncio")]
    for name in ("distributed", "tornado", "asyncio", *names):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def cluster_client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A client of the cluster at ``scheduler``, else of a local cluster of
    ``workers`` processes started here and closed on the way out."""
    distributed = import_distributed()
    _quiet_logs()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            why = " ".join(str(exc).split())[:200]
            raise InputError(f"--scheduler {visible(scheduler)}: cannot connect: {why}") from None
        with client:
            yield client
        return
    with warnings.catch_warnings():  # a busy port and the like: distributed's to settle, not ours to print
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield client


class DaskCounting:
    """A ``Counting`` (see ``profiles.build``) whose passes run on a cluster,
    one task per partition, the partials merged in a tree."""

    def __init__(
        self,
        client: Any,
        files: list[str],
        reading: PartitionReading,
        messages: list[tuple[str, str]] | None = None,
        progress: PartitionProgress | None = None,
    ) -> None:
        self.client = client
        self.files = files
        self.reading = reading
        self.partitions = plan_partitions(files, reading.table, pieces_of=self._pieces)
        self.messages = messages
        self.progress = progress
        self._passes = 0
        # A dataset known (from Parquet footers) to hold more values than are
        # kept in memory is binned through histograms from the first partition
        # on: what travels is then a sparse histogram, not the values.
        known = [p.rows for p in self.partitions]
        self.histograms = None not in known and sum(known) > binning.IN_MEMORY_VALUES  # type: ignore[arg-type]

    def _pieces(self, targets: list[tuple[str, str]]) -> list[Any]:
        """Each file's partitions, planned on the workers (many remote footers read in parallel)."""
        import uuid

        stated = self.reading.table.input_format
        token = uuid.uuid4().hex[:12]
        futures = [
            self.client.submit(file_pieces, path, name, stated, key=f"kl-cli-plan-{token}-f{i}")
            for i, (path, name) in enumerate(targets)
        ]
        try:
            return list(self.client.gather(futures))
        except BaseException as exc:
            self.client.cancel(futures, force=True)
            raise _cluster_error(exc, [], [name for _, name in targets]) from None

    def first_pass(self, wanted: Wanted, read: list[str] | None) -> DatasetPartial:
        partial: DatasetPartial = self._run(_first_pass_task, _merge, wanted, read, self.histograms)
        self._noted(partial.messages)
        if partial.rows == 0:
            raise no_rows(", ".join(self.files))
        return partial

    def second_pass(self, planned: dict[str, NumericSummary]) -> dict[str, NumericSummary]:
        result: dict[str, NumericSummary] = self._run(_second_pass_task, _merge_detail, planned)
        return result

    def count(self, kinds: dict[str, tuple[str, tuple[float, ...]]], source: str) -> CurrentCounts:
        counts: CurrentCounts = self._run(_count_task, _merge, kinds, source)
        self._noted(counts.messages)
        if counts.rows == 0:
            raise no_rows(", ".join(self.files))
        return counts

    def _noted(self, messages: list[tuple[str, str]]) -> None:
        """Layout notes are the first pass's (as the local engine gathers them)."""
        self._passes += 1
        if self._passes == 1 and self.messages is not None:
            self.messages += messages

    def _run(self, task: Callable[..., Any], merge: Callable[[Any, Any], Any], *args: Any) -> Any:
        """``task(partition, reading, *args)`` on every partition, the results
        merged pairwise in partition order; the merged result."""
        import uuid

        distributed = import_distributed()
        client = self.client
        total = len(self.partitions)
        token = uuid.uuid4().hex[:12]
        leaves = [
            client.submit(task, part, self.reading, *args, key=f"kl-cli-count-{token}-p{part.index}")
            for part in self.partitions
        ]
        level, depth = leaves, 0
        while len(level) > 1:
            depth += 1
            pairs = [
                client.submit(merge, level[i], level[i + 1], key=f"kl-cli-merge-{token}-{depth}-{i // 2}")
                for i in range(0, len(level) - 1, 2)
            ]
            level = pairs + level[len(level) - len(level) % 2 :]
        final = level[0]
        # Only the final merge and the partitions not yet done are held here:
        # a partial the cluster has merged is then released, so the cluster's
        # memory is bounded by the partitions in flight, not by the dataset.
        index = {future.key: part.index for future, part in zip(leaves, self.partitions)}
        pending = {future.key: future for future in leaves}
        finished = distributed.as_completed(leaves, loop=client.loop)
        del leaves, level
        try:
            if self.progress is not None:
                self.progress(0, total)
            failed: Any = None  # the erred partition that comes first in the dataset, as the local engine's error
            for done, future in enumerate(finished, 1):
                pending.pop(future.key, None)
                if future.status == "error" and (failed is None or index[future.key] < index[failed.key]):
                    failed = future
                if failed is not None and all(index[key] > index[failed.key] for key in pending):
                    failed.result()  # raises that partition's error
                if self.progress is not None:
                    self.progress(done, total)
            return final.result()
        except BaseException as exc:  # an error, Ctrl-C, SIGTERM: the cluster's work is cancelled
            finished.clear()
            client.cancel([*pending.values(), final], force=True)
            raise _cluster_error(exc, self.partitions) from None


def _cluster_error(exc: BaseException, partitions: list[Partition], planned: list[str] | None = None) -> BaseException:
    """What the cluster's own failures say to the user, in one line (kl-cli's
    errors, Ctrl-C and anything unknown are passed on as they are). distributed's
    exceptions are matched by name: they move between its modules across versions."""
    kind = type(exc).__name__
    if kind == "KilledWorker":
        return _lost(exc, partitions, planned or [])
    if kind in ("CancelledError", "FutureCancelledError"):  # not by us: the scheduler went away
        return InputError("the cluster cancelled the work before it was done", hint="is the scheduler still running?")
    if isinstance(exc, RuntimeError) and "deserializ" in str(exc):
        return InputError(
            "the cluster cannot run kl-cli's tasks: its scheduler and workers need the same kl-cli "
            "(and Python packages) as this machine",
            hint="install this kl-cli where the workers run, and restart them",
        )
    if isinstance(exc, (OSError, TimeoutError)) and not isinstance(exc, KlError):
        return InputError(f"the cluster failed: {' '.join(str(exc).split())[:200]}")
    return exc


def _lost(exc: BaseException, partitions: list[Partition], planned: list[str]) -> InputError:
    """A task whose workers kept dying (out of memory, killed): trouble, never a partial count.
    ``planned``: the files being planned (their footers read), when it was that."""
    key = str(exc.args[0]) if exc.args else ""
    named = next((p for p in partitions if key.endswith(f"-p{p.index}") and "-count-" in key), None)
    where = f" while counting {named.name} ({named.describe()})" if named is not None else ""
    if "-plan-" in key and key.rsplit("-f", 1)[-1].isdigit() and int(key.rsplit("-f", 1)[-1]) < len(planned):
        where = f" while reading the layout of {planned[int(key.rsplit('-f', 1)[-1])]}"
    return InputError(
        f"the cluster lost its worker{where} more times than distributed.scheduler.allowed-failures allows; "
        "nothing was counted",
        hint="a worker may run out of memory: give workers more, or partitions fewer rows",
    )


@contextlib.contextmanager
def _partition_named(part: Partition) -> Iterator[None]:
    """An error in a partition says which (the file is in the message already)."""
    where = f"{part.describe()}: " if part.total > 1 else ""
    try:
        yield
    except KlError as exc:
        raise type(exc)(f"{where}{exc}", exc.hint) from None
    except OSError as exc:  # a read that failed on the worker (a network filesystem, a file gone)
        raise InputError(f"{where}{part.name}: cannot read: {exc.strerror or exc}") from None


def _first_pass_task(
    part: Partition, reading: PartitionReading, wanted: Wanted, read: list[str] | None, histograms: bool
) -> Any:
    messages: list[tuple[str, str]] = []
    with _partition_named(part):
        partial = first_pass(read_partition(part, reading, read, messages), wanted, histograms)
    partial.messages = _with_empty_note(messages, partial.rows, part, reading)
    return partial


def _second_pass_task(
    part: Partition, reading: PartitionReading, planned: dict[str, NumericSummary]
) -> dict[str, NumericSummary]:
    mine = {name: summary.planned() for name, summary in planned.items()}
    with _partition_named(part):
        return second_pass(read_partition(part, reading, list(mine), []), mine)


def _count_task(
    part: Partition, reading: PartitionReading, kinds: dict[str, tuple[str, tuple[float, ...]]], source: str
) -> CurrentCounts:
    messages: list[tuple[str, str]] = []
    with _partition_named(part):
        counts = count_frames(read_partition(part, reading, list(kinds), messages), kinds, source)
    counts.messages = _with_empty_note(messages, counts.rows, part, reading)
    return counts


def _with_empty_note(
    messages: list[tuple[str, str]], rows: int, part: Partition, reading: PartitionReading
) -> list[tuple[str, str]]:
    """A partition's layout notes, and the note on a file of several that holds no rows (as ``frames_of`` says it)."""
    if rows == 0 and part.whole_file and reading.several:
        messages.append(empty_file_note(part.name))
    return messages


def _merge(a: Any, b: Any) -> Any:
    return a.merged(b)


def _merge_detail(a: dict[str, NumericSummary], b: dict[str, NumericSummary]) -> dict[str, NumericSummary]:
    return {name: summary.merged_detail(b[name]) for name, summary in a.items()}
