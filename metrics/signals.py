"""Single-row writes (admin, API, shell) mark their KPI periods dirty."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from metrics.dirty import Span, mark_spans, spans_for
from metrics.models import CustomerResponse, Defect, Incident, Release, TimeAllocation
from squads.models import Squad

TRACKED = (Release, Incident, Defect, CustomerResponse, TimeAllocation, Squad)


def _current_values(instance: Any) -> dict[str, Any]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _spans_of_change(instance: Any) -> list[Span]:
    spans = spans_for(type(instance), _current_values(instance))
    if instance._loaded_values:
        spans += spans_for(type(instance), instance._loaded_values)
    return spans


@receiver(post_save)
def mark_saved_record_dirty(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if sender not in TRACKED or raw:
        return
    extra = []
    if sender is Squad and instance._loaded_values:
        old_area = instance._loaded_values.get("area_id")
        if old_area and old_area != instance.area_id:
            from squads.models import Area

            slug = Area.objects.filter(pk=old_area).values_list("slug", flat=True).first()
            if slug:
                span = spans_for(Squad, _current_values(instance))[0]
                extra.append((f"area:{slug}", span.start, span.end))
    mark_spans(_spans_of_change(instance), extra_scopes=extra)
    instance._loaded_values = _current_values(instance)


@receiver(post_delete)
def mark_deleted_record_dirty(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender not in TRACKED or sender is Squad:
        return
    mark_spans(_spans_of_change(instance))
