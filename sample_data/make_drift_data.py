"""Regenerate the drift sample: python sample_data/make_drift_data.py

reference.csv and current.csv are shop orders from two months. By design:
`region`, `age` and `rating` are stable; `plan` and `basket_value` drift
(a new "enterprise" plan, larger baskets); `channel` keeps its shares but
its missing rate rises from 2% to 12%; `order_id` is an identifier.
The output is deterministic (fixed seeds).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def orders(seed: int, n: int, current: bool) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    regions = rng.choice(["north", "south", "east", "west"], size=n, p=[0.3, 0.25, 0.25, 0.2])
    if current:
        plans = rng.choice(["free", "basic", "pro", "enterprise"], size=n, p=[0.35, 0.25, 0.25, 0.15])
        basket = rng.lognormal(mean=3.9, sigma=0.5, size=n)
        channel_missing = 0.12
    else:
        plans = rng.choice(["free", "basic", "pro"], size=n, p=[0.5, 0.3, 0.2])
        basket = rng.lognormal(mean=3.5, sigma=0.5, size=n)
        channel_missing = 0.02
    ages = np.clip(rng.normal(41, 12, size=n).round(), 18, 90).astype(int)
    ratings = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.05, 0.1, 0.2, 0.35, 0.3])
    channels = rng.choice(["web", "app", "phone"], size=n, p=[0.55, 0.35, 0.10])
    rows = []
    for i in range(n):
        rows.append(
            {
                "order_id": f"{'C' if current else 'R'}{seed}-{i:05d}",
                "region": regions[i],
                "plan": plans[i],
                "age": int(ages[i]),
                "basket_value": "" if rng.random() < 0.01 else f"{basket[i]:.2f}",
                "channel": "" if rng.random() < channel_missing else channels[i],
                "rating": int(ratings[i]),
            }
        )
    return rows


def write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    write(HERE / "reference.csv", orders(seed=2025, n=3000, current=False))
    write(HERE / "current.csv", orders(seed=2026, n=2500, current=True))
