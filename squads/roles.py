"""The roles of docs/roles.md, as groups with model permissions, plus the squad
scope rule for PMs. The permission map here is both the rule and what the
role tests walk."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

VIEWER = "viewer"
SQUAD_PM = "squad_pm"
OPS_STAFF = "ops_staff"
ADMIN = "admin"
ROLES = (VIEWER, SQUAD_PM, OPS_STAFF, ADMIN)

_ALL_MODELS = (
    "squads.area",
    "squads.squad",
    "metrics.release",
    "metrics.change",
    "metrics.incident",
    "metrics.defect",
    "metrics.survey",
    "metrics.customerresponse",
    "metrics.timeallocation",
    "metrics.kpisnapshot",
    "metrics.target",
    "metrics.baseline",
    "metrics.rolluprun",
    "bets.bet",
    "bets.bettarget",
    "bets.plannedheadcount",
)
#: A PM writes bets whose treatment squads are all theirs (checked in `bets.services`).
BET_MODELS = ("bets.bet", "bets.bettarget", "bets.plannedheadcount")
SQUAD_SCOPED_MODELS = ("metrics.release", "metrics.change", "metrics.incident", "metrics.defect")
# Reviews and alerts: everyone reads and follows scopes; ops staff write reviews and rules; a PM writes
# notes and action items, on reviews of their own squads only (reviews.permissions says which).
REVIEW_MODELS = (
    "reviews.review",
    "reviews.note",
    "reviews.actionitem",
    "alerts.alertrule",
    "alerts.alert",
    "alerts.subscription",
)
PM_REVIEW_MODELS = ("reviews.note", "reviews.actionitem")
OPS_REVIEW_MODELS = ("reviews.review", "reviews.note", "reviews.actionitem", "alerts.alertrule")
EVERYONE_WRITES = ("alerts.subscription",)
OPS_MODELS = (
    "squads.area",
    "squads.squad",
    "metrics.survey",
    "metrics.customerresponse",
    "metrics.timeallocation",
    "metrics.target",
    "metrics.baseline",
    *BET_MODELS,
)


def _perms(models: tuple[str, ...], actions: tuple[str, ...]) -> set[str]:
    out = set()
    for label in models:
        app, model = label.split(".")
        out |= {f"{app}.{action}_{model}" for action in actions}
    return out


_EVERYONE = _perms(REVIEW_MODELS, ("view",)) | _perms(EVERYONE_WRITES, ("add", "delete")) | {"alerts.change_alert"}
ROLE_PERMISSIONS: dict[str, set[str]] = {
    VIEWER: _perms(_ALL_MODELS, ("view",)) | _EVERYONE,
    SQUAD_PM: _perms(_ALL_MODELS, ("view",))
    | _perms(SQUAD_SCOPED_MODELS, ("add", "change", "delete"))
    | _perms(BET_MODELS, ("add", "change", "delete"))
    | _EVERYONE
    | _perms(PM_REVIEW_MODELS, ("add", "change")),
    OPS_STAFF: _perms(_ALL_MODELS, ("view",))
    | _perms(OPS_MODELS, ("add", "change", "delete"))
    | _EVERYONE
    | _perms(OPS_REVIEW_MODELS, ("add", "change", "delete")),
    # Sources (tool connections with credentials) are the admins' alone.
    ADMIN: _perms(_ALL_MODELS, ("view", "add", "change", "delete"))
    | _perms(("sources.source",), ("view", "add", "change", "delete"))
    | _EVERYONE
    | _perms(OPS_REVIEW_MODELS, ("add", "change", "delete")),
}


def is_unrestricted(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Admins write any squad's records; everyone else is limited by `own_squad_ids`."""
    return bool(user.is_superuser or user.groups.filter(name__in=[ADMIN, OPS_STAFF]).exists())


def own_squad_ids(user: Any) -> set[int]:
    """Squads whose releases, incidents and defects the user may write."""
    if not user.is_authenticated:
        return set()
    return set(user.managed_squads.values_list("id", flat=True))


def can_write_squad_record(user: Any, model_label: str, squad_id: int | None) -> bool:
    """May `user` create/change/delete a `model_label` record of squad `squad_id`?"""
    if not user.is_authenticated or not user.is_active:
        return False
    app, model = model_label.split(".")
    if not user.has_perm(f"{app}.change_{model}") and not user.has_perm(f"{app}.add_{model}"):
        return False
    if user.is_superuser or user.groups.filter(name=ADMIN).exists():
        return True
    if model_label in SQUAD_SCOPED_MODELS:
        return squad_id is not None and squad_id in own_squad_ids(user)
    return True


def password_sign_in_allowed(user: Any) -> bool:
    """Password sign-in while single sign-on is on (OIDC_RP_CLIENT_ID set): admins only — local
    accounts are their break-glass — unless LOCAL_LOGIN_ADMINS_ONLY is off."""
    from django.conf import settings

    if not getattr(settings, "OIDC_RP_CLIENT_ID", "") or not getattr(settings, "LOCAL_LOGIN_ADMINS_ONLY", True):
        return True
    return bool(user.is_superuser or user.groups.filter(name=ADMIN).exists())
