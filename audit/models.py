"""The audit trail: one append-only row per security-relevant event."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditEvent(models.Model):
    """Who did what, when, to which record. Rows are only ever inserted."""

    class Action(models.TextChoices):
        LOGIN = "login"
        LOGIN_FAILED = "login_failed"
        LOGOUT = "logout"
        PERMISSION_DENIED = "permission_denied"
        IMPORT = "import"
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"

    at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted.")
    action = models.CharField(max_length=20, choices=Action.choices)
    model_label = models.CharField(max_length=100, blank=True, help_text="e.g. metrics.release")
    object_key = models.CharField(max_length=200, blank=True, help_text="external_id, slug or pk")
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="field → [old, new]")
    ip = models.GenericIPAddressField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"], name="audit_at_idx"),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.model_label} {self.object_key}" if self.model_label else ""
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}{target}"
