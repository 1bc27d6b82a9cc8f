"""compare --samples --estimator knn: divergences of samples (or of samples
and a model) from nearest-neighbour distances, without binning.

``EstimateComparison`` has the compare report's keys, ``methods`` for every
metric, the estimator's settings, and ``not_estimated`` (metric: why) for the
metrics the estimator has no estimate of (total variation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from ..core.parametric.families import Distribution
from ..core.parametric.integrals import Figure
from ..core.significance import Intervals, PermutationTest, Resampling
from ..core.significance import Progress as ResampleProgress
from ..errors import InputError, UsageError
from ..text import number, pct, prose_number, show_total, side_label
from ..vocabulary import BASES, METRICS, UNITS
from .fields import figures_fields

# The model's seeded sample for KL(model || data): at least this many points.
MODEL_SAMPLE = 10_000
MAX_MODEL_SAMPLE = 1_000_000
# A share of tied points worth a warning: the data may really be discrete.
TIED_WARNING = 0.01


@dataclass(frozen=True)
class EstimateComparison:
    """What the nearest-neighbour estimator found; ``to_dict()`` is the JSON report."""

    p_source: str
    q_source: str
    base: str
    metrics: dict[str, float]  # the estimated metrics, in the chosen base
    methods: dict[str, Figure]
    not_estimated: dict[str, str]
    estimator: dict[str, Any]
    p_distribution: Distribution | None = None
    q_distribution: Distribution | None = None
    explanation_lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    test: PermutationTest | None = None
    intervals: Intervals | None = None
    curves: Any = None
    differential: bool = True

    @property
    def unit(self) -> str:
        return UNITS[self.base]

    @property
    def infinite(self) -> list[str]:
        return [k for k, v in self.metrics.items() if math.isinf(v)]

    def explanation(self) -> list[str]:
        return list(self.explanation_lines)

    def to_dict(self) -> dict[str, Any]:
        return figures_fields(
            self,
            infinite_causes={"kl_pq": [], "kl_qp": []},
            extra={"estimator": dict(self.estimator)},
            n=(self.estimator["n_p"], self.estimator["n_q"]),
            test=self.test,
            intervals=self.intervals,
        )


def _finite_rows(values: np.ndarray, name: str) -> tuple[np.ndarray, int]:
    """Observations without missing values (NaN), and how many were left out; +-inf is an error."""
    x = np.asarray(values, dtype=np.float64)
    missing = np.isnan(x) if x.ndim == 1 else np.isnan(x).any(axis=1)
    x = x[~missing]
    if np.isinf(x).any():
        raise InputError(
            f"{name}: holds infinite values; the nearest-neighbour estimator needs finite numbers",
            hint="drop them, or use --estimator binned (whose outer bins are open)",
        )
    return x, int(missing.sum())


def run_knn(
    p: Any,
    q: Any,
    *,
    read: Any,
    open_stdin: Callable[[], BinaryIO] | None,
    base: str,
    k: int,
    columns: list[str] | None,
    resampling: Resampling,
    resample_progress: ResampleProgress | None = None,
) -> EstimateComparison:
    """Read the sides (observations, or one a ``Distribution``) and estimate every metric it can."""
    from ..core import knn
    from ..inputs.sides import load_sample_side, load_sample_vectors, load_samples

    if isinstance(p, Distribution) and isinstance(q, Distribution):
        raise UsageError("--samples reads observations, but P and Q are both parametric distributions")
    if q is None and columns:
        raise UsageError("Q is missing", hint="give a second source of the same columns")
    if q is None and isinstance(p, Distribution):
        raise UsageError("Q is missing", hint="give observations to compare with the distribution")
    notes: list[str] = []
    sides: dict[str, tuple[np.ndarray, str]] = {}
    for role, spec in (("P", p), ("Q", q)):
        if isinstance(spec, Distribution):
            continue
        if columns:
            values, name, missing = load_sample_vectors(spec, role, columns, read, open_stdin)
            if missing:
                notes.append(f"{name}: {show_total(missing)} rows with a missing value left out")
            sides[role] = _finite_rows(values, name)[0], name
    if not columns:
        if len(sides) == 0 and not isinstance(p, Distribution) and not isinstance(q, Distribution):
            (pv, p_name), (qv, q_name) = load_samples(p, q, read, open_stdin)
            raw = {"P": (pv, p_name), "Q": (qv, q_name)}
        else:
            role = "Q" if isinstance(p, Distribution) else "P"
            raw = {role: load_sample_side(q if role == "Q" else p, role, read, open_stdin)}
        for role, (values, name) in raw.items():
            x, missing = _finite_rows(values, name)
            if missing:
                notes.append(f"{name}: {show_total(missing)} missing values left out")
            sides[role] = x, name
    model = p if isinstance(p, Distribution) else q if isinstance(q, Distribution) else None
    warnings, spread = _spread_rounded(sides, 0 if resampling.seed is None else resampling.seed, notes)
    if model is not None:
        est, sources = _against_model(knn, model, p, q, sides, k, resampling)
    else:
        (x, p_name), (y, q_name) = sides["P"], sides["Q"]
        est, sources = knn.knn_divergences(x, y, k), (p_name, q_name)
    test = intervals = None
    if resampling.active:
        (x, _), (y, _) = sides["P"], sides["Q"]
        if resampling.permutations:
            test = knn.knn_permutation_test(x, y, k, resampling.permutations, resampling.seed, resample_progress)
        if resampling.bootstrap:
            intervals = knn.knn_bootstrap(
                x, y, k, resampling.bootstrap, resampling.confidence, resampling.seed, resample_progress
            )
        if resampling.seed is None:
            notes.append("resampling without --seed: p-values and intervals vary within their Monte-Carlo error")
    nats = dict(est.metrics)
    if model is not None and model is p:  # the estimator's "data" side is Q here
        nats = _swap(nats)
    report = _report(est, nats, sources, model, p, q, base, notes, test, intervals)
    report.warnings[:0] = warnings
    report.estimator["spread"] = spread
    return report


def _spread_rounded(
    sides: dict[str, tuple[np.ndarray, str]], seed: int, notes: list[str]
) -> tuple[list[str], dict[str, Any] | None]:
    """Spread rounded observations over their rounding intervals (core/dequantize.py), in place in
    ``sides``; the warning that says so (the note is added to ``notes``) and the JSON of what was done."""
    from ..core.dequantize import dequantize

    roles = list(sides)
    done = dequantize([sides[r][0] for r in roles], seed)
    if done.steps is None:
        return [], None
    for role, values in zip(roles, done.samples):
        sides[role] = values, sides[role][1]
    shares = ", ".join(f"{pct(share)} of {role}'s points" for role, share in zip(roles, done.tied_shares))
    steps = ", ".join(number(h, 4) for h in done.steps)
    notes.append(
        f"the observations repeat values ({shares}): each was spread uniformly over its rounding interval (step "
        f"{steps}, the smallest gap between distinct values; seed {seed}) before measuring distances"
    )
    spread = {"steps": list(done.steps), "seed": seed}
    spread |= {f"repeated_share_{role.lower()}": share for role, share in zip(roles, done.tied_shares)}
    return [
        f"{shares} repeat a value (rounded or discrete data): spread over their rounding intervals for the "
        "nearest-neighbour estimate; for data that are really discrete, --estimator binned"
    ], spread


def _swap(m: dict[str, float]) -> dict[str, float]:
    out = dict(m)
    for a, b in (("kl_pq", "kl_qp"), ("entropy_p", "entropy_q")):
        if a in m or b in m:
            out[a], out[b] = m.get(b, math.nan), m.get(a, math.nan)
    return out


def _against_model(
    knn: Any,
    model: Distribution,
    p: Any,
    q: Any,
    sides: dict[str, tuple[np.ndarray, str]],
    k: int,
    resampling: Resampling,
) -> tuple[Any, tuple[str, str]]:
    if resampling.active:
        raise UsageError(
            "--permutations and --bootstrap resample two samples; against a model use --estimator binned for them"
        )
    if model.discrete:
        raise UsageError(
            f"{model.describe()} is discrete: nearest-neighbour estimates are for continuous data",
            hint="use --estimator binned",
        )
    ((x, name),) = sides.values()
    d = 1 if x.ndim == 1 else x.shape[1]
    if d != model.dimension:
        raise InputError(f"dimensions disagree: {name} has {d} column(s), {model.describe()} is {model.dimension}-D")
    size = min(max(MODEL_SAMPLE, len(x)), MAX_MODEL_SAMPLE)
    seed = 0 if resampling.seed is None else resampling.seed
    sample = model.sample(np.random.default_rng(seed), size)
    if d == 1 and sample.ndim > 1:
        sample = sample[:, 0]
    est = knn.knn_against_model(x, model.logpdf, sample, model.entropy(), k)
    model_name = side_label("P" if model is p else "Q", model.describe())
    sources = (model_name, name) if model is p else (name, model_name)
    return est, sources


def _report(
    est: Any,
    nats: dict[str, float],
    sources: tuple[str, str],
    model: Distribution | None,
    p: Any,
    q: Any,
    base: str,
    notes: list[str],
    test: PermutationTest | None,
    intervals: Intervals | None,
) -> EstimateComparison:
    scale = math.log(BASES[base])
    values: dict[str, float] = {}
    for key in ("kl_pq", "kl_qp", "js_divergence", "entropy_p", "entropy_q"):
        values[key] = nats[key] / scale
    values["hellinger"] = nats["hellinger"]
    values["js_distance"] = math.sqrt(max(values["js_divergence"], 0.0))
    values["jeffreys"] = values["kl_pq"] + values["kl_qp"]
    values["cross_entropy_pq"] = values["entropy_p"] + values["kl_pq"]
    values["cross_entropy_qp"] = values["entropy_q"] + values["kl_qp"]
    metrics = {key: values[key] for key in METRICS if key in values}
    methods = {key: Figure(v, "nearest neighbours") for key, v in metrics.items()}
    if model is not None:
        key = "entropy_p" if model is p else "entropy_q"
        methods[key] = Figure(metrics[key], "closed form")
    warnings: list[str] = []
    for side, share in (("P", est.tied_share_p), ("Q", est.tied_share_q)):
        if share >= TIED_WARNING:
            warnings.append(
                f"{side}: {pct(share)} of the points tie with others (rounded or discrete data); the nearest "
                "neighbour at a positive distance was used for them. For data that are really discrete, "
                "--estimator binned"
            )
    estimator = {
        "name": "knn",
        "k": est.k,
        "dimension": est.dimension,
        "n_p": est.m if model is p and model is not None else est.n,
        "n_q": est.n if model is p and model is not None else est.m,
        "model_sample": est.m if model is not None else None,
        "spread": None,
        "tied_share_p": est.tied_share_q if model is p and model is not None else est.tied_share_p,
        "tied_share_q": est.tied_share_p if model is p and model is not None else est.tied_share_q,
    }
    lines = _explain(metrics, base)
    return EstimateComparison(
        p_source=sources[0],
        q_source=sources[1],
        base=base,
        metrics=metrics,
        methods=methods,
        not_estimated=dict(est.not_estimated),
        estimator=estimator,
        p_distribution=p if isinstance(p, Distribution) else None,
        q_distribution=q if isinstance(q, Distribution) else None,
        explanation_lines=lines,
        notes=[est.describe(), *est.notes, *notes],
        warnings=warnings,
        test=test,
        intervals=intervals,
    )


def _explain(metrics: dict[str, float], base: str) -> list[str]:
    kl_pq, kl_qp = metrics["kl_pq"], metrics["kl_qp"]
    unit = UNITS[base]
    lines = []
    if math.isinf(kl_pq):
        lines.append("KL(P||Q) is infinite: some of P's points lie where the model Q has no density.")
    elif abs(kl_pq - kl_qp) > 0.1 * max(abs(kl_pq), abs(kl_qp), 1e-300):
        big, small = ("P||Q", "Q||P") if kl_pq > kl_qp else ("Q||P", "P||Q")
        heavy = big[0]
        lines.append(
            f"KL({big}) = {prose_number(max(kl_pq, kl_qp))} {unit} is larger than KL({small}) = "
            f"{prose_number(min(kl_pq, kl_qp))} {unit}: {heavy} has points where the other's density is low "
            f"(its nearest neighbours in the other sample are far), so {heavy} is likely the wider or has "
            "mass the other barely has."
        )
    else:
        lines.append(
            f"The two directions are close: KL(P||Q) = {number(kl_pq, 4)}, KL(Q||P) = {number(kl_qp, 4)} {unit}."
        )
    lines.append(
        "Nearest-neighbour estimates have a sampling error of their own: --permutations gives the value expected "
        "with no difference at these sample sizes, --bootstrap an interval."
    )
    return lines
