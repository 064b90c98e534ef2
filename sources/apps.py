from django.apps import AppConfig


class SourcesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sources"
    verbose_name = "Sources"

    def ready(self) -> None:
        from sources import signals  # noqa: F401  (audit of source configuration)
