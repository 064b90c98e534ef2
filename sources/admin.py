"""Sources in the Django admin (admins only): configuration, secrets write-only, run state read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from sources.models import Source
from sources.selectors import unmapped_keys


class SourceForm(forms.ModelForm):
    """Secrets are entered here and never displayed again: blank keeps the stored one."""

    token = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again. Leave blank to keep the current token.",
    )
    clear_token = forms.BooleanField(required=False, help_text="Remove the stored token.")
    webhook_secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; never shown again. Leave blank to keep the current secret.",
    )
    clear_webhook_secret = forms.BooleanField(required=False)

    class Meta:
        model = Source
        fields = [
            "name",
            "kind",
            "enabled",
            "base_url",
            "token_env",
            "webhook_secret_env",
            "since",
            "squads",
            "environment",
            "jql",
            "customer_label",
            "user_env",
        ]

    def save(self, commit: bool = True) -> Source:
        source = super().save(commit=False)
        if self.cleaned_data.get("clear_token"):
            source.set_token("")
        elif self.cleaned_data.get("token"):
            source.set_token(self.cleaned_data["token"])
        if self.cleaned_data.get("clear_webhook_secret"):
            source.set_webhook_secret("")
        elif self.cleaned_data.get("webhook_secret"):
            source.set_webhook_secret(self.cleaned_data["webhook_secret"])
        if commit:
            source.save()
        return source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "kind", "enabled", "state", "last_success_at", "last_error_at", "last_unmapped")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    readonly_fields = (
        "token_stored",
        "webhook_secret_stored",
        "state",
        "last_run_at",
        "last_success_at",
        "last_error_at",
        "last_error",
        "last_counts",
        "what_to_map_next",
        "malformed_items",
        "cursor",
    )
    fieldsets = (
        (None, {"fields": ("name", "kind", "enabled", "base_url", "since", "squads")}),
        (
            "Credentials",
            {
                "fields": (
                    "token_env",
                    "token_stored",
                    "token",
                    "clear_token",
                    "webhook_secret_env",
                    "webhook_secret_stored",
                    "webhook_secret",
                    "clear_webhook_secret",
                )
            },
        ),
        ("Kind settings", {"fields": ("environment", "jql", "customer_label", "user_env")}),
        (
            "Last run",
            {
                "fields": (
                    "state",
                    "last_run_at",
                    "last_success_at",
                    "last_error_at",
                    "last_error",
                    "last_counts",
                    "what_to_map_next",
                    "malformed_items",
                    "cursor",
                )
            },
        ),
    )

    @admin.display(description="token stored")
    def token_stored(self, obj: Source) -> str:
        return "yes (encrypted)" if obj.token_encrypted else "no"

    @admin.display(description="webhook secret stored")
    def webhook_secret_stored(self, obj: Source) -> str:
        return "yes (encrypted)" if obj.webhook_secret_encrypted else "no"

    @admin.display(description="state")
    def state(self, obj: Source) -> str:
        if obj.failing:
            return "failing"
        return "never run" if obj.last_run_at is None else "ok"

    @admin.display(description="last run")
    def last_counts(self, obj: Source) -> str:
        return (
            f"{obj.last_created} created, {obj.last_updated} updated, {obj.last_unchanged} unchanged, "
            f"{obj.last_unmapped} unmapped, {obj.last_malformed} malformed"
        )

    @admin.display(description="what to map next")
    def what_to_map_next(self, obj: Source) -> Any:
        keys = unmapped_keys(obj)
        if not keys:
            return "-"
        return format_html_join(
            "",
            "<div><code>{}</code>: {} item(s), e.g. {}</div>",
            ((k.key, k.count, ", ".join(k.examples[:3])) for k in keys[:20]),
        )

    @admin.display(description="malformed items")
    def malformed_items(self, obj: Source) -> Any:
        rows = obj.malformed_examples or []
        if not rows:
            return "-"
        return format_html_join("", "<div>{}: {}</div>", ((r.get("item"), r.get("reason")) for r in rows))

    def get_changeform_initial_data(self, request: Any) -> dict[str, Any]:
        return {"squads": {}}

    def render_change_form(self, request: Any, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        context["adminform"].form.fields["squads"].help_text = format_html(
            "{}<br>e.g. <code>{}</code>",
            Source._meta.get_field("squads").help_text,
            '{"acme/checkout-web": "checkout"}',
        )
        return super().render_change_form(request, context, *args, **kwargs)
