"""The effect of a bet: difference in differences over periods, with a seeded bootstrap interval.

Pure numpy, no Django: values in, an `Effect` out, so it is tested on synthetic data with a
known injected effect and on hand-worked numbers.

Input is one value per period for each side: the treatment squads' mean and the comparison
squads' mean of a KPI, for the window before the start and the window after it (the period
holding the start belongs to neither). Only periods where both sides have a value count, so the
estimate is exactly

    DiD = (T_after − T_before) − (C_after − C_before)
        = mean(d_after) − mean(d_before),   d = T − C per period.

The interval: a bootstrap over periods of the period-level differences d (resampled with
replacement within each window, B seeded draws), read as a percentile interval and then widened
about the estimate for small samples. A plain percentile bootstrap of a mean under-covers with
8 + 8 periods (it behaves like a normal interval built on the biased plug-in variance, ≈ 85 %
instead of 90 %); the widening multiplies each side's distance from the estimate by
`t(0.95, n_b + n_a − 2) / z(0.95) × sqrt(n / (n − 1))`, n = the smaller window — the Student-t
quantile and the unbiased-variance correction a two-sample t interval would use. Measured
calibration is in docs/bets.md and tests/bets/test_estimator.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

IMPROVED = "improved"
WORSENED = "worsened"
NO_CLEAR_EFFECT = "no clear effect"
TOO_EARLY = "too early"
VERDICTS = (IMPROVED, WORSENED, NO_CLEAR_EFFECT, TOO_EARLY)

LEVEL = 0.90
MIN_PERIODS_AFTER = 4  # fewer ended periods after the start: too early to say
BOOTSTRAP_DRAWS = 2000
DEFAULT_SEED = 20260

# One-sided 95 % quantiles of Student's t (the 90 % two-sided interval), df 1..30.
_T95 = (
    6.314,
    2.920,
    2.353,
    2.132,
    2.015,
    1.943,
    1.895,
    1.860,
    1.833,
    1.812,
    1.796,
    1.782,
    1.771,
    1.761,
    1.753,
    1.746,
    1.740,
    1.734,
    1.729,
    1.725,
    1.721,
    1.717,
    1.714,
    1.711,
    1.708,
    1.706,
    1.703,
    1.701,
    1.699,
    1.697,
)
_Z95 = NormalDist().inv_cdf(0.95)


def t95(df: int) -> float:
    """Student's t quantile at 0.95 (exact table to df 30, Cornish–Fisher expansion beyond)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if df <= len(_T95):
        return _T95[df - 1]
    z = _Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Effect:
    estimate: float | None
    low: float | None
    high: float | None
    verdict: str
    periods_before: int
    periods_after: int
    treatment_before: float | None = None
    treatment_after: float | None = None
    comparison_before: float | None = None
    comparison_after: float | None = None

    @property
    def interval(self) -> list[float | None]:
        return [self.low, self.high]


def _paired(treatment: Sequence[float | None], comparison: Sequence[float | None]) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray([np.nan if v is None else v for v in treatment], dtype=float)
    c = np.asarray([np.nan if v is None else v for v in comparison], dtype=float)
    if t.shape != c.shape:
        raise ValueError("treatment and comparison need one value per period each")
    keep = ~(np.isnan(t) | np.isnan(c))
    return t[keep], c[keep]


def verdict_for(low: float | None, high: float | None, *, higher_is_better: bool) -> str:
    """improved / worsened when the whole interval lies on one side of 0, else no clear effect."""
    if low is None or high is None:
        return NO_CLEAR_EFFECT
    if low > 0:
        return IMPROVED if higher_is_better else WORSENED
    if high < 0:
        return WORSENED if higher_is_better else IMPROVED
    return NO_CLEAR_EFFECT


def bootstrap_interval(
    d_before: np.ndarray, d_after: np.ndarray, *, seed: int, draws: int = BOOTSTRAP_DRAWS, widen: bool = True
) -> tuple[float, float]:
    """90 % interval of mean(d_after) − mean(d_before) from a seeded bootstrap over periods.
    `widen=False` gives the plain percentile interval (kept to measure why we widen)."""
    rng = np.random.default_rng(seed)
    nb, na = len(d_before), len(d_after)
    before = d_before[rng.integers(0, nb, size=(draws, nb))].mean(axis=1)
    after = d_after[rng.integers(0, na, size=(draws, na))].mean(axis=1)
    diffs = after - before
    alpha = (1 - LEVEL) / 2
    q_low, q_high = np.quantile(diffs, [alpha, 1 - alpha])
    if not widen:
        return float(q_low), float(q_high)
    estimate = float(d_after.mean() - d_before.mean())
    n = min(nb, na)
    factor = t95(nb + na - 2) / _Z95 * math.sqrt(n / (n - 1))
    return estimate - (estimate - float(q_low)) * factor, estimate + (float(q_high) - estimate) * factor


def estimate_effect(
    *,
    treatment_before: Sequence[float | None],
    comparison_before: Sequence[float | None],
    treatment_after: Sequence[float | None],
    comparison_after: Sequence[float | None],
    higher_is_better: bool,
    seed: int = DEFAULT_SEED,
    ended_after: int | None = None,
    widen: bool = True,
) -> Effect:
    """The DiD estimate, its 90 % interval and the verdict.

    Each sequence holds one value per period (None/NaN where the side has no value). `ended_after`
    is how many periods have ended after the start (defaults to the length of the after window);
    below MIN_PERIODS_AFTER the verdict is `too early`, whatever the numbers say."""
    tb, cb = _paired(treatment_before, comparison_before)
    ta, ca = _paired(treatment_after, comparison_after)
    nb, na = len(tb), len(ta)
    ended = len(treatment_after) if ended_after is None else ended_after
    means = {}
    if nb and na:
        means = {
            "treatment_before": float(tb.mean()),
            "treatment_after": float(ta.mean()),
            "comparison_before": float(cb.mean()),
            "comparison_after": float(ca.mean()),
        }
    if not (nb and na):
        verdict = TOO_EARLY if ended < MIN_PERIODS_AFTER else NO_CLEAR_EFFECT
        return Effect(None, None, None, verdict, nb, na, **means)
    estimate = (means["treatment_after"] - means["treatment_before"]) - (
        means["comparison_after"] - means["comparison_before"]
    )
    low = high = None
    if nb >= 2 and na >= 2:
        low, high = bootstrap_interval(tb - cb, ta - ca, seed=seed, widen=widen)
    verdict = TOO_EARLY if ended < MIN_PERIODS_AFTER else verdict_for(low, high, higher_is_better=higher_is_better)
    return Effect(estimate, low, high, verdict, nb, na, **means)
