from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts, subscriptions and digests"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts import receivers

        receivers.connect()
