"""A believable demo org: areas, squads and years of every record kind.

`generate_org` is what `manage.py seed_demo` runs, and what `bench/` uses to
build large data sets. Everything is drawn from one `random.Random(seed)`, so a
seed always gives the same org (as long as `end` is in the past; records that
would lie after "now" are left out or stay open).

Patterns the dashboards should show: each squad has a trend — about a quarter
improve (fewer defects and incidents, faster lead time, less support time, more
releases), about a sixth regress, the rest stay flat; releases and defects
follow the working week and slow down over the year-end holidays; a few
severity-1 customer-impacting outages, some caused by a named release; rolled-
back releases that often cause an incident; a few incidents still open near the
end; customer top-problem themes whose mix drifts over time.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from metrics.demo import vocab
from metrics.records.models import PCT_FIELDS, CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from squads.models import Area, Squad

#: Roughly how many records one squad produces per year at scale 1.0: ~185
#: releases, ~100 defects, ~18 incidents, ~40 customer responses and ~48 time
#: allocations. Every count scales linearly with `scale`, so 50 squads over
#: 3 years give ~58,000 records per scale unit (scale=17 ≈ 1,000,000).
RECORDS_PER_SQUAD_YEAR = 390

CUSTOMER_SURVEY = ("customer-pulse", "Customer pulse (in-app)")
TIME_SURVEY = ("time-allocation", "Monthly time allocation")

_WEEKDAY_RELEASES = (1.0, 1.05, 1.05, 0.95, 0.6, 0.06, 0.04)  # Monday..Sunday
_WEEKDAY_DEFECTS = (1.1, 1.1, 1.0, 1.0, 0.8, 0.15, 0.1)
_WEEKDAY_INCIDENTS = (1.1, 1.1, 1.1, 1.0, 1.0, 0.6, 0.5)
_WEEKDAY_RESPONSES = (1.1, 1.2, 1.2, 1.1, 1.0, 0.35, 0.3)
_SEVERITY_INCIDENT = (1, 13, 47, 39)
_SEVERITY_DEFECT = (3, 15, 50, 32)
_SEVERITY_CUSTOMER_DEFECT = (6, 24, 45, 25)
_CUSTOMER_IMPACT_BY_SEVERITY = {1: 1.0, 2: 0.5, 3: 0.06, 4: 0.0}
# Customer-facing incidents are mitigated fast (uptime ~99%); the others linger longer.
_INCIDENT_MEDIAN_HOURS = {1: 4.0, 2: 5.0, 3: 6.0, 4: 14.0}
_IMPACT_MEDIAN_HOURS = {1: 2.0, 2: 1.0, 3: 0.6, 4: 0.5}
_DEFECT_MEDIAN_DAYS = {1: 0.3, 2: 2.0, 3: 7.0, 4: 20.0}


@dataclass
class _Profile:
    """How one squad behaves over the span."""

    squad: Squad
    area_slug: str
    trend: str  # "improving", "regressing" or "flat"
    cadence: float  # releases per working day at the start
    defect_rate: float  # defects per working day at the start (before the trend)
    lead_hours: float  # median hours from first commit to release at the start
    support_pct: float  # share of time on support at the start
    size: int  # people in the squad

    def badness(self, t: float) -> float:
        """Multiplier on defects, incidents, rollbacks and support time at t ∈ [0, 1]."""
        if self.trend == "improving":
            return 1.6 - 1.1 * t
        if self.trend == "regressing":
            return 0.6 + 1.1 * t
        return 1.0 + 0.08 * math.sin(2 * math.pi * t)

    def speed(self, t: float) -> float:
        """Multiplier on release cadence at t ∈ [0, 1]."""
        if self.trend == "improving":
            return 0.8 + 0.5 * t
        if self.trend == "regressing":
            return 1.1 - 0.3 * t
        return 1.0


class _Writer:
    """Buffers unsaved rows per model and writes them with `bulk_create` in batches."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.buffers: dict[type[models.Model], list[models.Model]] = {}
        self.counts: Counter[type[models.Model]] = Counter()

    def add(self, obj: models.Model) -> None:
        buffer = self.buffers.setdefault(type(obj), [])
        buffer.append(obj)
        if len(buffer) >= self.batch_size:
            self.flush(type(obj))

    def flush(self, model: type[models.Model] | None = None) -> None:
        for each in [model] if model else list(self.buffers):
            rows = self.buffers.get(each) or []
            if not rows:
                continue
            each.objects.bulk_create(rows, batch_size=self.batch_size)
            if rows[0].pk is None:  # backend cannot return ids from a bulk insert
                ids = dict(
                    each.objects.filter(external_id__in=[r.external_id for r in rows]).values_list("external_id", "id")
                )
                for row in rows:
                    row.pk = ids[row.external_id]
            self.counts[each] += len(rows)
            self.buffers[each] = []


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _severity(rng: random.Random, weights: Sequence[int]) -> int:
    return rng.choices((1, 2, 3, 4), weights=weights)[0]


def _holiday(day: date) -> float:
    """Year-end change freeze: far fewer releases from Dec 20 to Jan 2."""
    return 0.25 if (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day <= 2) else 1.0


def _work_time(rng: random.Random, day: date) -> datetime:
    hour = min(23.99, max(6.0, rng.gauss(13.0, 2.8)))
    return datetime.combine(day, time(), UTC) + timedelta(hours=hour)


def _split_pct(weights: Sequence[float]) -> list[Decimal]:
    """Percentages in steps of 0.5 that add up to exactly 100."""
    total = sum(weights)
    raw = [w / total * 200 for w in weights]
    units = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - units[i], reverse=True)
    for i in by_remainder[: 200 - sum(units)]:
        units[i] += 1
    return [(Decimal(u) / 2).quantize(Decimal("0.01")) for u in units]


def _make_squads(rng: random.Random, squads: int, areas: int) -> list[_Profile]:
    if not 1 <= areas <= len(vocab.AREAS):
        raise ValueError(f"areas must be between 1 and {len(vocab.AREAS)}, got {areas}")
    if squads < areas:
        raise ValueError(f"squads ({squads}) must be at least areas ({areas})")
    area_rows = Area.objects.bulk_create([Area(slug=slug, name=name) for slug, name, _ in vocab.AREAS[:areas]])
    if area_rows[0].pk is None:
        area_rows = list(Area.objects.filter(slug__in=[a.slug for a in area_rows]).order_by("id"))
    new: list[Squad] = []
    used: set[str] = set()
    for i in range(squads):
        area_index, nth = i % areas, i // areas
        names = vocab.AREAS[area_index][2]
        name = names[nth % len(names)] + (f" {nth // len(names) + 1}" if nth >= len(names) else "")
        slug = slugify(name.replace("&", "and"))
        while slug in used:
            slug += "-x"
        used.add(slug)
        cost = Decimal(rng.randrange(80, 141) * 100)
        new.append(Squad(slug=slug, name=name, area=area_rows[area_index], monthly_cost_per_head=cost, active=True))
    Squad.objects.bulk_create(new)
    if new[0].pk is None:
        by_slug = {s.slug: s for s in Squad.objects.filter(slug__in=used)}
        new = [by_slug[s.slug] for s in new]

    n_improving = max(1, round(squads * 0.25)) if squads >= 2 else 0
    n_regressing = max(1, round(squads * 0.15)) if squads >= 2 else 0
    trends = ["improving"] * n_improving + ["regressing"] * n_regressing
    trends += ["flat"] * (squads - len(trends))
    rng.shuffle(trends)
    return [
        _Profile(
            squad=squad,
            area_slug=vocab.AREAS[i % areas][0],
            trend=trend,
            cadence=rng.uniform(0.25, 1.3),
            defect_rate=rng.uniform(0.25, 0.55),
            lead_hours=math.exp(rng.uniform(math.log(6), math.log(96))),
            support_pct=rng.uniform(8, 24),
            size=rng.randint(5, 12),
        )
        for i, (squad, trend) in enumerate(zip(new, trends, strict=True))
    ]


class _Generator:
    def __init__(
        self, *, rng: random.Random, start: date, end: date, horizon: datetime, scale: float, writer: _Writer
    ) -> None:
        self.rng, self.start, self.end, self.horizon, self.scale, self.w = rng, start, end, horizon, scale, writer
        self.days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        self.span = max(1, len(self.days) - 1)

    def _t(self, when: date) -> float:
        return min(1.0, max(0.0, (when - self.start).days / self.span))

    # -- releases, incidents, defects of one squad ---------------------------------
    def squad_records(self, p: _Profile, outages: int) -> None:
        rng, slug = self.rng, p.squad.slug
        releases: list[Release] = []
        release_times: list[datetime] = []
        incidents: list[tuple[Incident, Release | None]] = []
        major, minor, patch = rng.randint(1, 4), rng.randint(0, 20), 0
        n_def = 0
        for i, day in enumerate(self.days):
            t, wd = i / self.span, day.weekday()
            bad = p.badness(t)
            lam = p.cadence * p.speed(t) * _WEEKDAY_RELEASES[wd] * _holiday(day) * self.scale
            for released_at in sorted(_work_time(rng, day) for _ in range(_poisson(rng, lam))):
                rolled_back = rng.random() < 0.03 * bad
                if rolled_back or rng.random() < 0.1:
                    patch += 1
                elif rng.random() < 0.005:
                    major, minor, patch = major + 1, 0, 0
                else:
                    minor, patch = minor + 1, 0
                lead = None
                if rng.random() < 0.8:
                    median = p.lead_hours * (
                        1.4 - 0.9 * t if p.trend == "improving" else 0.7 + 0.9 * t if p.trend == "regressing" else 1.0
                    )
                    hours = min(21 * 24.0, max(0.25, rng.lognormvariate(math.log(median), 0.8)))
                    lead = released_at - timedelta(hours=hours)
                if released_at >= self.horizon:
                    continue
                rel = Release(
                    external_id=f"rel-{slug}-{len(releases) + 1:05d}",
                    squad_id=p.squad.pk,
                    version=f"{major}.{minor}.{patch}",
                    released_at=released_at,
                    first_commit_at=lead,
                    status=Release.Status.ROLLED_BACK if rolled_back else Release.Status.SUCCEEDED,
                )
                releases.append(rel)
                release_times.append(released_at)
                if rolled_back and rng.random() < 0.45:
                    started = released_at + timedelta(minutes=rng.uniform(5, 90))
                    incidents.append((self._incident(p, started, rng.choice((2, 3, 3)), rel), rel))
            for _ in range(_poisson(rng, 0.05 * bad * _WEEKDAY_INCIDENTS[wd] * self.scale)):
                started = datetime.combine(day, time(), UTC) + timedelta(hours=rng.uniform(0, 24))
                severity = _severity(rng, _SEVERITY_INCIDENT)
                cause = None
                if rng.random() < (0.5 if severity <= 2 else 0.3):
                    k = bisect.bisect_left(release_times, started) - 1
                    if k >= 0 and started - release_times[k] < timedelta(hours=72):
                        cause = releases[k]
                incidents.append((self._incident(p, started, severity, cause), cause))
            for _ in range(_poisson(rng, p.defect_rate * bad * _WEEKDAY_DEFECTS[wd] * self.scale)):
                n_def += 1
                self._defect(p, f"def-{slug}-{n_def:05d}", _work_time(rng, day), bad)
        for _ in range(outages):
            incidents.append(self._outage(p, releases))
        for rel in releases:
            self.w.add(rel)
        self.w.flush(Release)
        n_inc = 0
        for incident, cause in sorted(incidents, key=lambda pair: pair[0].started_at):
            if incident.started_at >= self.horizon:
                continue
            n_inc += 1
            incident.external_id = f"inc-{slug}-{n_inc:04d}"
            incident.caused_by_release_id = cause.pk if cause else None
            if cause and cause.version not in incident.title:
                incident.title = f"{incident.title} after release {cause.version}"
            self.w.add(incident)

    def _incident(self, p: _Profile, started: datetime, severity: int, cause: Release | None) -> Incident:
        rng = self.rng
        impact = rng.random() < _CUSTOMER_IMPACT_BY_SEVERITY[severity]
        median = (_IMPACT_MEDIAN_HOURS if impact else _INCIDENT_MEDIAN_HOURS)[severity]
        median *= math.sqrt(p.badness(self._t(started.date())))
        resolved = started + timedelta(hours=max(0.08, rng.lognormvariate(math.log(median), 0.9)))
        return Incident(
            squad_id=p.squad.pk,
            severity=severity,
            started_at=started,
            resolved_at=resolved if resolved <= self.horizon else None,
            customer_impact=impact,
            title=f"{p.squad.name}: {rng.choice(vocab.INCIDENT_SYMPTOMS)}",
        )

    def _outage(self, p: _Profile, releases: list[Release]) -> tuple[Incident, Release | None]:
        """A bad severity-1 customer-facing outage; more than half follow a release."""
        rng = self.rng
        cause = rng.choice(releases) if releases and rng.random() < 0.6 else None
        if cause:
            started = cause.released_at + timedelta(minutes=rng.uniform(10, 240))
        else:
            started = datetime.combine(rng.choice(self.days), time(), UTC) + timedelta(hours=rng.uniform(0, 24))
        resolved = started + timedelta(hours=rng.uniform(2, 6))
        incident = Incident(
            squad_id=p.squad.pk,
            severity=1,
            started_at=started,
            resolved_at=resolved if resolved <= self.horizon else None,
            customer_impact=True,
            title=f"{p.squad.name}: {rng.choice(vocab.MAJOR_OUTAGES)}",
        )
        return incident, cause

    def _defect(self, p: _Profile, external_id: str, found: datetime, bad: float) -> None:
        rng = self.rng
        found_in = rng.choices(
            ("development", "testing", "staging", "production"), weights=(25, 35, 15, 25 * math.sqrt(bad))
        )[0]
        customer = found_in == "production" and rng.random() < 0.55
        severity = _severity(rng, _SEVERITY_CUSTOMER_DEFECT if customer else _SEVERITY_DEFECT)
        resolved = None
        if rng.random() < 0.9:
            resolved = found + timedelta(days=rng.lognormvariate(math.log(_DEFECT_MEDIAN_DAYS[severity]), 1.0))
        if found >= self.horizon:
            return
        self.w.add(
            Defect(
                external_id=external_id,
                squad_id=p.squad.pk,
                severity=severity,
                found_at=found,
                found_in=found_in,
                found_by="customer" if customer else "internal",
                resolved_at=resolved if resolved and resolved <= self.horizon else None,
                title=f"{rng.choice(vocab.DEFECT_COMPONENTS)}: {rng.choice(vocab.DEFECT_SYMPTOMS)}",
            )
        )

    def open_incidents(self, profiles: list[_Profile]) -> None:
        """A few incidents still open at the end of the span, like any Monday morning."""
        for n, (severity, impact, hours_ago) in enumerate(((2, True, 2), (3, False, 20), (4, False, 40))):
            p = self.rng.choice(profiles)
            started = self.horizon - timedelta(hours=self.rng.uniform(0.2, hours_ago))
            if started.date() < self.start:
                continue
            self.w.add(
                Incident(
                    external_id=f"inc-{p.squad.slug}-open-{n + 1}",
                    squad_id=p.squad.pk,
                    severity=severity,
                    started_at=started,
                    resolved_at=None,
                    customer_impact=impact,
                    title=f"{p.squad.name}: {self.rng.choice(vocab.INCIDENT_SYMPTOMS)}",
                )
            )

    # -- customer responses -------------------------------------------------------
    def customer_responses(self, survey: Survey, profiles: list[_Profile]) -> None:
        rng = self.rng
        accounts = [f"{a} {b}" for a in vocab.ACCOUNT_PREFIXES for b in vocab.ACCOUNT_SUFFIXES]
        rng.shuffle(accounts)
        accounts = accounts[: max(40, min(len(accounts), 6 * len(profiles)))]
        per_day = len(profiles) * 40 / 365 * self.scale
        n = 0
        for i, day in enumerate(self.days):
            t = i / self.span
            themes = [name for name, *_ in vocab.THEMES]
            base_weights = [
                a + (b - a) * t + peak * math.exp(-(((t - 0.5) / 0.15) ** 2)) for _, a, b, peak in vocab.THEMES
            ]
            for _ in range(_poisson(rng, per_day * _WEEKDAY_RESPONSES[day.weekday()])):
                p = rng.choice(profiles) if rng.random() < 0.8 else None
                submitted = datetime.combine(day, time(), UTC) + timedelta(hours=rng.uniform(7, 22))
                mood = 0.8 + 0.08 * t + rng.gauss(0, 0.15) - (0.15 * (p.badness(t) - 1) if p else 0.0)
                nps = min(10, max(0, round(mood * 10 + rng.gauss(0, 1.5))))
                csat = min(5, max(1, round(1 + mood * 4 + rng.gauss(0, 0.6))))
                outcome = min(5, max(1, round(0.8 + mood * 4 + rng.gauss(0, 0.8))))
                has = (rng.random() < 0.9, rng.random() < 0.7, rng.random() < 0.65)
                if not any(has):
                    has = (True, False, False)
                problem = ""
                if rng.random() < 0.7:
                    weights = list(base_weights)
                    if p:
                        area_theme = vocab.AREA_THEMES.get(p.area_slug)
                        weights = [
                            w * (3 if name == area_theme else 1) for name, w in zip(themes, weights, strict=True)
                        ]
                    problem = rng.choices(themes, weights=weights)[0]
                comment = ""
                if rng.random() < 0.35:
                    comment = rng.choice(vocab.THEME_COMMENTS[problem] if problem else vocab.GENERIC_COMMENTS)
                if submitted >= self.horizon:
                    continue
                n += 1
                self.w.add(
                    CustomerResponse(
                        external_id=f"resp-{n:07d}",
                        survey_id=survey.pk,
                        submitted_at=submitted,
                        account=rng.choice(accounts),
                        squad_id=p.squad.pk if p else None,
                        nps_score=nps if has[0] else None,
                        csat_score=csat if has[1] else None,
                        outcome_score=outcome if has[2] else None,
                        top_problem=problem,
                        comment=comment,
                    )
                )

    # -- monthly time allocation ----------------------------------------------------
    def time_allocations(self, survey: Survey, profiles: list[_Profile]) -> None:
        rng = self.rng
        month = self.start.replace(day=1)
        while month <= self.end and datetime.combine(month, time(), UTC) < self.horizon:
            t = self._t(max(month, self.start))
            for p in profiles:
                support = p.support_pct * p.badness(t)
                for k in range(max(1, round(rng.randint(3, 5) * self.scale))):
                    weights = [
                        max(5.0, 100 - support - 45 + rng.gauss(0, 6)),  # features
                        max(0.0, rng.gauss(11, 3)),  # quality
                        max(0.0, support + rng.gauss(0, 3)),  # support
                        max(0.0, rng.gauss(5, 2)),  # onboarding
                        max(0.0, rng.gauss(13, 3)),  # ktlo
                        max(0.0, rng.gauss(5, 2)),  # other
                    ]
                    pct = dict(zip(PCT_FIELDS, _split_pct(weights), strict=True))
                    self.w.add(
                        TimeAllocation(
                            external_id=f"alloc-{p.squad.slug}-{month:%Y-%m}-{k + 1}",
                            survey_id=survey.pk,
                            squad_id=p.squad.pk,
                            month=month,
                            headcount=rng.randint(1, max(2, p.size // 2)),
                            **pct,
                        )
                    )
            month = (month + timedelta(days=32)).replace(day=1)


def generate_org(
    *,
    squads: int = 24,
    areas: int = 5,
    start: date,
    end: date,
    seed: int = 7,
    scale: float = 1.0,
    batch_size: int = 5000,
    now: datetime | None = None,
) -> dict[str, int]:
    """Create areas, squads, two surveys and every record kind from `start` to `end`.

    Expect about `RECORDS_PER_SQUAD_YEAR` (≈390) records per squad-year per unit
    of `scale`: 24 squads × 2 years ≈ 19,000; 50 squads × 3 years × scale 17 ≈
    1,000,000. Nothing is written after `now` (default: the current time).
    Rows go in with `bulk_create`, which bypasses the dirty-marking signals:
    no DirtyRange is written, so the caller must run a full rollup afterwards.
    Call it inside a transaction so that a failure leaves nothing half-written.
    Returns the number of rows created per kind.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    rng = random.Random(seed)
    now = now or timezone.now()
    horizon = min(now, datetime.combine(end + timedelta(days=1), time(), UTC))
    writer = _Writer(batch_size)
    profiles = _make_squads(rng, squads, areas)
    customer_survey = Survey.objects.create(slug=CUSTOMER_SURVEY[0], name=CUSTOMER_SURVEY[1], kind=Survey.Kind.CUSTOMER)
    time_survey = Survey.objects.create(slug=TIME_SURVEY[0], name=TIME_SURVEY[1], kind=Survey.Kind.TIME_ALLOCATION)
    gen = _Generator(rng=rng, start=start, end=end, horizon=horizon, scale=scale, writer=writer)

    outages: Counter[int] = Counter(rng.randrange(len(profiles)) for _ in range(max(3, round(squads / 6))))
    for i, profile in enumerate(profiles):
        gen.squad_records(profile, outages[i])
    gen.open_incidents(profiles)
    gen.customer_responses(customer_survey, profiles)
    gen.time_allocations(time_survey, profiles)
    writer.flush()

    counts: dict[str, int] = {"areas": areas, "squads": squads, "surveys": 2}
    for key, model in (
        ("releases", Release),
        ("incidents", Incident),
        ("defects", Defect),
        ("customer_responses", CustomerResponse),
        ("time_allocations", TimeAllocation),
    ):
        counts[key] = writer.counts[model]
    return counts
