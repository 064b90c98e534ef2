"""The KPI formulas of docs/kpis.md, one function per catalog code (`FORMULAS[code]`).

Each formula takes a `GrainContext` (the loaded records, the scopes, the grain and
the periods being computed) and returns `(value, sample_size)`: two Series
aligned on the context's grid, one row per (scope, period) — `value` NaN where
docs/kpis.md says null. Work is vectorised: sums are grouped per squad and period
once and then added up to areas and the org; medians and the union of outage
intervals are grouped over the records of each scope level.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics.kpis.frames import Frames, Scopes
from metrics.kpis.periods import US_PER_DAY, ordinal_end_days, ordinal_of_days, ordinal_of_us, ordinal_start_days

US_PER_HOUR = 3_600 * 1_000_000

Result = tuple[pd.Series, pd.Series]


@dataclass
class GrainContext:
    """What the formulas of one grain see; caches the shared groupings."""

    frames: Frames
    scopes: Scopes
    grain: str
    first: int  # first period ordinal of the grid
    last: int  # last period ordinal of the grid (inclusive)
    now_us: int
    _cache: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        """Periods in the grid."""
        return self.last - self.first + 1

    @property
    def grid(self) -> pd.RangeIndex:
        """Positions of the grid rows: scope-major, `scope * width + (p - first)`."""
        return pd.RangeIndex(len(self.scopes.names) * self.width)

    @property
    def grid_scope(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.scopes.names)), self.width)

    @property
    def grid_p(self) -> np.ndarray:
        return np.tile(np.arange(self.first, self.last + 1), len(self.scopes.names))

    def period_days(self) -> pd.Series:
        """Days in each grid row's period."""
        p = self.grid_p
        return pd.Series(ordinal_end_days(self.grain, p) - ordinal_start_days(self.grain, p), index=self.grid)

    def sums(self, kind: str, time_col: str, columns: tuple[str, ...]) -> pd.DataFrame:
        """Σ of `columns` (plus `n`, the row count) per grid row, records placed by `time_col`."""
        key = ("sums", kind, time_col, columns)
        if key not in self._cache:
            self._cache[key] = self._sums(getattr(self.frames, kind), time_col, columns, rows=kind)
        return self._cache[key]

    def sums_of(
        self, frame: pd.DataFrame, name: str, time_col: str, columns: tuple[str, ...], *, rows: str | None = None
    ) -> pd.DataFrame:
        """Like `sums`, over a derived frame cached under `name`; `rows`: the kind whose rows (in
        order) it has, so their placement in periods is shared."""
        key = ("sums_of", name, time_col, columns)
        if key not in self._cache:
            self._cache[key] = self._sums(frame, time_col, columns, rows=rows)
        return self._cache[key]

    def _periods_of(self, frame: pd.DataFrame, time_col: str, rows: str | None) -> tuple[np.ndarray, np.ndarray]:
        """(has a time, period ordinal) of every row; shared by the formulas of this grain when the
        rows are a named kind, and the day numbers shared by every grain of the same load."""
        key = ("periods", rows, time_col)
        if rows is not None and key in self._cache:
            return self._cache[key]
        day_key = ("days", rows, time_col)
        if rows is not None and day_key in self.frames.cache:
            has, days = self.frames.cache[day_key]
        else:
            times = frame[time_col].to_numpy()
            has = ~np.isnan(times) if times.dtype.kind == "f" else np.ones(len(times), dtype=bool)
            days = np.zeros(len(times), dtype=np.int64)
            days[has] = np.floor_divide(times[has].astype(np.int64), US_PER_DAY)
            if rows is not None:
                self.frames.cache[day_key] = (has, days)
        placed = (has, ordinal_of_days(self.grain, days))
        if rows is not None:
            self._cache[key] = placed
        return placed

    def _placed(
        self, frame: pd.DataFrame, time_col: str, extra: np.ndarray | None = None, rows: str | None = None
    ) -> tuple:
        """Rows of `frame` whose `time_col` falls in the grid: (mask, period index, squad slot).

        The slot is the squad id, or `S` (one past the last id) for a record without a squad.
        """
        key = ("placed", rows, time_col)
        if extra is None and rows is not None and key in self._cache:
            return self._cache[key]
        has, p = self._periods_of(frame, time_col, rows)
        ok = has & (p >= self.first) & (p <= self.last)
        if extra is not None:
            ok &= extra
        ids = frame["squad_id"].to_numpy()[ok]
        size = len(self.scopes.squad_scope)
        slot = np.where((ids >= 0) & (ids < size), ids, size)
        placed = (ok, p[ok] - self.first, slot)
        if extra is None and rows is not None:
            self._cache[key] = placed
        return placed

    def _to_scopes(self, per_slot: np.ndarray) -> np.ndarray:
        """(squad slots + 1) × periods → scopes × periods: org = all, area = its squads, squad = itself."""
        out = np.zeros((len(self.scopes.names), per_slot.shape[1]))
        out[0] = per_slot.sum(axis=0)
        squad_scope, known = self.scopes.squad_scope, self.scopes.squad_scope >= 0
        out[squad_scope[known]] = per_slot[:-1][known]
        np.add.at(out, self.scopes.area_scope[known], per_slot[:-1][known])
        return out

    def _sums(self, frame: pd.DataFrame, time_col: str, columns: tuple[str, ...], rows: str | None) -> pd.DataFrame:
        # Sums of integers in float64 are exact (and so independent of order) below 2**53.
        ok, period, slot = self._placed(frame, time_col, rows=rows)
        width = self.last - self.first + 1
        key = slot * width + period
        size = (len(self.scopes.squad_scope) + 1) * width
        out = {}
        for column in ("n", *columns):
            weights = None if column == "n" else frame[column].to_numpy()[ok].astype(float)
            per_slot = np.bincount(key, weights=weights, minlength=size).reshape(-1, width)
            out[column] = self._to_scopes(per_slot).ravel()
        return pd.DataFrame(out, index=self.grid)

    def median(self, frame: pd.DataFrame, time_col: str, value: pd.Series, *, rows: str, name: str) -> Result:
        """Median of `value` per grid row (the mean of the middle two for an even count);
        sample_size = how many values. `rows`: the kind of `frame`; `name`: what `value` is — the
        values' order is shared by every grain of the same load."""
        values = value.to_numpy(dtype=float)
        ok, period, slot = self._placed(frame, time_col, extra=~np.isnan(values), rows=rows)
        order_key = ("value order", rows, name)
        if order_key not in self.frames.cache:
            self.frames.cache[order_key] = np.argsort(values, kind="stable")  # NaN last
        by_value = self.frames.cache[order_key]
        # the placed rows in ascending value order, as positions among the placed rows
        position = np.full(len(values), -1, dtype=np.int64)
        position[ok] = np.arange(int(ok.sum()))
        ranked = position[by_value]
        ranked = ranked[ranked >= 0]
        ascending, period, slot = values[ok][ranked], period[ranked], slot[ranked]
        width = self.last - self.first + 1
        squad_scope = np.append(self.scopes.squad_scope, -1)[slot]
        area_scope = np.append(self.scopes.area_scope, -1)[slot]
        in_area, in_squad = area_scope >= 0, squad_scope >= 0
        keys = np.concatenate(
            [period, area_scope[in_area] * width + period[in_area], squad_scope[in_squad] * width + period[in_squad]]
        )
        cells = len(self.scopes.names) * width
        # a stable sort by grid row keeps each row's values ascending; a radix sort when keys fit 16 bits
        sortable = keys.astype(np.uint16) if cells <= 1 << 16 else keys
        ordered = np.concatenate([ascending, ascending[in_area], ascending[in_squad]])[
            np.argsort(sortable, kind="stable")
        ]
        counts = np.bincount(keys, minlength=cells)
        starts = np.cumsum(counts) - counts
        has = counts > 0
        median = np.full(len(counts), np.nan)
        median[has] = (ordered[starts[has] + (counts[has] - 1) // 2] + ordered[starts[has] + counts[has] // 2]) / 2
        return pd.Series(median, index=self.grid), pd.Series(counts.astype(np.int64), index=self.grid)


def _rate(numerator: pd.Series, denominator: pd.Series, scale: float = 100.0) -> pd.Series:
    """scale × numerator / denominator; NaN (null) where the denominator is 0."""
    den = denominator.astype(float)
    return (scale * numerator.astype(float) / den.where(den != 0)).astype(float)


def _count(ctx: GrainContext, kind: str, time_col: str, column: str | None = None) -> Result:
    sums = ctx.sums(kind, time_col, (column,) if column else ())
    count = sums[column] if column else sums["n"]
    return count.astype(float), count.astype(np.int64)


# --- quality --------------------------------------------------------------------------------


def defects_found(ctx: GrainContext) -> Result:
    return _count(ctx, "defects", "found")


def escaped_defects(ctx: GrainContext) -> Result:
    return _count(ctx, "defects", "found", "production")


def escaped_defect_rate(ctx: GrainContext) -> Result:
    s = ctx.sums("defects", "found", ("production",))
    return _rate(s["production"], s["n"]), s["n"]


def customer_found_defects(ctx: GrainContext) -> Result:
    return _count(ctx, "defects", "found", "customer")


# --- stability ------------------------------------------------------------------------------


def incidents(ctx: GrainContext) -> Result:
    return _count(ctx, "incidents", "started")


def major_incidents(ctx: GrainContext) -> Result:
    return _count(ctx, "incidents", "started", "major")


def _with_restore_time(ctx: GrainContext) -> pd.DataFrame:
    key = "incidents_restore"
    if key not in ctx._cache:
        frame = ctx.frames.incidents
        ctx._cache[key] = frame.assign(restore_us=(frame["resolved"] - frame["started"]).fillna(0))
    return ctx._cache[key]


def mttr_hours(ctx: GrainContext) -> Result:
    s = ctx.sums_of(_with_restore_time(ctx), "incidents_restore", "resolved", ("restore_us",), rows="incidents")
    return _rate(s["restore_us"], s["n"], scale=1.0) / US_PER_HOUR, s["n"]


def recovery_hours(ctx: GrainContext) -> Result:
    frame = ctx.frames.incidents
    hours = (frame["resolved"] - frame["release_released"]) / US_PER_HOUR
    # A release after the incident began cannot have caused it (refused on write since issue 15);
    # such a row stored earlier is left out rather than counted as a negative recovery.
    valid = hours.where(frame["release_released"] <= frame["started"])
    return ctx.median(frame, "resolved", valid, rows="incidents", name="recovery_hours")


def uptime_pct(ctx: GrainContext) -> Result:
    """100 × (1 − D / L) with D the union of customer-impacting outages, clipped to each period."""
    frame = ctx.frames.incidents
    frame = frame[frame["impact"] == 1]
    start = frame["started"].to_numpy().astype(np.int64)
    end = frame["resolved"].fillna(float(ctx.now_us)).to_numpy().astype(np.int64)  # open: runs to now
    end = np.maximum(end, start)
    # the periods each interval touches: from its start's to the one holding its last instant
    p0 = np.maximum(ordinal_of_us(ctx.grain, start), ctx.first)
    p1 = np.minimum(ordinal_of_us(ctx.grain, np.maximum(end - 1, start)), ctx.last)
    reps = np.maximum(p1 - p0 + 1, 0)
    row = np.repeat(np.arange(len(start)), reps)
    offsets = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    p = p0[row] + offsets
    s, e = start[row], end[row]
    period_start = ordinal_start_days(ctx.grain, p) * US_PER_DAY
    period_end = np.minimum(ordinal_end_days(ctx.grain, p) * US_PER_DAY, ctx.now_us)
    clip_start, clip_end = np.maximum(s, period_start), np.minimum(e, period_end)
    # an incident overlaps a period when its clipped interval is not empty; a zero-length one
    # (resolved at its start) when its instant lies in the period
    overlaps = (clip_start < clip_end) | ((s == e) & (s >= period_start) & (s < period_end))
    ids = frame["squad_id"].to_numpy()[row][overlaps]
    p, cs = p[overlaps], clip_start[overlaps]
    ce = np.maximum(clip_end, clip_start)[overlaps]
    # every piece once for the org, once for its area and once for its squad (when known)
    size = len(ctx.scopes.squad_scope)
    slot = np.where((ids >= 0) & (ids < size), ids, size)
    area, squad = np.append(ctx.scopes.area_scope, -1)[slot], np.append(ctx.scopes.squad_scope, -1)[slot]
    in_area, in_squad = area >= 0, squad >= 0
    scope = np.concatenate([np.zeros(len(slot), dtype=np.int64), area[in_area], squad[in_squad]])
    p, cs, ce = (np.concatenate([a, a[in_area], a[in_squad]]) for a in (p, cs, ce))
    cells = len(ctx.scopes.names) * ctx.width
    down = np.zeros(cells)
    n = np.bincount(scope * ctx.width + (p - ctx.first), minlength=cells)
    if len(p):
        down = np.bincount(
            scope * ctx.width + (p - ctx.first), weights=_covered(ctx, scope, p, cs, ce), minlength=cells
        )
    grouped = pd.DataFrame({"down": down, "n": n}, index=ctx.grid)
    p_grid = ctx.grid_p
    g_start = ordinal_start_days(ctx.grain, p_grid) * US_PER_DAY
    g_end = np.minimum(ordinal_end_days(ctx.grain, p_grid) * US_PER_DAY, ctx.now_us)
    length = pd.Series((g_end - g_start).astype(float), index=ctx.grid)
    value = 100.0 * (1.0 - grouped["down"].astype(float) / length.where(length > 0))
    return value, grouped["n"].astype(np.int64)


def _covered(ctx: GrainContext, scope: np.ndarray, p: np.ndarray, cs: np.ndarray, ce: np.ndarray) -> np.ndarray:
    """What each interval [cs, ce) adds to the union of its (scope, period) group: what it covers
    beyond the furthest end of the intervals starting before it — exact integer µs."""
    group = scope * ctx.width + (p - ctx.first)
    order = np.lexsort((cs, group))
    group, p, cs, ce = group[order], p[order], cs[order], ce[order]
    origin = ordinal_start_days(ctx.grain, p) * US_PER_DAY
    # a running maximum per group in one pass: ends relative to their period start (< 2**43 µs,
    # a quarter is 7.9e12) lifted by group << 43, so every group's values exceed the previous ones'
    reach = np.empty(len(ce), dtype=np.int64)
    for lo in range(0, int(group[-1]) + 1, 1 << 20):  # 2**20 groups per pass stay inside int64
        part = (group >= lo) & (group < lo + (1 << 20))
        lift = (group[part] - lo) << 43
        reach[part] = np.maximum.accumulate(lift + (ce[part] - origin[part])) - lift + origin[part]
    previous = np.empty_like(reach)
    previous[0], previous[1:] = np.iinfo(np.int64).min, reach[:-1]
    previous[np.flatnonzero(group[1:] != group[:-1]) + 1] = np.iinfo(np.int64).min
    covered = np.empty(len(ce))
    covered[order] = np.maximum(ce - np.maximum(cs, previous), 0)
    return covered


def change_failure_rate(ctx: GrainContext) -> Result:
    s = ctx.sums("releases", "released", ("failed",))
    return _rate(s["failed"], s["n"]), s["n"]


# --- velocity -------------------------------------------------------------------------------


def releases(ctx: GrainContext) -> Result:
    return _count(ctx, "releases", "released")


def deploys_per_week(ctx: GrainContext) -> Result:
    s = ctx.sums("releases", "released", ())
    return s["n"] / (ctx.period_days() / 7.0), s["n"]


def lead_time_hours(ctx: GrainContext) -> Result:
    frame = ctx.frames.releases
    hours = (frame["released"] - frame["first_commit"]) / US_PER_HOUR
    return ctx.median(frame, "released", hours, rows="releases", name="lead_time_hours")


def headcount_weighted(allocations: pd.DataFrame, column: str) -> pd.Series:
    """headcount × `column` (a share in hundredths of a %) per time-allocation response: the
    weighting of the time-allocation KPIs, also used by the time-use page."""
    return allocations["headcount"] * allocations[column]


def headcount_share(weighted_sum: pd.Series, headcount_sum: pd.Series) -> pd.Series:
    """Σ headcount × share / Σ headcount, in % (shares in hundredths of a %); NaN without headcount."""
    return _rate(weighted_sum, headcount_sum, scale=0.01)


def change_lead_time_hours(ctx: GrainContext) -> Result:
    frame = ctx.frames.changes
    hours = (frame["released"] - frame["first_commit"]) / US_PER_HOUR
    return ctx.median(frame, "released", hours, rows="changes", name="change_lead_time_hours")


def _allocation_share(ctx: GrainContext, column: str) -> Result:
    frame = ctx.frames.allocations
    data = frame.assign(weighted=headcount_weighted(frame, column))
    s = ctx.sums_of(data, f"allocations_{column}", "month", ("weighted", "headcount"), rows="allocations")
    return headcount_share(s["weighted"], s["headcount"]), s["n"]


def feature_time_pct(ctx: GrainContext) -> Result:
    return _allocation_share(ctx, "features_c")


# --- support --------------------------------------------------------------------------------


def support_cost(ctx: GrainContext) -> Result:
    """Σ headcount × cost per head × pct_support / 100; 0 (a sum over nothing) where no allocations."""
    frame = ctx.frames.allocations
    data = frame.assign(cost=frame["headcount"] * frame["cost_cents"] * frame["support_c"])
    s = ctx.sums_of(data, "allocations_cost", "month", ("cost",), rows="allocations")
    return s["cost"].astype(float) / 1_000_000, s["n"]  # cents × hundredths of a % → currency


def support_time_pct(ctx: GrainContext) -> Result:
    return _allocation_share(ctx, "support_c")


# --- customer -------------------------------------------------------------------------------


def _scored(ctx: GrainContext) -> pd.DataFrame:
    key = "responses_scored"
    if key not in ctx._cache:
        r = ctx.frames.responses
        ctx._cache[key] = r.assign(
            nps_answered=r["nps"].notna().astype(np.int64),
            promoters=(r["nps"] >= 9).astype(np.int64),
            detractors=(r["nps"] <= 6).astype(np.int64),  # NaN compares False
            csat_answered=r["csat"].notna().astype(np.int64),
            csat_good=(r["csat"] >= 4).astype(np.int64),
            outcome_answered=r["outcome"].notna().astype(np.int64),
            outcome_good=(r["outcome"] >= 4).astype(np.int64),
        )
    return ctx._cache[key]


_SCORE_COLUMNS = (
    "nps_answered",
    "promoters",
    "detractors",
    "csat_answered",
    "csat_good",
    "outcome_answered",
    "outcome_good",
)


def _score_sums(ctx: GrainContext) -> pd.DataFrame:
    return ctx.sums_of(_scored(ctx), "responses_scored", "submitted", _SCORE_COLUMNS, rows="responses")


def nps(ctx: GrainContext) -> Result:
    s = _score_sums(ctx)
    return _rate(s["promoters"] - s["detractors"], s["nps_answered"]), s["nps_answered"]


def csat_pct(ctx: GrainContext) -> Result:
    s = _score_sums(ctx)
    return _rate(s["csat_good"], s["csat_answered"]), s["csat_answered"]


def promise_kept_pct(ctx: GrainContext) -> Result:
    s = _score_sums(ctx)
    return _rate(s["outcome_good"], s["outcome_answered"]), s["outcome_answered"]


def survey_responses(ctx: GrainContext) -> Result:
    return _count(ctx, "responses", "submitted")


FORMULAS: dict[str, Callable[[GrainContext], Result]] = {
    "defects_found": defects_found,
    "escaped_defects": escaped_defects,
    "escaped_defect_rate": escaped_defect_rate,
    "customer_found_defects": customer_found_defects,
    "incidents": incidents,
    "major_incidents": major_incidents,
    "mttr_hours": mttr_hours,
    "recovery_hours": recovery_hours,
    "uptime_pct": uptime_pct,
    "change_failure_rate": change_failure_rate,
    "releases": releases,
    "deploys_per_week": deploys_per_week,
    "lead_time_hours": lead_time_hours,
    "change_lead_time_hours": change_lead_time_hours,
    "support_cost": support_cost,
    "support_time_pct": support_time_pct,
    "feature_time_pct": feature_time_pct,
    "nps": nps,
    "csat_pct": csat_pct,
    "promise_kept_pct": promise_kept_pct,
    "survey_responses": survey_responses,
}
