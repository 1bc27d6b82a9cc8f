"""The Dask side of the benchmark: data, a cluster, worker memory, costs.

    python benchmarks/dask_cluster.py gen FOLDER --rows N --files F --row-group G
    python benchmarks/dask_cluster.py serve ADDRESS_FILE --workers W
    python benchmarks/dask_cluster.py peaks ADDRESS [--trivial]
    python benchmarks/dask_cluster.py overhead ADDRESS [--tasks N]
    python benchmarks/dask_cluster.py costs PATTERN

Each mode runs as a child of ``run.py`` (the harness itself imports nothing
heavy, see its docstring):

- ``gen`` writes ``FOLDER/x2/part-NNN.parquet``: F files of N / F rows each,
  row groups of G rows, fixed seeds, and ``FOLDER/x1/`` with hard links to
  the first F / 2 of them (the 1x dataset is the first half of the 2x one).
  Columns: ``latency`` (a float, normal, nearly every value distinct),
  ``amount`` (a float, lognormal rounded to 4 decimals, 1% missing),
  ``rating`` (an integer 1..5, 0.2% missing: categorical) and ``store``
  (text, 50 names, 0.5% missing). ``FOLDER/dataset.json`` records the
  parameters, written last, so a half-written folder is never reused.
- ``serve`` starts a ``distributed.LocalCluster`` of W worker processes with
  one thread each on 127.0.0.1, writes the scheduler's address to
  ADDRESS_FILE and keeps the cluster until its standard input is closed.
- ``peaks`` connects to ADDRESS and prints, per worker, the peak resident
  memory the kernel recorded for that process (``ru_maxrss``, KiB) and its
  resident memory now, as JSON; ``--trivial`` first runs one tiny task, so
  the figures are those of a worker that has run something.
- ``overhead`` times N tasks that do nothing on the cluster at ADDRESS (after
  a warm-up) and prints the seconds per task: the scheduler's and the
  workers' share of every partition and every merge.
- ``costs`` times kl-cli's own per-partition and merge steps in this
  process, on the partitions of PATTERN, and the size of a partial profile
  as it travels (``pickle`` and ``cloudpickle``); it prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import sys
import time
from typing import Any

STORES = [f"store-{i:02d}" for i in range(50)]


# ---------------------------------------------------------------------------
# Data


def write_dataset(folder: str, rows: int, files: int, row_group: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    x1, x2 = os.path.join(folder, "x1"), os.path.join(folder, "x2")
    os.makedirs(x1, exist_ok=True)
    os.makedirs(x2, exist_ok=True)
    per_file = rows // files
    dictionary = pa.array(STORES)
    row_groups = 0
    for i in range(files):
        rng = np.random.default_rng([15, i])
        latency = rng.normal(100.0, 15.0, per_file)
        amount = np.round(rng.lognormal(3.0, 1.0, per_file), 4)
        rating = rng.integers(1, 6, per_file)
        store = rng.integers(0, len(STORES), per_file).astype(np.int32)
        table = pa.table(
            {
                "latency": latency,
                "amount": pa.array(amount, mask=rng.random(per_file) < 0.01),
                "rating": pa.array(rating, mask=rng.random(per_file) < 0.002),
                "store": pa.DictionaryArray.from_arrays(
                    pa.array(store, mask=rng.random(per_file) < 0.005), dictionary
                ).cast(pa.string()),
            }
        )
        name = f"part-{i:03d}.parquet"
        path = os.path.join(x2, name)
        pq.write_table(table, path + ".tmp", row_group_size=row_group)
        os.replace(path + ".tmp", path)
        row_groups += pq.ParquetFile(path).metadata.num_row_groups
        if i < files // 2:
            link = os.path.join(x1, name)
            if os.path.exists(link):
                os.remove(link)
            try:
                os.link(path, link)
            except OSError:
                import shutil

                shutil.copyfile(path, link)
    info = {
        "version": 1,
        "rows": rows,
        "files": files,
        "row_group": row_group,
        "row_groups": row_groups,
        "bytes": sum(os.path.getsize(os.path.join(x2, f)) for f in os.listdir(x2)),
    }
    with open(os.path.join(folder, "dataset.json"), "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    print(json.dumps(info))


# ---------------------------------------------------------------------------
# A cluster and its workers' memory


def serve(address_file: str, workers: int) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
    ) as cluster:
        with open(address_file + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(cluster.scheduler_address)
        os.replace(address_file + ".tmp", address_file)
        sys.stdin.read()  # until the harness closes our standard input


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kib() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def peaks(address: str, trivial: bool) -> None:
    from distributed import Client

    with Client(address, timeout=60) as client:
        if trivial:
            assert client.submit(sum, [1, 2, 3], pure=False).result() == 6
        peak, now = client.run(_peak_kib), client.run(_rss_kib)
    print(json.dumps({"peak_kib": peak, "rss_kib": now}))


def _noop(i: int) -> int:
    return i


def overhead(address: str, tasks: int) -> None:
    """Seconds per task of TASKS tasks that do nothing: what the scheduler
    and the workers add to every partition and every merge."""
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.gather(client.map(_noop, range(100), pure=False))  # warm: the function and the connections
        start = time.perf_counter()
        client.gather(client.map(_noop, range(tasks), pure=False))
        wall = time.perf_counter() - start
    print(json.dumps({"tasks": tasks, "task_overhead_s": wall / tasks}))


# ---------------------------------------------------------------------------
# Per-partition and merge costs


def _timed(fn: Any, times: int = 3) -> tuple[float, Any]:
    """The median wall time of ``fn()`` over ``times`` calls, and its last result."""
    walls, out = [], None
    for _ in range(times):
        start = time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), out


def _sizes(obj: Any) -> tuple[int, int | None]:
    try:
        import cloudpickle
    except ImportError:
        cloudpickle = None
    plain = len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    return plain, (len(cloudpickle.dumps(obj)) if cloudpickle else None)


def costs(pattern: str) -> None:
    """One partition's first pass and second pass, merges of two partials (both
    keeping their values; the merge where they become bucket histograms; two
    histograms), and a partial's size pickled: kl-cli's own functions, the ones
    a worker runs, timed in this process on the partitions (row groups) of
    PATTERN's files, planned and read as the Dask engine does
    (``inputs.partitions``)."""
    import glob

    from kl_cli.inputs.datasets import DEFAULT_CHUNK_ROWS, TableOptions
    from kl_cli.inputs.partitions import PartitionReading, plan_partitions, read_partition
    from kl_cli.profiles.partial import Wanted, first_pass, second_pass

    files = sorted(glob.glob(pattern))
    table = TableOptions()
    parts = plan_partitions(files, table)
    reading = PartitionReading(table, DEFAULT_CHUNK_ROWS, len(files) > 1)

    def partition(i: int, columns: list[str] | None = None) -> Any:
        return read_partition(parts[i], reading, columns, [])

    wanted = Wanted()
    first_pass(partition(0), wanted)  # warm-up: imports, caches
    walls, partials = [], []
    for i in range(4):
        start = time.perf_counter()
        partials.append(first_pass(partition(i), wanted))
        walls.append(time.perf_counter() - start)
    out: dict[str, Any] = {"partition_rows": partials[0].rows, "partition_s": statistics.median(walls)}
    out["merge_s"], pair = _timed(lambda: partials[0].merged(partials[1]), 5)
    out["partial_pickle_bytes"], out["partial_cloudpickle_bytes"] = _sizes(partials[0])
    binned = [n for n, acc in partials[0].columns.items() if acc.number_counts is None]
    # Merge the pair with itself until it no longer keeps the values (the
    # tree's crossing merge, timed), then two such histograms. Counting a
    # partition twice changes counts, not the work nor the buckets filled.
    merged = pair
    while not merged.columns[binned[0]].summary.needs_second_pass:
        start = time.perf_counter()
        merged = merged.merged(merged)
        out["merge_crossing_s"] = time.perf_counter() - start
    out["merge_histograms_s"], _ = _timed(lambda: merged.merged(merged), 3)
    out["histogram_pickle_bytes"], out["histogram_cloudpickle_bytes"] = _sizes(merged)
    for name in binned:
        merged.columns[name].summary.plan(10, "quantile")

    def detail() -> Any:
        planned = {name: merged.columns[name].summary.planned() for name in binned}
        return second_pass(partition(0, binned), planned)

    out["second_pass_s"], _ = _timed(detail, 3)
    out["binned_columns"] = binned
    out["columns"] = list(partials[0].columns)
    out["dataset_partitions"] = len(parts)
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    gen = sub.add_parser("gen")
    gen.add_argument("folder")
    gen.add_argument("--rows", type=int, required=True)
    gen.add_argument("--files", type=int, required=True)
    gen.add_argument("--row-group", type=int, required=True)
    srv = sub.add_parser("serve")
    srv.add_argument("address_file")
    srv.add_argument("--workers", type=int, required=True)
    pk = sub.add_parser("peaks")
    pk.add_argument("address")
    pk.add_argument("--trivial", action="store_true")
    ov = sub.add_parser("overhead")
    ov.add_argument("address")
    ov.add_argument("--tasks", type=int, default=2000)
    cs = sub.add_parser("costs")
    cs.add_argument("pattern")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.what == "gen":
        write_dataset(args.folder, args.rows, args.files, args.row_group)
    elif args.what == "serve":
        serve(args.address_file, args.workers)
    elif args.what == "peaks":
        peaks(args.address, args.trivial)
    elif args.what == "overhead":
        overhead(args.address, args.tasks)
    else:
        costs(args.pattern)
    print(f"{args.what}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
