"""Reviews, alerts and e-mails print values exactly as the pages do (one format, in the catalog)."""

from __future__ import annotations

from reviews.formatting import format_value


def test_values_print_in_the_kpis_unit_with_the_orgs_currency(settings) -> None:
    settings.CURRENCY_SYMBOL = "£"
    assert format_value("support_cost", 421731.6) == "£421,732"
    assert format_value("uptime_pct", 99.594) == "99.59 %"
    assert format_value("escaped_defect_rate", 28.94) == "28.9 %"
    assert format_value("mttr_hours", 16.94) == "16.9 h"
    assert format_value("nps", 40.0) == "+40"
    assert format_value("incidents", None) == "–"
    assert format_value("no_such_kpi", 1.234) == "1.23"
