from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from audit import signals  # noqa: F401  (connects auth and record receivers)
        from audit.forms import LockoutAdminAuthenticationForm

        admin.site.login_form = LockoutAdminAuthenticationForm
