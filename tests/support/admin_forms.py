"""Helpers to post Django admin forms the way the browser does (split date/time
widgets, inline management forms), for the admin tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse


def split_dt(name: str, moment: dt.datetime | None) -> dict[str, str]:
    """Admin's SplitDateTimeWidget posts a date and a time field."""
    if moment is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    return {f"{name}_0": moment.strftime("%Y-%m-%d"), f"{name}_1": moment.strftime("%H:%M:%S")}


def management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def inline_rows(prefix: str, rows: list[dict[str, Any]], initial: int = 0) -> dict[str, str]:
    data = management(prefix, len(rows), initial)
    for i, row in enumerate(rows):
        for name, value in row.items():
            if isinstance(value, dt.datetime):
                data.update(split_dt(f"{prefix}-{i}-{name}", value))
            else:
                data[f"{prefix}-{i}-{name}"] = "" if value is None else str(value)
    return data


def form_errors(response: HttpResponse) -> dict[str, list[str]]:
    """Field errors of the main admin form in a re-rendered change page."""
    admin_form = response.context["adminform"]
    return {name: list(errors) for name, errors in admin_form.form.errors.items()}


def inline_errors(response: HttpResponse) -> list[dict[str, list[str]]]:
    """Per-row field errors of every inline formset on a re-rendered change page."""
    out = []
    for inline in response.context["inline_admin_formsets"]:
        out.extend({name: list(errs) for name, errs in form.errors.items()} for form in inline.formset.forms)
    return out
