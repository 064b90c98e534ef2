"""Data never becomes markup in a Plotly chart (issue 15, defect 8).

Plotly renders a subset of HTML (`<a href>`, `<b>`, `<br>`, `<span style>`) in names,
labels, hover texts and tick labels. Every string that comes from records — squad names,
release versions, incident titles, survey themes, scope labels — is escaped before it
reaches a figure, and shows as the literal text (Plotly decodes `&lt;` back to `<`).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from dashboards import charts
from metrics.kpis.catalog import CATALOG as KPI_BY_CODE

HOSTILE = '<a href="https://evil.example/">click</a>'
ESCAPED = '&lt;a href="https://evil.example/"&gt;click&lt;/a&gt;'


def rows(scope: str = "org", metric: str = "incidents") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period_start": [date(2026, 1, 1), date(2026, 2, 1)],
            "value": [1.0, 2.0],
            "sample_size": [3, 4],
            "scope": [scope, scope],
            "metric": [metric, metric],
        }
    )


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


def assert_no_live_markup(figure: dict) -> None:
    json.dumps(figure)  # what the page embeds
    texts = strings(figure)
    assert not [t for t in texts if "<a " in t]
    assert any(ESCAPED in t for t in texts)  # still shown, as text


def test_scope_and_comparison_labels_are_escaped():
    kpi = KPI_BY_CODE["incidents"]
    figure = charts.family_trends(
        [kpi], {kpi.code: rows()}, scope_label=HOSTILE, comparison={kpi.code: rows()}, comparison_label=HOSTILE
    )
    assert_no_live_markup(figure)
    assert_no_live_markup(charts.metric_trend(kpi, rows(), HOSTILE))


def test_release_versions_and_incident_titles_in_markers_are_escaped():
    kpi = KPI_BY_CODE["incidents"]
    base = charts.family_trends([kpi], {kpi.code: rows()}, scope_label="Alpha")
    figure = charts.with_markers(base, [(date(2026, 1, 5), HOSTILE, "succeeded")], [(date(2026, 1, 6), 2, HOSTILE)])
    assert_no_live_markup(figure)


def test_squad_names_on_bars_and_boxes_are_escaped():
    kpi = KPI_BY_CODE["incidents"]
    assert_no_live_markup(charts.squad_bars(kpi, [HOSTILE, "Bravo"], [1.0, 2.0], [3, 4]))
    assert_no_live_markup(charts.distribution(kpi, rows(scope=f"squad:{HOSTILE}")))


def test_survey_themes_in_stacked_bars_are_escaped():
    frame = pd.DataFrame({"period_start": [date(2026, 1, 1)], "top_problem": [HOSTILE], "responses": [5]})
    assert_no_live_markup(charts.stacked_bars(frame, "period_start", "top_problem", "responses", [HOSTILE]))
