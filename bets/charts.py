"""Bet charts: per-period means in, Plotly figure JSON (plain dicts) out, drawn by
`static/js/charts.js` like every other chart (no inline script). Same look as the dashboards:
system font, white background, the treatment in blue and the comparison dashed in amber.

`add_bet_markers` puts bets' starts on another chart (a squad's KPI trends) as a dotted line and a
link to the bet, so a reader can follow the marker to the bet's page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from bets.effects import KpiEffect
from bets.selectors import BetMarker

TREATMENT = "#2563eb"
COMPARISON = "#d97706"
MARKER = "#7c3aed"
LABEL_STEP, LABEL_STEPS = 0.2, 4  # bet labels on one subplot: 1, 0.8, 0.6, 0.4 of its height
FONT = {"family": "system-ui, sans-serif", "size": 12, "color": "#1f2933"}


def _num(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 4)


def _line(name: str, x: list[str], y: list[float | None], colour: str, unit: str, dash: str = "solid") -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "line": {"color": colour, "width": 2, "dash": dash},
        "marker": {"size": 5},
        "hovertemplate": f"%{{y:.2f}} {unit}<extra>{name}</extra>",
    }


def _window_rect(first: date, last_end: date, colour: str) -> dict:
    return {
        "type": "rect",
        "xref": "x",
        "yref": "paper",
        "x0": first.isoformat(),
        "x1": last_end.isoformat(),
        "y0": 0,
        "y1": 1,
        "fillcolor": colour,
        "opacity": 0.08,
        "line": {"width": 0},
        "layer": "below",
    }


def effect_trend(effect: KpiEffect, start: date, *, treatment_label: str, comparison_label: str) -> dict:
    """Treatment and comparison per-period means over both windows, the windows shaded (grey before,
    green after), the start as a dotted line, the estimate and interval in the title."""
    series = effect.series
    x = [p.isoformat() for p in series["period_start"]]
    traces = [
        _line(treatment_label, x, [_num(v) for v in series["treatment"]], TREATMENT, effect.unit),
        _line(comparison_label, x, [_num(v) for v in series["comparison"]], COMPARISON, effect.unit, "dash"),
    ]
    win = effect.windows
    step = timedelta(days=7) if win.grain == "week" else timedelta(days=31)
    shapes: list[dict] = []
    annotations: list[dict] = []
    if win.before:
        shapes.append(_window_rect(win.before[0], win.start_period, "#64748b"))
        annotations.append(_label(win.before[0], "before"))
    if win.after:
        shapes.append(_window_rect(win.after[0], win.after[-1] + step, "#059669"))
        annotations.append(_label(win.after[0], "after"))
    shapes.append(
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": start.isoformat(),
            "x1": start.isoformat(),
            "y0": 0,
            "y1": 1,
            "line": {"color": MARKER, "width": 2, "dash": "dot"},
        }
    )
    annotations.append(
        {
            "x": start.isoformat(),
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "text": "start",
            "showarrow": False,
            "yanchor": "bottom",
            "font": {"size": 10, "color": MARKER},
        }
    )
    e = effect.effect
    title = f"<b>{effect.label}</b> ({effect.unit}, by {effect.grain})"
    if e.estimate is not None:
        interval = ""
        if e.low is not None:
            interval = f", 90 % interval {e.low:+.2f} to {e.high:+.2f}"
        title += f" — effect {e.estimate:+.2f}{interval}"
    layout = {
        "height": 320,
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 56, "r": 16, "t": 44, "b": 36},
        "hovermode": "x unified",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.18},
        "title": {"text": title, "x": 0, "font": {"size": 13}},
        "xaxis": {"type": "date"},
        "yaxis": {"title": {"text": effect.unit}, "gridcolor": "#eef1f4"},
        "shapes": shapes,
        "annotations": annotations,
    }
    return {"data": traces, "layout": layout}


def _label(day: date, text: str) -> dict:
    return {
        "x": day.isoformat(),
        "xref": "x",
        "xanchor": "left",
        "y": 0,
        "yref": "paper",
        "yanchor": "bottom",
        "text": text,
        "showarrow": False,
        "font": {"size": 10, "color": "#64748b"},
    }


def add_bet_markers(figure: dict, markers: Sequence[BetMarker], metrics: Sequence[str]) -> dict:
    """Mark each bet's start on the subplot of its KPI: subplot i (1-based) plots `metrics[i-1]`
    on axes x{i}/y{i} ("" for 1), the layout `dashboards.charts.family_trends` builds; a single
    chart passes one metric. The label links to the bet's page."""
    if not markers:
        return figure
    axis_of = {code: ("" if i == 0 else str(i + 1)) for i, code in enumerate(metrics)}
    layout = dict(figure["layout"])
    shapes = list(layout.get("shapes", []))
    annotations = list(layout.get("annotations", []))
    on_axis: dict[str, int] = {}
    for marker in markers:
        if marker.metric not in axis_of:
            continue
        axis = axis_of[marker.metric]
        # bets starting close together would print their labels over each other: each next label
        # on a subplot goes a step lower (four steps, then from the top again)
        step = on_axis.get(axis, 0)
        on_axis[axis] = step + 1
        x = marker.start.isoformat()
        shapes.append(
            {
                "type": "line",
                "xref": f"x{axis}",
                "yref": f"y{axis} domain",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": MARKER, "width": 1.5, "dash": "dot"},
            }
        )
        annotations.append(
            {
                "x": x,
                "xref": f"x{axis}",
                "y": 1 - LABEL_STEP * (step % LABEL_STEPS),
                "yref": f"y{axis} domain",
                "yanchor": "top",
                "xanchor": "left",
                "showarrow": False,
                "font": {"size": 10, "color": MARKER},
                "bgcolor": "rgba(255,255,255,0.8)",
                # the box catches the click (charts.js follows an annotation's same-site link on click)
                "captureevents": True,
                "hovertext": f"{marker.title}: started {x}",
                "text": f'<a href="{marker.url}" target="_self">bet: {_escape(marker.title)}</a>',
                "name": f"bet-{marker.bet_id}",
            }
        )
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": figure["data"], "layout": layout}


def _escape(text: str) -> str:
    short = text if len(text) <= 40 else text[:39] + "…"
    return short.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def with_bet_starts(
    figure: dict, metrics: Sequence[str], scopes: Sequence[str], date_from: date, date_to: date
) -> dict:
    """`add_bet_markers` with the markers read by `bets.selectors.bet_markers` (one query): the one
    call a chart of KPIs `metrics` for `scopes` over [date_from, date_to] needs."""
    from bets.selectors import bet_markers

    return add_bet_markers(figure, bet_markers(list(metrics), scopes, date_from, date_to), metrics)
