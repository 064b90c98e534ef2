"""`seed_demo_reviews` after a small demo seed: a frozen org review with a decision, the PM's squad
review with one open and one done action item, two alert rules; a second run adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from alerts.models import AlertRule
from reviews.models import ActionItem, Note, Review

pytestmark = pytest.mark.django_db


def test_seed_demo_reviews(settings) -> None:
    with pytest.raises(CommandError, match="run seed_demo first"):
        call_command("seed_demo_reviews")
    settings.KPI_ROLLUP_ON_COMMIT = False
    call_command("seed_demo", "--squads", "4", "--areas", "2", "--years", "0.3", "--scale", "0.2")
    call_command("seed_demo_reviews")
    assert Review.objects.count() == 2
    assert not Review.objects.filter(frozen_at__isnull=True).exists()
    org = Review.objects.get(scope="org")
    assert org.frozen_values.filter(metric="releases").exists()
    assert Note.objects.filter(review=org, kind="decision").count() == 1
    assert sorted(ActionItem.objects.values_list("state", flat=True)) == ["done", "open"]
    assert AlertRule.objects.count() == 2
    call_command("seed_demo_reviews")
    assert Review.objects.count() == 2
