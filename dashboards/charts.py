"""Charts: snapshot rows in, Plotly figure JSON (plain dicts) out. Views never build figures.

Figures are plain dicts rather than `plotly.graph_objects` so a page with many charts
stays fast; `static/js/charts.js` draws them with the locally served Plotly cartesian bundle (static/vendor/README.md).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from core.numbers import number_or_none
from core.scope import Scope
from dashboards import stats
from dashboards.formatting import unit_text, words
from metrics.kpis.catalog import Kpi

PALETTE = ["#2563eb", "#d97706", "#059669", "#7c3aed", "#dc2626", "#0891b2", "#65a30d", "#db2777"]
TIME_COLOURS = {
    "features": "#2563eb",
    "quality": "#059669",
    "support": "#d97706",
    "onboarding": "#7c3aed",
    "ktlo": "#64748b",
    "other": "#cbd5e1",
}
_EMPTY = pd.DataFrame({"period_start": [], "value": [], "sample_size": [], "scope": [], "metric": []})
FONT = {"family": "system-ui, sans-serif", "size": 12, "color": "#1f2933"}


def _num(value: object) -> float | None:
    number = number_or_none(value)
    return None if number is None else round(number, 4)


def _text(value: object) -> str:
    """A data-derived string made inert for Plotly, which renders `<a href>`, `<b>`, `<br>`… in
    names, labels and hovers: `<`, `>` and `&` become entities (Plotly shows them as text)."""
    return html.escape(str(value), quote=False)


def _iso(day: object) -> str:
    return day.isoformat() if hasattr(day, "isoformat") else str(day)


def _layout(title: str = "", height: int = 300, **extra: object) -> dict:
    layout: dict = {
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 36 if title else 12, "b": 36},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.18},
        "showlegend": True,
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "font": {"size": 14}}
    layout.update(extra)
    return layout


def sparkline_points(values: Sequence[float | None], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a tiny trend (drawn server-side, no script); gaps skipped."""
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(present) < 2:
        return ""
    lo = min(v for _, v in present)
    hi = max(v for _, v in present)
    span = (hi - lo) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in present)


def _hover(kpi: Kpi) -> str:
    return f"%{{y:.2f}} {unit_text(kpi)} (n=%{{customdata}})<extra>{kpi.label}</extra>"


def _value_axis(kpi: Kpi) -> dict:
    """A y axis that shows the variation: from zero for counts, rates and times; fitted to the data
    for uptime (which lives between 99 and 100 %) and for NPS (which can be negative)."""
    fitted = kpi.code == "uptime_pct" or kpi.unit_format.signed
    axis: dict = {"rangemode": "normal" if fitted else "tozero", "gridcolor": "#eef1f4"}
    if kpi.code == "uptime_pct":
        axis["tickformat"] = ".2f"
    return axis


def _line(kpi: Kpi, rows: pd.DataFrame, name: str, colour: str, axis: str = "", dash: str = "solid") -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": _text(name),
        "x": [_iso(d) for d in rows["period_start"]],
        "y": [_num(v) for v in rows["value"]],
        "customdata": [int(n) for n in rows["sample_size"]],
        "hovertemplate": _hover(kpi),
        "line": {"color": colour, "width": 2, "dash": dash},
        "marker": {"size": 5},
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "legendgroup": _text(name),
    }


def _band(kpi: Kpi, rows: pd.DataFrame, colour: str, axis: str = "") -> list[dict]:
    """The Wilson 95 % band around a proportion KPI's line, as two traces filled between."""
    if not kpi.is_proportion or rows.empty:
        return []
    bounds = [stats.wilson_interval(_num(v), int(n)) for v, n in zip(rows["value"], rows["sample_size"], strict=True)]
    x = [_iso(d) for d in rows["period_start"]]
    common = {
        "type": "scatter",
        "mode": "lines",
        "line": {"width": 0},
        "hoverinfo": "skip",
        "showlegend": False,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
    }
    return [
        {**common, "x": x, "y": [b[0] if b else None for b in bounds], "name": "95 % CI low"},
        {
            **common,
            "x": x,
            "y": [b[1] if b else None for b in bounds],
            "name": "95 % CI",
            "fill": "tonexty",
            "fillcolor": colour + "26",
        },
    ]


def family_trends(
    kpis: list[Kpi],
    series: dict[str, pd.DataFrame],
    *,
    scope_label: str,
    comparison: dict[str, pd.DataFrame] | None = None,
    comparison_label: str = "",
) -> dict:
    """One small chart per KPI of a family, stacked with a shared time axis: the scope's line
    (with its Wilson band for proportions) and optionally a comparison line (e.g. the org median).
    `series` and `comparison` map a KPI code to its rows ordered by period (`tiles.by_metric`)."""
    traces: list[dict] = []
    annotations = []
    n = len(kpis)
    for i, kpi in enumerate(kpis, start=1):
        axis = "" if i == 1 else str(i)
        rows = series.get(kpi.code, _EMPTY)
        traces += _band(kpi, rows, PALETTE[0], axis)
        line = _line(kpi, rows, scope_label, PALETTE[0], axis)
        line["showlegend"] = i == 1
        traces.append(line)
        if comparison is not None:
            other = comparison.get(kpi.code, _EMPTY)
            cmp_line = _line(kpi, other, comparison_label, PALETTE[1], axis, dash="dash")
            cmp_line["showlegend"] = i == 1
            traces.append(cmp_line)
        annotations.append(
            {
                "text": f"<b>{kpi.label}</b> ({unit_text(kpi)})",
                "showarrow": False,
                "x": 0,
                "xanchor": "left",
                "xref": f"x{axis} domain",
                "y": 1.0,
                "yanchor": "bottom",
                "yref": f"y{axis} domain",
                "font": {"size": 11},
            }
        )
    layout = _layout(
        height=60 + 125 * n,
        annotations=annotations,
        hovermode="closest",
        grid={"rows": n, "columns": 1, "pattern": "independent", "ygap": 0.35},
    )
    layout["legend"] = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"}
    layout["margin"]["t"] = 30
    for i in range(1, n + 1):
        suffix = "" if i == 1 else str(i)
        layout[f"xaxis{suffix}"] = {"type": "date", "matches": "x" if i > 1 else None, "showticklabels": True}
        layout[f"yaxis{suffix}"] = _value_axis(kpis[i - 1])
        if i == 1:
            layout["xaxis"].pop("matches")
    return {"data": traces, "layout": layout}


def with_markers(figure: dict, releases: list, incidents: list) -> dict:
    """Add release (▲, red when rolled back) and incident (✕ by severity) markers on the time axis
    of the first subplot, on their own overlay axis so they sit at the bottom of the chart."""
    data = list(figure["data"])
    layout = dict(figure["layout"])
    layout["yaxis99"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    if releases:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "releases",
                "yaxis": "y99",
                "xaxis": "x",
                "x": [r[0].isoformat() for r in releases],
                "y": [0.04] * len(releases),
                "text": [_text(f"release {r[1]} ({words(r[2])})") for r in releases],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {
                    "symbol": "triangle-up",
                    "size": 8,
                    "color": ["#dc2626" if r[2] == "rolled_back" else "#059669" for r in releases],
                },
            }
        )
    if incidents:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "incidents",
                "yaxis": "y99",
                "xaxis": "x",
                "x": [i[0].isoformat() for i in incidents],
                "y": [0.12] * len(incidents),
                "text": [_text(f"incident sev {i[1]}: {i[2]}") for i in incidents],
                "hovertemplate": "%{text}<extra></extra>",
                "marker": {"symbol": "x", "size": [12 - 2 * i[1] for i in incidents], "color": "#b91c1c"},
            }
        )
    return {"data": data, "layout": layout}


def metric_trend(kpi: Kpi, rows: pd.DataFrame, scope_label: str, target: float | None = None) -> dict:
    """One KPI's trend for a scope, with its Wilson band and target line where they apply."""
    traces = _band(kpi, rows, PALETTE[0]) + [_line(kpi, rows, scope_label, PALETTE[0])]
    layout = _layout(height=320, yaxis={**_value_axis(kpi), "title": {"text": unit_text(kpi)}}, xaxis={"type": "date"})
    if target is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": "#6b7280", "dash": "dot", "width": 1},
            }
        ]
        layout["annotations"] = [
            {
                "xref": "paper",
                "x": 1,
                "y": target,
                "text": "target",
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "bottom",
                "font": {"size": 10},
            }
        ]
    return {"data": traces, "layout": layout}


def squad_bars(kpi: Kpi, names: list[str], values: list[float | None], sizes: list[int]) -> dict:
    """Every squad's value side by side (already sorted by the caller)."""
    trace = {
        "type": "bar",
        "x": [_text(name) for name in names],
        "y": [_num(v) for v in values],
        "customdata": sizes,
        "name": kpi.label,
        "hovertemplate": "%{x}: %{y:.2f} " + unit_text(kpi) + " (n=%{customdata})<extra></extra>",
        "marker": {"color": PALETTE[0]},
    }
    yaxis: dict = {"title": {"text": unit_text(kpi)}, "gridcolor": "#eef1f4"}
    present = [v for v in trace["y"] if v is not None]
    if kpi.code == "uptime_pct" and present:
        # bars from 0 would all reach ~100 %: start the axis just below the lowest squad
        low = min(present)
        yaxis["range"] = [max(0.0, low - max((100 - low) * 0.5, 0.05)), 100]
    return {
        "data": [trace],
        "layout": _layout(
            height=340, showlegend=False, hovermode="closest", xaxis={"tickangle": -45, "automargin": True}, yaxis=yaxis
        ),
    }


def distribution(kpi: Kpi, frame: pd.DataFrame) -> dict:
    """Distribution of the squads' values per period: one box per period."""
    rows = frame[frame["value"].notna()].sort_values("period_start")
    trace = {
        "type": "box",
        "x": [_iso(d) for d in rows["period_start"]],
        "y": [_num(v) for v in rows["value"]],
        "name": "squads",
        "boxpoints": "outliers",
        "marker": {"color": PALETTE[0]},
        "text": [_text(Scope.parse(scope).slug) for scope in rows["scope"]],  # the squads' slugs
    }
    return {
        "data": [trace],
        "layout": _layout(
            height=320,
            showlegend=False,
            hovermode="closest",
            yaxis={**_value_axis(kpi), "title": {"text": unit_text(kpi)}},
        ),
    }


def customer_trends(kpis: list[Kpi], frame: pd.DataFrame, scope: str) -> dict:
    """NPS, CSAT and promise-kept lines (left axis, drawn on top) over the response counts as bars
    (right axis)."""
    traces = []
    for i, kpi in enumerate(kpis):
        rows = frame[(frame["metric"] == kpi.code) & (frame["scope"] == scope)].sort_values("period_start")
        if kpi.code == "survey_responses":
            traces.append(
                {
                    "type": "bar",
                    "name": "responses",
                    "yaxis": "y",
                    "x": [_iso(d) for d in rows["period_start"]],
                    "y": [_num(v) for v in rows["value"]],
                    "marker": {"color": "#cbd5e1"},
                    "opacity": 0.6,
                    "hovertemplate": "%{y:.0f} responses<extra></extra>",
                }
            )
        else:
            line = _line(kpi, rows, kpi.label, PALETTE[i % len(PALETTE)])
            line["yaxis"] = "y2"
            traces.append(line)
    layout = _layout(
        height=360,
        xaxis={"type": "date"},
        yaxis={"title": {"text": "responses"}, "side": "right", "showgrid": False, "rangemode": "tozero"},
        yaxis2={"title": {"text": "NPS / %"}, "overlaying": "y", "side": "left", "gridcolor": "#eef1f4"},
    )
    layout["margin"]["r"] = 56
    return {"data": traces, "layout": layout}


def stacked_bars(
    frame: pd.DataFrame,
    x: str,
    series_col: str,
    value_col: str,
    order: list[str],
    colours: dict[str, str] | None = None,
    y_title: str = "",
) -> dict:
    """Stacked bars: one trace per value of `series_col` (in `order`), x = `x`."""
    traces = []
    for i, name in enumerate(order):
        rows = frame[frame[series_col] == name].sort_values(x)
        traces.append(
            {
                "type": "bar",
                "name": _text(name),
                "x": [_iso(d) for d in rows[x]],
                "y": [_num(v) for v in rows[value_col]],
                "marker": {"color": (colours or {}).get(name, PALETTE[i % len(PALETTE)])},
            }
        )
    return {
        "data": traces,
        "layout": _layout(
            height=360,
            barmode="stack",
            hovermode="x unified",
            yaxis={"title": {"text": y_title}, "gridcolor": "#eef1f4"},
            xaxis={"type": "date"},
        ),
    }


def time_allocation(mix: pd.DataFrame, categories: list[str], names: list[str] | None = None) -> dict:
    """Stacked monthly bars of the headcount-weighted time split (%) per category, each named
    by `names` (the words shown for the category codes) when given."""
    names = names or categories
    long = mix.melt(id_vars=["month"], value_vars=categories, var_name="category", value_name="pct")
    long["category"] = long["category"].map(dict(zip(categories, names, strict=True)))
    colours = {name: TIME_COLOURS[code] for code, name in zip(categories, names, strict=True) if code in TIME_COLOURS}
    return stacked_bars(long, "month", "category", "pct", names, colours, y_title="% of time")
