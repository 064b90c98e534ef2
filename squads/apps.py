from django.apps import AppConfig


class SquadsConfig(AppConfig):
    name = "squads"
    verbose_name = "Squads and roles"

    def ready(self) -> None:
        from squads import pm  # noqa: F401  (connects the pm_email link signals)
