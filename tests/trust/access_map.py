"""THE access rule of docs/roles.md as one role × area × action × own/other-squad map.

It is both the rule and the test matrix: `test_access_matrix.py` walks every URL
pattern of the URLconf for every role and method and compares the answer with
`expect(...)`. Model permissions come from `squads.roles.ROLE_PERMISSIONS` (the
groups' grants); this module adds what the groups cannot say: the PM's
own-squad limit, models nobody writes, the API's offered methods and who sees
which area at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from squads.roles import ADMIN, OPS_STAFF, ROLE_PERMISSIONS, SQUAD_PM, SQUAD_SCOPED_MODELS, VIEWER

ROLES = ("anonymous", "viewer", "pm", "ops", "admin")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
GROUP_OF = {"viewer": VIEWER, "pm": SQUAD_PM, "ops": OPS_STAFF, "admin": ADMIN}
STAFF = {"pm", "ops", "admin"}  # may enter the Django admin at all
SUPERUSERS = {"admin"}  # every permission, including auth users/groups, tokens and the audit log

#: Models a PM writes only for their own squads: the squad-scoped records, and bets (all treatment squads).
OWN_SQUAD_MODELS = (*SQUAD_SCOPED_MODELS, "bets.bet")
#: Written by the system only (rollup, dirty marking, audit): read-only in the admin even for admins.
SYSTEM_MODELS = {"metrics.kpisnapshot", "metrics.rolluprun", "metrics.dirtyrange", "audit.auditevent"}
#: Only admins may look at these at all.
ADMIN_ONLY_MODELS = {"audit.auditevent"}

# Expected answer classes.
ALLOW = "allow"  # served: 2xx/3xx, or 400 (authorised, payload invalid)
DENY = "deny"  # 401/403
LOGIN = "login"  # redirect to a sign-in page
NOT_OFFERED = "not_offered"  # 405 (or 401/403: refusal may come first)
ANY = "any"  # anything but a server error (public pages, sign-out, admin helpers)
READ_ONLY = "read_only"  # any answer but a server error, and nothing written (checked in the audit log)


@dataclass(frozen=True)
class Check:
    role: str
    method: str
    url: str
    expected: str
    note: str = ""


def perms(role: str) -> set[str]:
    if role == "anonymous":
        return set()
    return ROLE_PERMISSIONS[GROUP_OF[role]]


def has_perm(role: str, model_label: str, action: str) -> bool:
    """Does the role's group grant `<action>` on the model (superusers: everything)?"""
    if role in SUPERUSERS:
        return True
    app, model = model_label.split(".")
    return f"{app}.{action}_{model}" in perms(role)


def may_write(role: str, model_label: str, action: str, squad: str | None) -> bool:
    """The write rule: the model permission, nothing on system models, and PMs only on their own squads."""
    if model_label in SYSTEM_MODELS or not has_perm(role, model_label, action):
        return False
    if model_label in OWN_SQUAD_MODELS and role not in SUPERUSERS and role != "ops":
        return squad == "own"
    return True


def may_view(role: str, model_label: str) -> bool:
    if model_label in ADMIN_ONLY_MODELS:
        return role in SUPERUSERS
    return has_perm(role, model_label, "view") or has_perm(role, model_label, "change")


# ---------------------------------------------------------------------------------------------- pages


def expect_page(role: str, method: str) -> str:
    """Dashboards: every signed-in user reads everything; pages write nothing (whatever the method)."""
    if role == "anonymous":
        return LOGIN
    return ALLOW if method == "GET" else READ_ONLY


def expect_sources_page(role: str, method: str) -> str:
    """The sources status page: ops staff and admins only; it writes nothing."""
    if role == "anonymous":
        return LOGIN
    if role not in {"ops", "admin"}:
        return DENY
    return ALLOW if method == "GET" else READ_ONLY


def expect_hook(role: str, method: str) -> str:
    """Webhooks authenticate by the tool's signature, not a session: nobody writes without one."""
    return READ_ONLY


# ---------------------------------------------------------------------------------------------- API

API_OFFERS = {"list": {"GET", "POST"}, "detail": {"GET", "PUT", "PATCH"}, "other": {"GET"}}
#: Written by the system only (alerts are fired by rule evaluation): the API lists them, creates none.
API_READ_ONLY_MODELS = {"alerts.alert"}


def expect_api(role: str, method: str, kind: str, model_label: str | None, squad: str | None) -> str:
    """`kind` is list/detail/other (KPIs, catalog, schema, docs, root). No DELETE anywhere (see docs/api.md)."""
    if role == "anonymous":
        return DENY
    if method not in API_OFFERS[kind] or (model_label in API_READ_ONLY_MODELS and method != "GET"):
        return NOT_OFFERED
    if method == "GET":
        return ALLOW
    action = "add" if method == "POST" else "change"
    return ALLOW if model_label and may_write(role, model_label, action, squad) else DENY


# ---------------------------------------------------------------------------------------------- admin

#: The Django admin's model URL suffixes → the permission each needs (GET / POST).
ADMIN_VIEWS = {
    "changelist": ("view", "view"),  # POST without an action or list_editable changes nothing
    "history": ("view", "view"),
    "export": ("view", "view"),
    "add": ("add", "add"),
    "import": ("import", "import"),
    "change": ("view", "change"),
    "delete": ("delete", "delete"),
    "password_change": ("change", "change"),  # another user's password: auth.change_user
    "redirect": ("any", "any"),  # <object_id>/ → <object_id>/change/
}


def expect_admin_model(role: str, method: str, model_label: str, view: str, squad: str | None) -> str:
    if role not in STAFF:
        return LOGIN
    get_action, post_action = ADMIN_VIEWS[view]
    squad = squad or "own"  # object-less views (add, import): a PM works within their own squads
    # The admin's views treat PUT/PATCH/DELETE like GET: they render and change nothing.
    action = post_action if method == "POST" else get_action
    if action == "any":
        return READ_ONLY
    if action == "view":
        return ALLOW if may_view(role, model_label) else DENY
    if action == "import":
        ok = may_write(role, model_label, "add", squad) and may_write(role, model_label, "change", squad)
        return ALLOW if ok else DENY
    return ALLOW if may_write(role, model_label, action, squad) else DENY


def expect_admin_site(role: str, method: str, name: str) -> str:
    """Admin pages not tied to a model (index, app list, password change, helpers)."""
    if name == "admin:catch_all":  # an unknown admin URL
        return LOGIN if role not in STAFF else NOT_OFFERED
    if name in {"admin:login", "admin:logout"}:
        return ANY  # the admin sends non-staff from logout to its index, hence to its login
    if role not in STAFF:
        return LOGIN
    if name in {"admin:index", "admin:app_list", "admin:password_change", "admin:password_change_done"}:
        return ALLOW if method == "GET" else ANY
    return ANY
