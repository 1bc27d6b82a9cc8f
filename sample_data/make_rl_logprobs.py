"""Regenerate the RL sample: python sample_data/make_rl_logprobs.py

rl_logprobs.csv holds 64 sampled completions (sequences) from a policy q over
a toy vocabulary of 50 tokens, padded to 24 positions: for every position the
token drawn from q, its log-probability under q (``logq``) and under a
reference policy p (``logp``), and ``mask`` (1 for a real token, 0 for
padding, whose log-probabilities are 0). The two policies share most of
their logits, so KL(q||p) is small, as it is between a fine-tuned policy and
its reference. The output is deterministic (fixed seed).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
VOCABULARY, SEQUENCES, POSITIONS = 50, 64, 24


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def main() -> None:
    rng = np.random.default_rng(13)
    rows = []
    for s in range(SEQUENCES):
        length = int(rng.integers(6, POSITIONS + 1))
        for t in range(POSITIONS):
            if t >= length:
                rows.append([f"seq{s:02d}", t, "", "0", "0", 0])
                continue
            reference = rng.normal(0.0, 2.0, VOCABULARY)
            policy = reference + rng.normal(0.0, 0.3, VOCABULARY)  # fine-tuning moved the logits a little
            logq, logp = log_softmax(policy), log_softmax(reference)
            token = int(rng.choice(VOCABULARY, p=np.exp(logq)))
            rows.append([f"seq{s:02d}", t, token, f"{logq[token]:.6f}", f"{logp[token]:.6f}", 1])
    with open(HERE / "rl_logprobs.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["sequence", "position", "token", "logq", "logp", "mask"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
