"""A squad's PM is the user its `pm_email` names — with the PM's write rights, no second step.

Two halves:
- `SquadPMBackend` (in AUTHENTICATION_BACKENDS) grants the squad PM role's model permissions
  to any active user who manages a squad, whether or not they are in the `squad_pm` group;
  which squads they may write is still `squads.roles.can_write_squad_record` (their own).
- the `pm` link follows `pm_email` both ways: a squad saved with a known email links that
  user (the record services do it), and a user created or given that email later is linked
  here; a PM also gets admin-site access (`is_staff`) like the role's members.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db.models.signals import post_save
from django.dispatch import receiver

from squads.models import Squad
from squads.roles import ROLE_PERMISSIONS, SQUAD_PM

_CACHE = "_squad_pm_perm_cache"


class SquadPMBackend(BaseBackend):
    """Authenticates nobody; answers permission checks for the users squads name as PM."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if not hasattr(user_obj, _CACHE):
            manages = Squad.objects.filter(pm=user_obj).exists()
            setattr(user_obj, _CACHE, set(ROLE_PERMISSIONS[SQUAD_PM]) if manages else set())
        return getattr(user_obj, _CACHE)


@receiver(post_save, sender=get_user_model(), dispatch_uid="squads.pm.link_user")
def link_user_to_named_squads(sender: type, instance: Any, **kwargs: Any) -> None:
    """A user whose email some squad's pm_email names becomes that squad's PM."""
    if instance.email:
        named = Squad.objects.filter(pm_email__iexact=instance.email).exclude(pm=instance)
        if named.exists():
            for squad in named:  # one save per squad: the record's own signals (audit, dirty marks) run
                squad.pm = instance
                squad.save(update_fields=["pm"])
    if not instance.is_staff and Squad.objects.filter(pm=instance).exists():
        type(instance).objects.filter(pk=instance.pk).update(is_staff=True)
        instance.is_staff = True


@receiver(post_save, sender=Squad, dispatch_uid="squads.pm.staff")
def pm_gets_admin_access(sender: type, instance: Squad, **kwargs: Any) -> None:
    if instance.pm_id:
        get_user_model().objects.filter(pk=instance.pm_id, is_staff=False).update(is_staff=True)
