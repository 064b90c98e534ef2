from django.apps import AppConfig


class MetricsConfig(AppConfig):
    """One app label, `metrics`, for two layers: `metrics.records` and `metrics.kpis`."""

    name = "metrics"
    verbose_name = "Records and KPIs"

    def ready(self) -> None:
        from metrics.kpis import receivers  # noqa: F401  (marks KPI periods dirty when records change)
        from metrics.records import signals  # noqa: F401  (announces record changes)
