"""A source: one connection to one tool (GitHub, GitLab, Jira, PagerDuty).

Configuration (what to read, which squad owns what) is edited by admins or
provisioned by `load_sources`; the run state (cursor, last success/error,
counts, examples of skipped items) is written only by the sync itself, with
queryset updates so it is neither audited nor mistaken for a config change.
Secrets are stored encrypted (`sources.secrets`) or read from an environment
variable named here; they are never shown back.
"""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from sources import secrets

NAME_PATTERN = r"^[a-z0-9-]+$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Source(models.Model):
    class Kind(models.TextChoices):
        GITHUB = "github"
        GITLAB = "gitlab"
        JIRA = "jira"
        PAGERDUTY = "pagerduty"

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(NAME_PATTERN, "lower-case letters, digits and - only")],
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    enabled = models.BooleanField(default=True, help_text="Disabled sources are not synced by the schedule.")
    base_url = models.URLField(max_length=300, help_text="The tool's API root, e.g. https://api.github.com.")
    token_encrypted = models.TextField(blank=True, editable=False)
    token_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[RegexValidator(ENV_NAME_PATTERN, "an environment variable name")],
        help_text="Read the token from this environment variable (wins over a stored token).",
    )
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_env = models.CharField(
        max_length=100, blank=True, validators=[RegexValidator(ENV_NAME_PATTERN, "an environment variable name")]
    )
    since = models.DateField(null=True, blank=True, help_text="Start of the window for a full sync.")
    squads = models.JSONField(
        default=dict,
        blank=True,
        help_text="Tool key → squad slug (github owner/repo, gitlab group/project, jira project key, "
        "pagerduty service id). Anything unmapped is skipped and counted.",
    )
    environment = models.CharField(max_length=100, blank=True, help_text="github/gitlab; default production.")
    jql = models.CharField(max_length=1000, blank=True, help_text="jira; default: issuetype = Bug.")
    customer_label = models.CharField(max_length=100, blank=True, help_text="jira; default: customer.")
    user_env = models.CharField(
        max_length=100,
        blank=True,
        validators=[RegexValidator(ENV_NAME_PATTERN, "an environment variable name")],
        help_text="jira: the variable holding the account e-mail for basic auth.",
    )

    # -- run state, written by the sync only ------------------------------------------------------
    cursor = models.JSONField(default=dict, blank=True, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_created = models.PositiveIntegerField(default=0, editable=False)
    last_updated = models.PositiveIntegerField(default=0, editable=False)
    last_unchanged = models.PositiveIntegerField(default=0, editable=False)
    last_unmapped = models.PositiveIntegerField(default=0, editable=False)
    last_malformed = models.PositiveIntegerField(default=0, editable=False)
    unmapped_examples = models.JSONField(default=dict, blank=True, editable=False)
    malformed_examples = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(name__regex=NAME_PATTERN), name="source_name_slug"),
            models.CheckConstraint(
                condition=Q(kind__in=["github", "gitlab", "jira", "pagerduty"]), name="source_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.squads, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in self.squads.items()
        ):
            raise ValidationError({"squads": "a table of tool key → squad slug (both text)."})

    # -- secrets ---------------------------------------------------------------------------------
    def set_token(self, plain: str) -> None:
        self.token_encrypted = secrets.encrypt(plain)

    def set_webhook_secret(self, plain: str) -> None:
        self.webhook_secret_encrypted = secrets.encrypt(plain)

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted or self.token_env)

    @property
    def has_webhook_secret(self) -> bool:
        return bool(self.webhook_secret_encrypted or self.webhook_secret_env)

    def token(self) -> str:
        """The tool token: from `token_env` when named, else the stored one ("" when none)."""
        if self.token_env:
            return os.environ.get(self.token_env, "")
        return secrets.decrypt(self.token_encrypted)

    def webhook_secret(self) -> str:
        if self.webhook_secret_env:
            return os.environ.get(self.webhook_secret_env, "")
        return secrets.decrypt(self.webhook_secret_encrypted)

    # -- kind defaults ---------------------------------------------------------------------------
    @property
    def effective_environment(self) -> str:
        return self.environment or "production"

    @property
    def effective_jql(self) -> str:
        return self.jql or "issuetype = Bug"

    @property
    def effective_customer_label(self) -> str:
        return self.customer_label or "customer"

    @property
    def failing(self) -> bool:
        """The last run failed (no success since the last error)."""
        return self.last_error_at is not None and (
            self.last_success_at is None or self.last_error_at >= self.last_success_at
        )
