"""Synthetic panels with a known injected effect, for calibrating the estimator."""

from __future__ import annotations

import numpy as np


def panel(
    rng: np.random.Generator,
    *,
    effect: float,
    treated: int = 3,
    compared: int = 10,
    window: int = 8,
    noise: float = 5.0,
    shock: float = 3.0,
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Per-period means of treatment and comparison squads, before and after a start.

    Each squad has its own level; every period has a shock shared by all squads (what the
    comparison is there to cancel); each squad-period adds independent noise; the treatment
    squads gain `effect` after the start. Returns (T_before, C_before, T_after, C_after)."""
    periods = 2 * window
    levels = rng.normal(50.0, 10.0, size=treated + compared)
    shocks = rng.normal(0.0, shock, size=periods)
    values = levels[:, None] + shocks[None, :] + rng.normal(0.0, noise, size=(treated + compared, periods))
    values[:treated, window:] += effect
    t = values[:treated].mean(axis=0)
    c = values[treated:].mean(axis=0)
    return list(t[:window]), list(c[:window]), list(t[window:]), list(c[window:])
