"""Deterministic benchmark data, written in chunks so memory stays small.

    python benchmarks/gen_data.py csv OUT --rows N --kind ref|cur [--seed S]
    python benchmarks/gen_data.py repeat SRC OUT --times K
    python benchmarks/gen_data.py json OUT

``csv`` writes shop-like rows: ``city`` (30 city names; the current data
weighs them differently), ``amount`` (a float, lognormal, 0.5% empty cells)
and ``n`` (an integer with about 60 distinct values, so it is binned as
numeric). ``repeat`` writes SRC's rows K times under one header: the
20-million-row file of the memory scenario is the 5-million-row reference
four times, so its distribution (and bin edges) are the reference's and its
counts exactly four times as large. ``json`` writes a small labelled
``{"p": ..., "q": ...}`` pair for the import check.

Run as a child of ``run.py`` so the parent process stays small (a child's
peak RSS, as Linux reports it, is never below its parent's at the fork).
"""

from __future__ import annotations

import argparse
import json
import shutil

import numpy as np

CITIES = [
    "Amsterdam",
    "Athens",
    "Barcelona",
    "Berlin",
    "Bordeaux",
    "Bratislava",
    "Brussels",
    "Bucharest",
    "Budapest",
    "Copenhagen",
    "Dublin",
    "Edinburgh",
    "Florence",
    "Frankfurt",
    "Geneva",
    "Hamburg",
    "Helsinki",
    "Krakow",
    "Lisbon",
    "Ljubljana",
    "London",
    "Lyon",
    "Madrid",
    "Milan",
    "Munich",
    "Oslo",
    "Paris",
    "Prague",
    "Stockholm",
    "Vienna",
]
CHUNK = 1_000_000


def city_weights(kind: str) -> np.ndarray:
    """Zipf-like weights for the reference; the current data perturbs them."""
    w = 1.0 / np.arange(1, len(CITIES) + 1) ** 0.8
    if kind == "cur":
        w = w * np.exp(np.random.default_rng(7).normal(0.0, 0.3, len(CITIES)))
    return w / w.sum()


def chunk_frame(rng: np.random.Generator, rows: int, kind: str) -> dict[str, np.ndarray]:
    shift = 0.1 if kind == "cur" else 0.0
    city = np.asarray(CITIES)[rng.choice(len(CITIES), size=rows, p=city_weights(kind))]
    amount = np.round(rng.lognormal(3.5 + shift, 1.0, rows), 2)
    missing = rng.random(rows) < 0.005
    n = rng.poisson(60 + 30 * shift, rows)
    return {"city": city, "amount": amount, "missing": missing, "n": n}


def write_chunk(handle, cols: dict[str, np.ndarray], header: bool) -> None:
    """Write with pyarrow's CSV writer when it is there (fast), else pandas."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        amount = pa.array(cols["amount"], mask=cols["missing"])
        table = pa.table({"city": cols["city"], "amount": amount, "n": cols["n"]})
        if header:  # pyarrow quotes header names whatever the quoting style
            handle.write(b"city,amount,n\n")
        pacsv.write_csv(table, handle, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    except ImportError:
        import pandas as pd

        amount = np.where(cols["missing"], np.nan, cols["amount"])
        frame = pd.DataFrame({"city": cols["city"], "amount": amount, "n": cols["n"]})
        frame.to_csv(handle, index=False, header=header, na_rep="", lineterminator="\n")


def write_csv(path: str, rows: int, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "wb") as handle:
        done = 0
        while done < rows:
            size = min(CHUNK, rows - done)
            write_chunk(handle, chunk_frame(rng, size, kind), header=done == 0)
            done += size


def repeat(src: str, out: str, times: int) -> None:
    with open(out, "wb") as dst:
        for i in range(times):
            with open(src, "rb") as handle:
                header = handle.readline()
                if i == 0:
                    dst.write(header)
                shutil.copyfileobj(handle, dst, 16 << 20)


def write_json(path: str) -> None:
    pair = {"p": {"rain": 0.7, "dry": 0.3}, "q": {"dry": 0.6, "rain": 0.4}}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(pair, handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    csv_p = sub.add_parser("csv")
    csv_p.add_argument("out")
    csv_p.add_argument("--rows", type=int, required=True)
    csv_p.add_argument("--kind", choices=["ref", "cur"], required=True)
    csv_p.add_argument("--seed", type=int, default=20240)
    rep = sub.add_parser("repeat")
    rep.add_argument("src")
    rep.add_argument("out")
    rep.add_argument("--times", type=int, required=True)
    js = sub.add_parser("json")
    js.add_argument("out")
    args = parser.parse_args()
    if args.what == "csv":
        write_csv(args.out, args.rows, args.kind, args.seed)
    elif args.what == "repeat":
        repeat(args.src, args.out, args.times)
    else:
        write_json(args.out)


if __name__ == "__main__":
    main()
