"""Writes reference_logits.npy and quantized_logits.npy (seeded): next-token
logits of 4 sequences x 16 positions over a 1,000-token vocabulary, float32,
the second as a quantized model would give them (the reference rounded to a
coarse grid, plus a little noise), and padding_mask.npy (1 = a real token,
0 = padding at the end of the shorter sequences), for the batch example."""

from pathlib import Path

import numpy as np

rng = np.random.default_rng(13)
sequences, positions, vocabulary = 4, 16, 1_000
popularity = rng.normal(0, 2, vocabulary)
reference = (popularity + rng.normal(0, 1.5, (sequences, positions, vocabulary))).astype(np.float32)
quantized = (np.round(reference * 8) / 8 + rng.normal(0, 0.05, reference.shape)).astype(np.float32)
mask = np.ones((sequences, positions), dtype=np.int8)
for s, length in enumerate([16, 12, 9, 14]):
    mask[s, length:] = 0
HERE = Path(__file__).parent  # next to this script, wherever it is run from
np.save(HERE / "reference_logits.npy", reference)
np.save(HERE / "quantized_logits.npy", quantized)
np.save(HERE / "padding_mask.npy", mask)
