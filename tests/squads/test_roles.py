import pytest
from django.contrib.auth.models import Group

from squads.roles import ROLE_PERMISSIONS, can_write_squad_record
from tests.factories import SquadFactory


@pytest.mark.django_db
def test_migration_creates_every_role_with_exactly_its_permissions():
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        stored = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert stored == perms


@pytest.mark.django_db
def test_pm_writes_only_own_squads_records(users, squad_a, squad_b):
    pm = users["pm"]
    assert can_write_squad_record(pm, "metrics.release", squad_a.id)
    assert not can_write_squad_record(pm, "metrics.release", squad_b.id)
    assert not can_write_squad_record(pm, "metrics.customerresponse", squad_a.id)
    assert not can_write_squad_record(users["viewer"], "metrics.release", squad_a.id)
    assert can_write_squad_record(users["admin"], "metrics.release", SquadFactory().id)
