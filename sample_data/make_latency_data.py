"""Writes latency_ms.csv: 2,000 request latencies in milliseconds (seeded),
log-normal around 60 ms with a slow tail, for the samples-against-a-model example."""

import numpy as np

rng = np.random.default_rng(2026)
fast = rng.lognormal(4.1, 0.45, 1_800)
slow = rng.lognormal(5.2, 0.6, 200)
values = np.concatenate([fast, slow])
rng.shuffle(values)
with open("latency_ms.csv", "w") as handle:
    handle.write("ms\n")
    handle.write("\n".join(f"{v:.1f}" for v in values) + "\n")
