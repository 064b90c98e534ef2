"""Demo sign-ins, one per role of docs/roles.md, for `seed_demo`.

The passwords are printed by the command and pass Django's password
validators; they exist only for a demo database, never for production data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password

from metrics.kpis.models import Baseline, Target
from metrics.records.models import CustomerResponse, Defect, Incident, Release, Survey, TimeAllocation
from squads.models import Area, Squad
from squads.roles import ADMIN, OPS_STAFF, SQUAD_PM, VIEWER


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    group: str
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@demo.productops.example"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("viewer", "demo-viewer-2026", VIEWER),
    DemoUser("pm", "demo-pm-2026", SQUAD_PM, is_staff=True),
    DemoUser("ops", "demo-ops-2026", OPS_STAFF, is_staff=True),
    DemoUser("admin", "demo-admin-2026", ADMIN, is_staff=True, is_superuser=True),
)

_DATA_MODELS = (Area, Squad, Survey, Release, Incident, Defect, CustomerResponse, TimeAllocation, Target, Baseline)


def existing_data() -> list[str]:
    """What already lives in the database that a demo seed would clash with."""
    found = [str(model._meta.verbose_name_plural) for model in _DATA_MODELS if model.objects.exists()]
    taken = get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS])
    found += [f"user {name!r}" for name in taken.order_by("username").values_list("username", flat=True)]
    return found


def usable_demo_users() -> list[DemoUser]:
    """The demo users that exist, are active and still have their demo password."""
    by_name = {u.username: u for u in get_user_model().objects.filter(username__in=[d.username for d in DEMO_USERS])}
    return [
        spec
        for spec in DEMO_USERS
        if spec.username in by_name
        and by_name[spec.username].is_active
        and by_name[spec.username].check_password(spec.password)
    ]


def create_demo_users(pm_squads: list[Squad]) -> dict[str, AbstractUser]:
    """Create the demo users; the `pm` user becomes PM of `pm_squads` (by `pm` and `pm_email`)."""
    user_model = get_user_model()
    users: dict[str, AbstractUser] = {}
    for spec in DEMO_USERS:
        user = user_model(
            username=spec.username, email=spec.email, is_staff=spec.is_staff, is_superuser=spec.is_superuser
        )
        validate_password(spec.password, user)
        user.set_password(spec.password)
        user.save()
        user.groups.add(Group.objects.get(name=spec.group))
        users[spec.username] = user
    pm = users["pm"]
    # queryset.update: no dirty marks, the seed is followed by a full rollup anyway
    Squad.objects.filter(pk__in=[s.pk for s in pm_squads]).update(pm=pm, pm_email=pm.email)
    return users
