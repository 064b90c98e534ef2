"""Areas and squads: the org structure every record and KPI scope hangs off."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.loaded_values import RemembersLoadedValues
from core.scope import squad_scope


class Area(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug


class Squad(RemembersLoadedValues, models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="squads")
    pm_email = models.EmailField(blank=True, help_text="The squad PM; links the user with this email.")
    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_squads",
        help_text="Set from pm_email when a user with that email exists.",
    )
    monthly_cost_per_head = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_cost_per_head__gte=0), name="squad_cost_per_head_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        return squad_scope(self.slug)
