"""KPI scopes: the whole org, one area, or one squad, written `org`, `area:<slug>`, `squad:<slug>`.

The string form is what snapshots, dirty ranges, the API and the export store and show
(see docs/records.md); build and read it here rather than by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ScopeKind = Literal["org", "area", "squad"]
ORG = "org"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    slug: str = ""

    @classmethod
    def org(cls) -> Scope:
        return cls("org")

    @classmethod
    def area(cls, slug: str) -> Scope:
        return cls("area", slug)

    @classmethod
    def squad(cls, slug: str) -> Scope:
        return cls("squad", slug)

    @classmethod
    def parse(cls, text: str) -> Scope:
        """`org`, `area:<slug>` or `squad:<slug>`; ValueError for anything else."""
        if text == ORG:
            return cls.org()
        kind, _, slug = text.partition(":")
        if kind not in ("area", "squad") or not slug:
            raise ValueError(f"{text!r} must be org, area:<slug> or squad:<slug>.")
        return cls(kind, slug)

    def __str__(self) -> str:
        return ORG if self.kind == "org" else f"{self.kind}:{self.slug}"


def area_scope(slug: str) -> str:
    """The scope string of an area."""
    return str(Scope.area(slug))


def squad_scope(slug: str) -> str:
    """The scope string of a squad."""
    return str(Scope.squad(slug))
