"""Writing releases and the changes they shipped (GitHub and GitLab alike), a page at a time.

A change counts with its first release (DORA's lead time ends at the first
deployment): one already recorded with an earlier release stays there, and of
two releases in the same page the earlier one gets it. A release's
`first_commit_at` is the earliest of its changes' — of those the record rules
accept (a change cannot start after its release) — so releases are written
first, then the changes of the releases that were written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sources.sync import Malformed, SourceSync, Unmapped

Planned = list[tuple[dict[str, Any], list[tuple[str, Callable[[], dict[str, Any]]]]]]


def write_releases_with_changes(sync: SourceSync, planned: Planned) -> None:
    from metrics.models import Change

    mapped: list[tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]] = []
    for release, changes in planned:
        cells_of_release = []
        for label, mapper in changes:
            try:
                cells_of_release.append((label, mapper()))
            except Unmapped as exc:
                sync.report.skip_unmapped(exc)
            except Malformed as exc:
                sync.report.skip_malformed(label, str(exc))
        mapped.append((release, cells_of_release))

    # Where each change first shipped: stored releases, then this page's releases in time order.
    keys = [cells["external_id"] for _, rows in mapped for _, cells in rows]
    first_shipped = {
        ext: (released_at, release_key)
        for ext, release_key, released_at in Change.objects.filter(external_id__in=keys).values_list(
            "external_id", "release__external_id", "release__released_at"
        )
    }
    for release, rows in sorted(mapped, key=lambda item: item[0]["released_at"]):
        for _, cells in rows:
            known = first_shipped.get(cells["external_id"])
            if known is None or release["released_at"] < known[0]:
                first_shipped[cells["external_id"]] = (release["released_at"], release["external_id"])

    releases: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    changes: list[tuple[str, dict[str, Any]]] = []
    for release, rows in mapped:
        own = []
        for label, cells in rows:
            if first_shipped[cells["external_id"]][1] == release["external_id"]:
                own.append((label, cells))
            else:
                sync.report.count("unchanged")  # shipped by an earlier release: it stays there
        starts = [
            cells["first_commit_at"]
            for _, cells in own
            if cells.get("first_commit_at") is not None and cells["first_commit_at"] <= release["released_at"]
        ]
        full = {**release, "first_commit_at": min(starts) if starts else None}
        releases.append((f"release {release['external_id']}", lambda full=full: full))
        changes += [(label, cells) for label, cells in own]
    written = sync.write_items("releases", releases)
    sync.write_items(
        "changes",
        [(label, (lambda cells=cells: cells)) for label, cells in changes if cells["release"] in written],
    )
