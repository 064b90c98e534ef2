from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Records and KPIs"

    def ready(self) -> None:
        from metrics import signals  # noqa: F401  (connects dirty-marking receivers)
