"""`manage.py seed_demo_reviews`: after `seed_demo`, a frozen demo review with notes and action
items, and two alert rules (see `reviews.demo`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reviews.demo import create_demo_reviews
from reviews.models import Review


class Command(BaseCommand):
    help = "Add demo reviews, action items and alert rules to a database seeded with seed_demo."

    def handle(self, *args: Any, **options: Any) -> None:
        if Review.objects.exists():
            self.stdout.write("reviews already exist; nothing seeded")
            return
        if get_user_model().objects.filter(username__in=["ops", "pm"]).count() != 2:
            raise CommandError("run seed_demo first: the demo users ops and pm are needed")
        with transaction.atomic():
            counts = create_demo_reviews()
        self.stdout.write("Seeded " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items()) + ".")
