"""Admin writes through the one validation path (`metrics.records.services`).

The admin form still runs the model's `full_clean()` (the same rules the
service runs, via `metrics.records.ingest.kinds`), so ordinary mistakes show on their
field before anything is saved. The save itself is `services.save_record` with
the import-format cells of the edited object and the signed-in user, so PM
scope and every rule are checked exactly as for the API and CSV import. Should
the service still refuse (a rule only it or the database knows, or a
concurrent write), the admin's transaction rolls back and the form is shown
again with the service's messages on their fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from metrics.records import services
from metrics.records.admin.csv_views import CsvAdminMixin
from metrics.records.ingest.kinds import KINDS

_ERRORS_ATTR = "_service_errors"


class ServiceRejected(Exception):
    """The service refused a save; `errors` maps form prefix ("" = main form) → message_dict."""

    def __init__(self, errors: dict[str, dict[str, list[str]]]) -> None:
        super().__init__(errors)
        self.errors = errors


def with_service_errors(form_class: type, request: HttpRequest) -> type:
    """`form_class` that also shows errors a previous, rolled-back service save reported."""

    class ServiceErrorsForm(form_class):
        def _post_clean(self) -> None:
            super()._post_clean()
            for name, reasons in getattr(request, _ERRORS_ATTR, {}).get(self.prefix or "", {}).items():
                field = name if name in self.fields and name != NON_FIELD_ERRORS else None
                self.add_error(field, reasons)

    ServiceErrorsForm.__name__ = form_class.__name__
    return ServiceErrorsForm


def save_via_service(kind: str, obj: models.Model, user: Any, *, change: bool, prefix: str = "") -> None:
    """Save the admin-edited `obj` with `services.save_record`, then give `obj` the stored pk.

    The admin form has already changed `obj` in memory, so the scope check of the
    record's *old* squad uses a fresh copy from the database.
    """
    record_kind = KINDS[kind]
    original = type(obj)._default_manager.get(pk=obj.pk) if change and obj.pk else None
    try:
        saved = services.save_record(kind=kind, data=record_kind.to_row(obj), user=user, instance=original)
    except ValidationError as exc:
        raise ServiceRejected({prefix: exc.message_dict}) from exc
    obj.pk = saved.pk
    obj._state.adding = False


def delete_via_service(obj: models.Model, user: Any) -> None:
    services.delete_record(instance=obj, user=user)


class ServiceWriteMixin:
    """ModelAdmin whose saves and deletes go through `metrics.records.services` (kind in `self.kind`)."""

    kind: str

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return with_service_errors(super().get_form(request, obj, change=change, **kwargs), request)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # The admin's atomic block has rolled everything back; render the form again with the errors.
            setattr(request, _ERRORS_ATTR, rejected.errors)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_via_service(self.kind, obj, request.user, change=change)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_via_service(obj, request.user)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            for obj in queryset:
                delete_via_service(obj, request.user)


class ServiceInlineMixin:
    """Inline whose rows are saved by the parent admin's `save_formset` through the service."""

    kind: str

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = with_service_errors(formset.form, request)
        formset.service_kind = self.kind
        return formset


class ServiceFormsetsMixin:
    """Parent admin: rows of `ServiceInlineMixin` inlines are written one by one via the service."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        kind = getattr(formset, "service_kind", None)
        if kind is None:
            super().save_formset(request, form, formset, change)
            return
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            delete_via_service(obj, request.user)
        prefixes = {id(f.instance): f.prefix for f in formset.forms}
        for obj in instances:
            save_via_service(kind, obj, request.user, change=bool(obj.pk), prefix=prefixes.get(id(obj), ""))


class RecordAdmin(CsvAdminMixin, ServiceWriteMixin, admin.ModelAdmin):
    """A record kind of docs/records.md: service-backed writes, CSV import with preview, CSV export."""

    show_full_result_count = False  # record tables grow large; skip the second COUNT(*)
