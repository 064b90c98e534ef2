from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts, subscriptions and digests"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts import receivers
        from alerts.models import Alert, AlertRule, Subscription
        from metrics.records.signals import announce_changes_of

        receivers.connect()
        # Rules written, alerts fired and acknowledged, scopes followed: all in the audit log.
        for model in (AlertRule, Alert, Subscription):
            announce_changes_of(model)
