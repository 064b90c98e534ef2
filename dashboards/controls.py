"""The page controls every dashboard carries in its query string: grain, date range, area, and
what changes are compared with (the previous period or the same period a year before).

Bookmarkable: the state lives only in the URL. Bad values fall back to the defaults
(month grain, the last 12 months) and the page says in words what was wrong and what it shows.
Presets (last 4 weeks, last quarter, year to date, last 12 months) are links to such URLs.
Dates must lie in the records' window and a range covers at most 520 periods (`core.bounds`):
a longer one is cut to the latest 520 periods, so no URL can make a page build years of weekly series.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone

from core import bounds
from core.scope import ORG, area_scope
from metrics.kpis.periods import GRAINS, next_period_start, period_start_for

DEFAULT_GRAIN = "month"
DEFAULT_MONTHS = 12
COMPARE_CHOICES = {"previous": "the previous period", "year": "the same period a year before"}


def period_floor(day: date, grain: str) -> date:
    """First day of the period (ISO week, calendar month or quarter) holding `day`."""
    return period_start_for(grain, day)


def period_next(start: date, grain: str) -> date:
    """First day of the period after the one starting at `start`."""
    return next_period_start(grain, start)


def months_before(day: date, months: int) -> date:
    """First day of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Controls:
    grain: str
    date_from: date
    date_to: date
    area: str  # area slug, "" for the whole org
    compare: str = "previous"  # a key of COMPARE_CHOICES

    @property
    def scope(self) -> str:
        """The aggregate scope the page shows: the org or the selected area."""
        return area_scope(self.area) if self.area else ORG

    def period_from(self) -> date:
        return period_floor(self.date_from, self.grain)

    def latest_complete_period(self, today: date | None = None) -> date | None:
        """Start of the last period that has ended by `date_to` (and by today); None if none in range."""
        today = today or timezone.now().date()
        end = min(self.date_to + timedelta(days=1), today)  # exclusive
        latest = period_floor(end - timedelta(days=1), self.grain)
        if period_next(latest, self.grain) > end:
            latest = period_floor(latest - timedelta(days=1), self.grain)
        return latest if latest >= self.period_from() else None

    def reference_period(self, period: date | None) -> date | None:
        """The period a change is measured against: the one before, or the same one a year before
        (52 ISO weeks back for weeks, so a week is compared with the same weekday span)."""
        if period is None:
            return None
        if self.compare == "year":
            if self.grain == "week":
                return period - timedelta(weeks=52)
            return period.replace(year=period.year - 1)
        return period_floor(period - timedelta(days=1), self.grain)

    def params(self, **overrides: str) -> dict[str, str]:
        values = {
            "grain": self.grain,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "area": self.area,
            "compare": "" if self.compare == "previous" else self.compare,
        }
        values.update(overrides)
        return {k: v for k, v in values.items() if v}

    def query(self, **overrides: str) -> str:
        """The query string (without '?') reproducing these controls, with overrides."""
        return urlencode(self.params(**overrides))

    def with_area(self, area: str) -> Controls:
        return replace(self, area=area)


def default_controls(today: date | None = None) -> Controls:
    today = today or timezone.now().date()
    return Controls(DEFAULT_GRAIN, months_before(today, DEFAULT_MONTHS - 1), today, "")


@dataclass(frozen=True)
class Preset:
    label: str
    grain: str
    date_from: date
    date_to: date


def presets(today: date | None = None) -> list[Preset]:
    """The common ranges, relative to today."""
    today = today or timezone.now().date()
    this_quarter = period_floor(today, "quarter")
    last_quarter = period_floor(this_quarter - timedelta(days=1), "quarter")
    return [
        Preset("Last 4 weeks", "week", period_floor(today, "week") - timedelta(weeks=4), today),
        Preset("Last quarter", "month", last_quarter, this_quarter - timedelta(days=1)),
        Preset("Year to date", "month", date(today.year, 1, 1), today),
        Preset("Last 12 months", DEFAULT_GRAIN, months_before(today, DEFAULT_MONTHS - 1), today),
    ]


def preset_links(controls: Controls, today: date | None = None) -> list[dict[str, object]]:
    """Each preset as a query string keeping the area and compare-to, and whether it is the one shown."""
    links = []
    for preset in presets(today):
        chosen = replace(controls, grain=preset.grain, date_from=preset.date_from, date_to=preset.date_to)
        # two presets can name the same range (year to date in December): mark only the first
        active = chosen == controls and not any(link["active"] for link in links)
        links.append({"label": preset.label, "query": chosen.query(), "active": active})
    return links


class ControlsForm(forms.Form):
    grain = forms.ChoiceField(choices=[(g, g) for g in GRAINS], required=False)
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")
    area = forms.SlugField(required=False)
    compare = forms.ChoiceField(choices=list(COMPARE_CHOICES.items()), required=False)

    def __init__(self, data: QueryDict, areas: list[tuple[str, str]]) -> None:
        renamed = {
            "grain": data.get("grain", ""),
            "date_from": data.get("from", ""),
            "date_to": data.get("to", ""),
            "area": data.get("area", ""),
            "compare": data.get("compare", ""),
        }
        super().__init__(renamed)
        self.area_choices = areas

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        area = cleaned.get("area")
        if area and area not in {slug for slug, _ in self.area_choices}:
            self.add_error("area", f"unknown area {area!r}")
            cleaned["area"] = ""
        for name in ("date_from", "date_to"):
            problem = bounds.date_problem(cleaned.get(name))
            if problem:
                self.add_error(name, forms.ValidationError(problem, code="out_of_range"))
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "must not be before From")
        return cleaned

    def notes(self) -> list[str]:
        """What was wrong with the query string, in words, and what the page shows instead."""
        raw = self.data
        notes = []
        if "grain" in self.errors:
            notes.append(f"There is no grain “{raw['grain']}”: showing months. Choose week, month or quarter.")
        for name, word in (("date_from", "From"), ("date_to", "To")):
            errors = self.errors.as_data().get(name, [])
            codes = {error.code for error in errors}
            if "too_long" in codes:  # cut to the latest periods, not replaced by the default
                notes.append(next(" ".join(e.messages) for e in errors if e.code == "too_long"))
            elif "out_of_range" in codes:
                problem = next(" ".join(e.messages) for e in errors if e.code == "out_of_range")
                notes.append(
                    f"{word} “{raw[name]}” is out of range ({problem.rstrip('.')}): showing the last 12 months."
                )
            elif name in self.errors and raw.get(name) and "must not be before" not in " ".join(self.errors[name]):
                notes.append(f"{word} “{raw[name]}” is not a date (YYYY-MM-DD): showing the last 12 months.")
        if "date_to" in self.errors and "must not be before" in " ".join(self.errors["date_to"]):
            notes.append(
                f"The range ends ({raw['date_to']}) before it starts ({raw['date_from']}): "
                "showing the last 12 months instead. Swap the dates or pick a preset."
            )
        if "area" in self.errors:
            notes.append(f"There is no area “{raw['area']}”: showing the whole org.")
        if "compare" in self.errors:
            notes.append("Unknown compare-to choice: comparing with the previous period.")
        return notes


def parse_controls(data: QueryDict, areas: list[tuple[str, str]]) -> tuple[Controls, ControlsForm]:
    """Controls from a query string; invalid fields fall back to their defaults."""
    form = ControlsForm(data, areas)
    defaults = default_controls()
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    grain = cleaned.get("grain") if "grain" not in form.errors else None
    date_from = cleaned.get("date_from") if "date_from" not in form.errors else None
    date_to = cleaned.get("date_to") if "date_to" not in form.errors else None
    area = cleaned.get("area") if "area" not in form.errors else ""
    compare = cleaned.get("compare") if "compare" not in form.errors else ""
    controls = Controls(
        grain=grain or defaults.grain,
        date_from=date_from or defaults.date_from,
        date_to=date_to or defaults.date_to,
        area=area or "",
        compare=compare or "previous",
    )
    if controls.date_from > controls.date_to:
        controls = replace(controls, date_from=defaults.date_from, date_to=defaults.date_to)
    problem = bounds.range_problem(controls.grain, controls.period_from(), controls.date_to)
    if problem:
        controls = replace(controls, date_from=latest_periods_start(controls.date_to, controls.grain))
        message = f"{problem[0].upper()}{problem[1:]} Showing from {controls.date_from.isoformat()}."
        form.add_error("date_from", forms.ValidationError(message, code="too_long"))
    return controls, form


def latest_periods_start(end: date, grain: str) -> date:
    """First day of the earliest of the `MAX_RANGE_PERIODS` periods ending with `end`'s period."""
    back = bounds.max_periods() - 1
    last = period_floor(end, grain)
    if grain == "week":
        return last - timedelta(weeks=back)
    return months_before(last, back * (3 if grain == "quarter" else 1))
