"""Who may do what with reviews and alert rules (the roles of docs/roles.md).

Ops staff and admins create and freeze reviews and write alert rules; a squad's PM adds notes
and action items only to reviews of the squads they manage; everyone signed in reads, and
follows scopes for themselves."""

from __future__ import annotations

from typing import Any

from squads.models import Squad
from squads.roles import own_squad_ids


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_manage_reviews(user: Any) -> bool:
    """Create and freeze reviews: ops staff and admins (the role grant `reviews.add_review`)."""
    return _signed_in(user) and bool(user.has_perm("reviews.add_review"))


def can_write_rules(user: Any) -> bool:
    """Write alert rules: ops staff and admins (`alerts.add_alertrule`)."""
    return _signed_in(user) and bool(user.has_perm("alerts.add_alertrule"))


def managed_squad_scopes(user: Any) -> set[str]:
    """`squad:<slug>` of every squad the user is PM of."""
    if not _signed_in(user):
        return set()
    slugs = Squad.objects.filter(pk__in=own_squad_ids(user)).values_list("slug", flat=True)
    return {f"squad:{slug}" for slug in slugs}


def can_annotate(user: Any, scope: str) -> bool:
    """Add notes and action items to a review of `scope`: ops staff and admins, or the PM of that squad."""
    if not (_signed_in(user) and user.has_perm("reviews.add_actionitem") and user.has_perm("reviews.add_note")):
        return False
    if can_manage_reviews(user):
        return True
    return scope.startswith("squad:") and scope in managed_squad_scopes(user)
