"""Reads for the dashboards beyond the stored KPIs: areas and squads, the records behind a
number, customer themes and the time mix. Snapshots, targets, baseline and rollup freshness
are read through `metrics.kpis.selectors`. Every read is a fixed number of queries whatever
the number of squads (tests/dashboards/test_query_counts.py holds us to it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek
from django.utils import timezone

from core.dates import day_bounds
from metrics.kpis.formulas import headcount_share, headcount_weighted
from metrics.models import (
    CustomerResponse,
    Defect,
    Incident,
    Release,
    TimeAllocation,
)
from metrics.records.ingest.kinds import RecordKind
from metrics.records.models import PCT_FIELDS, PERIOD_FIELD
from squads.models import Area, Squad

RECORDS_LIMIT = 200


def area_choices() -> list[tuple[str, str]]:
    """(slug, name) of every area, for the area control and the navigation."""
    return [(slug, name or slug) for slug, name in Area.objects.values_list("slug", "name")]


def squads_for(area: str = "") -> list[Squad]:
    """Active squads, of one area when `area` is given, with their area loaded."""
    qs = Squad.objects.filter(active=True).select_related("area").order_by("name")
    if area:
        qs = qs.filter(area__slug=area)
    return list(qs)


_day_bounds = day_bounds


def _placed_in(model: type, start: date, end: date) -> Q:
    """Records of `model` placed (by `PERIOD_FIELD`, the KPIs' rule) in the UTC days [start, end)."""
    lo, hi = _day_bounds(start, end)
    field = PERIOD_FIELD[model]
    return Q(**{f"{field}__gte": lo, f"{field}__lt": hi})


@dataclass(frozen=True)
class SquadRecords:
    releases: list[Release]
    incidents: list[Incident]
    defects: list[Defect]


def squad_records(squad: Squad, start: date, end: date) -> SquadRecords:
    """The records behind a squad's numbers for [start, end): releases by released_at, incidents
    started or resolved in it, defects by found_at. At most RECORDS_LIMIT of each kind."""
    lo, hi = _day_bounds(start, end)
    releases = Release.objects.filter(_placed_in(Release, start, end), squad=squad).order_by(PERIOD_FIELD[Release])
    incidents = (
        Incident.objects.filter(
            _placed_in(Incident, start, end) | Q(resolved_at__gte=lo, resolved_at__lt=hi), squad=squad
        )
        .select_related("caused_by_release")
        .order_by(PERIOD_FIELD[Incident])
    )
    defects = Defect.objects.filter(_placed_in(Defect, start, end), squad=squad).order_by(PERIOD_FIELD[Defect])
    return SquadRecords(
        releases=list(releases[:RECORDS_LIMIT]),
        incidents=list(incidents[:RECORDS_LIMIT]),
        defects=list(defects[:RECORDS_LIMIT]),
    )


@dataclass(frozen=True)
class Markers:
    releases: list[tuple[datetime, str, str]]  # (released_at, version, status)
    incidents: list[tuple[datetime, int, str]]  # (started_at, severity, title)


def squad_markers(squad: Squad, start: date, end: date) -> Markers:
    """Release and incident times of a squad in [start, end), for the time axis of its trends."""
    released, started = PERIOD_FIELD[Release], PERIOD_FIELD[Incident]
    releases = Release.objects.filter(_placed_in(Release, start, end), squad=squad).order_by(released)
    incidents = Incident.objects.filter(_placed_in(Incident, start, end), squad=squad).order_by(started)
    return Markers(
        releases=list(releases.values_list(released, "version", "status")[:2000]),
        incidents=list(incidents.values_list(started, "severity", "title")[:2000]),
    )


_TRUNC = {"week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def _period_trunc(field: str, grain: str):
    return _TRUNC[grain](field, tzinfo=timezone.get_current_timezone())


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def top_problems(*, grain: str, start: date, end: date, area: str = "", limit: int = 8) -> pd.DataFrame:
    """Responses per (period_start, top_problem) in [start, end) for the `limit` most named themes
    over the whole range; columns period_start, top_problem, responses. Area: responses of its squads."""
    qs = CustomerResponse.objects.filter(_placed_in(CustomerResponse, start, end)).exclude(top_problem="")
    if area:
        qs = qs.filter(squad__area__slug=area)
    top = list(
        qs.order_by()
        .values("top_problem")
        .annotate(n=Count("id"))
        .order_by("-n", "top_problem")
        .values_list("top_problem", flat=True)[:limit]
    )
    rows = (
        qs.filter(top_problem__in=top)
        .annotate(period=_period_trunc(PERIOD_FIELD[CustomerResponse], grain))
        .order_by()
        .values("period", "top_problem")
        .annotate(responses=Count("id"))
    )
    frame = pd.DataFrame.from_records(
        [(_as_date(r["period"]), r["top_problem"], r["responses"]) for r in rows],
        columns=["period_start", "top_problem", "responses"],
    )
    frame.attrs["order"] = top
    return frame.sort_values(["period_start", "top_problem"]).reset_index(drop=True)


TIME_CATEGORIES = [name.removeprefix("pct_") for name in PCT_FIELDS]


def time_mix(*, start: date, end: date, area: str = "", squad: Squad | None = None) -> pd.DataFrame:
    """Headcount-weighted share of time per category and month in [start, end), weighted as the
    time-allocation KPIs are (`metrics.kpis.formulas.headcount_weighted`/`headcount_share`);
    columns month, responses, headcount and one per category."""
    month = PERIOD_FIELD[TimeAllocation]  # a DateField: compared with the days themselves
    qs = TimeAllocation.objects.filter(**{f"{month}__gte": start, f"{month}__lt": end})
    if squad is not None:
        qs = qs.filter(squad=squad)
    elif area:
        qs = qs.filter(squad__area__slug=area)
    columns = ["month", "headcount", *PCT_FIELDS]
    rows = pd.DataFrame.from_records(list(qs.order_by().values_list(*columns)), columns=columns)
    weighted = pd.DataFrame({"month": rows["month"], "headcount": rows["headcount"].astype("int64")})
    for name, field in zip(TIME_CATEGORIES, PCT_FIELDS, strict=True):
        hundredths = pd.Series([int(pct * 100) for pct in rows[field]], index=rows.index, dtype="int64")
        weighted[name] = headcount_weighted(rows.assign(**{field: hundredths}), field)
    sums = weighted.groupby("month", sort=True).agg(
        responses=("headcount", "size"), headcount=("headcount", "sum"), **{n: (n, "sum") for n in TIME_CATEGORIES}
    )
    mix = pd.DataFrame(
        {"month": sums.index, "responses": sums["responses"].to_numpy(), "headcount": sums["headcount"].to_numpy()}
    )
    for name in TIME_CATEGORIES:
        mix[name] = headcount_share(sums[name], sums["headcount"]).to_numpy()
    return mix


def record_by_key(kind: RecordKind, key: str) -> models.Model | None:
    """One record of `kind` by its key (`external_id`, or `slug` for squads), with what it names loaded."""
    return kind.model.objects.select_related(*kind.related_for_export()).filter(**{kind.key: key}).first()


def incidents_caused_by(release: Release) -> list[Incident]:
    """The incidents that name `release` as their cause (what made it count as failed)."""
    return list(Incident.objects.filter(caused_by_release=release).order_by(PERIOD_FIELD[Incident])[:RECORDS_LIMIT])
