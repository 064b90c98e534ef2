"""The estimator on hand-worked numbers and on synthetic panels with a known injected effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bets import estimator
from bets.estimator import IMPROVED, NO_CLEAR_EFFECT, TOO_EARLY, WORSENED, estimate_effect, t95
from tests.bets.synthetic import panel

RUNS = 400
TRUE_EFFECT = 4.0


def test_hand_worked_difference_in_differences():
    # treatment before 10, 14, 12, 12 (mean 12), after 7, 9, 8, 8 (mean 8): −4
    # comparison before 20, 22, 18, 20 (mean 20), after 19, 21, 20, 20 (mean 20): 0
    # DiD = −4 − 0 = −4; period differences before −10, −8, −6, −8; after −12 each.
    effect = estimate_effect(
        treatment_before=[10, 14, 12, 12],
        comparison_before=[20, 22, 18, 20],
        treatment_after=[7, 9, 8, 8],
        comparison_after=[19, 21, 20, 20],
        higher_is_better=False,
        seed=1,
    )
    assert effect.estimate == -4.0
    assert (effect.treatment_before, effect.treatment_after) == (12.0, 8.0)
    assert (effect.comparison_before, effect.comparison_after) == (20.0, 20.0)
    assert (effect.periods_before, effect.periods_after) == (4, 4)
    # After is constant, so every bootstrap draw is −12 − (a mean of 4 draws from −10, −8, −6, −8),
    # i.e. within [−12 + 6, −12 + 10] = [−6, −2] before widening.
    low_p, high_p = estimator.bootstrap_interval(
        np.array([-10.0, -8, -6, -8]), np.array([-12.0] * 4), seed=1, widen=False
    )
    assert -6 <= low_p <= high_p <= -2
    factor = 1.943 / 1.6448536269514722 * math.sqrt(4 / 3)  # t(0.95, 6) / z(0.95) × √(n/(n−1))
    assert effect.low == pytest.approx(-4 - (-4 - low_p) * factor)
    assert effect.high == pytest.approx(-4 + (high_p + 4) * factor)
    assert effect.high < 0
    assert effect.verdict == IMPROVED  # lower is better and the whole interval is below 0


def test_periods_missing_on_one_side_are_left_out_of_both():
    effect = estimate_effect(
        treatment_before=[10, None, 12],
        comparison_before=[20, 30, 22],
        treatment_after=[16, 18, 20, 22],
        comparison_after=[21, 23, float("nan"), 25],
        higher_is_better=True,
    )
    # before: (10, 20), (12, 22) → T 11, C 21; after: (16, 21), (18, 23), (22, 25) → T 56/3, C 23
    assert effect.estimate == pytest.approx((56 / 3 - 11) - (23 - 21))
    assert (effect.periods_before, effect.periods_after) == (2, 3)


def test_verdict_follows_the_kpis_better_side():
    assert estimator.verdict_for(1.0, 3.0, higher_is_better=True) == IMPROVED
    assert estimator.verdict_for(1.0, 3.0, higher_is_better=False) == WORSENED
    assert estimator.verdict_for(-3.0, -1.0, higher_is_better=False) == IMPROVED
    assert estimator.verdict_for(-3.0, 1.0, higher_is_better=False) == NO_CLEAR_EFFECT


def test_too_early_below_four_ended_periods_whatever_the_numbers():
    effect = estimate_effect(
        treatment_before=[1, 1, 1],
        comparison_before=[5, 5, 6],
        treatment_after=[9, 9, 9],
        comparison_after=[5, 5, 6],
        higher_is_better=True,
    )
    assert effect.estimate == pytest.approx(8.0)
    assert effect.verdict == TOO_EARLY


def test_same_data_same_interval():
    rng = np.random.default_rng(3)
    tb, cb, ta, ca = panel(rng, effect=2.0)
    one = estimate_effect(
        treatment_before=tb,
        comparison_before=cb,
        treatment_after=ta,
        comparison_after=ca,
        higher_is_better=True,
        seed=99,
    )
    two = estimate_effect(
        treatment_before=tb,
        comparison_before=cb,
        treatment_after=ta,
        comparison_after=ca,
        higher_is_better=True,
        seed=99,
    )
    assert one == two


def test_t_quantiles():
    assert t95(7) == 1.895
    assert t95(40) == pytest.approx(1.684, abs=0.001)
    assert t95(120) == pytest.approx(1.658, abs=0.001)


def _rates(*, widen: bool) -> tuple[float, float]:
    covered = null_ok = 0
    for run in range(RUNS):
        rng = np.random.default_rng(run)
        tb, cb, ta, ca = panel(rng, effect=TRUE_EFFECT)
        e = estimate_effect(
            treatment_before=tb,
            comparison_before=cb,
            treatment_after=ta,
            comparison_after=ca,
            higher_is_better=True,
            seed=run,
            widen=widen,
        )
        covered += e.low <= TRUE_EFFECT <= e.high
        tb, cb, ta, ca = panel(rng, effect=0.0)
        e = estimate_effect(
            treatment_before=tb,
            comparison_before=cb,
            treatment_after=ta,
            comparison_after=ca,
            higher_is_better=True,
            seed=run,
            widen=widen,
        )
        null_ok += e.verdict == NO_CLEAR_EFFECT
    return covered / RUNS, null_ok / RUNS


def test_calibration_on_synthetic_panels_with_a_known_effect():
    """8 periods each side, 3 treatment and 10 comparison squads, shocks shared by every squad.
    Measured (400 runs): coverage 0.882, no-effect verdict 0.905 (plain percentile: 0.843 / 0.855)."""
    coverage, null_ok = _rates(widen=True)
    print(f"coverage of the true effect {coverage:.3f}; 'no clear effect' with no effect {null_ok:.3f}")
    assert coverage >= 0.80
    assert null_ok >= 0.85
    plain_coverage, _ = _rates(widen=False)
    assert plain_coverage < coverage  # the widening is what brings the interval near its 90 %


def test_a_real_effect_is_found():
    found = 0
    for run in range(100):
        tb, cb, ta, ca = panel(np.random.default_rng(1000 + run), effect=10.0)
        e = estimate_effect(
            treatment_before=tb,
            comparison_before=cb,
            treatment_after=ta,
            comparison_after=ca,
            higher_is_better=False,
            seed=run,
        )
        found += e.verdict == WORSENED
    assert found >= 90  # 10 points on noise of ±5 per squad: nearly always
