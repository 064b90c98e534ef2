"""Review and action-item markers on a KPI's trend chart (a Plotly figure as a plain dict).

The dashboards call `with_review_markers` once where they build a KPI's trend; the markers
sit on their own overlay axis at the top of the plot, so they never change its scale."""

from __future__ import annotations

from datetime import date

from reviews.selectors import Annotation, annotations_for

_STYLE = {
    "review": ("diamond", "#1e40af"),
    "action_due": ("triangle-down", "#b45309"),
    "action_closed": ("circle", "#047857"),
}


def marker_traces(annotations: list[Annotation]) -> list[dict]:
    """One scatter trace per kind of annotation (review, action due, action closed)."""
    traces = []
    for kind, (symbol, colour) in _STYLE.items():
        marks = [a for a in annotations if a.kind == kind]
        if not marks:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": kind.replace("_", " "),
                "xaxis": "x",
                "yaxis": "y98",
                "x": [a.day.isoformat() for a in marks],
                "y": [0.96] * len(marks),
                "text": [a.text for a in marks],
                "customdata": [a.url for a in marks],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"symbol": symbol, "size": 11, "color": colour},
            }
        )
    return traces


def with_review_markers(figure: dict, *, metric: str, scope: str, date_from: date, date_to: date) -> dict:
    """`figure` with markers for the frozen reviews and action items of `metric` in `scope`."""
    traces = marker_traces(annotations_for(metric=metric, scope=scope, date_from=date_from, date_to=date_to))
    if not traces:
        return figure
    layout = dict(figure["layout"])
    layout["yaxis98"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    return {"data": [*figure["data"], *traces], "layout": layout}
