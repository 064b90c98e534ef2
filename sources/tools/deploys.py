"""Writing a release and the changes it shipped (GitHub and GitLab alike).

The release's `first_commit_at` is the earliest of its changes' — of those the
record rules accept (a change cannot start after its release) — so the release
is written first with it, then each change pointing at it. A change already
shipped by an earlier release stays with that one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sources.sync import Malformed, SourceSync, Unmapped


def write_release_with_changes(
    sync: SourceSync, release: dict[str, Any], changes: list[tuple[str, Callable[[], dict[str, Any]]]]
) -> None:
    mapped: list[tuple[str, dict[str, Any]]] = []
    for label, mapper in changes:
        try:
            mapped.append((label, mapper()))
        except Unmapped as exc:
            sync.report.skip_unmapped(exc)
        except Malformed as exc:
            sync.report.skip_malformed(label, str(exc))
    mapped = _first_release_wins(sync, release, mapped)
    starts = [
        cells["first_commit_at"]
        for _, cells in mapped
        if cells.get("first_commit_at") is not None and cells["first_commit_at"] <= release["released_at"]
    ]
    release = {**release, "first_commit_at": min(starts) if starts else None}
    written = sync.write_items("releases", [(f"release {release['external_id']}", lambda: release)])
    if release["external_id"] not in written:
        return  # refused (reported): its changes cannot point at it
    sync.write_items("changes", [(label, (lambda cells=cells: cells)) for label, cells in mapped])


def _first_release_wins(
    sync: SourceSync, release: dict[str, Any], mapped: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, dict[str, Any]]]:
    """Drop changes already shipped by an earlier release (their first deployment is what counts)."""
    from metrics.models import Change

    earlier = set(
        Change.objects.filter(
            external_id__in=[cells["external_id"] for _, cells in mapped],
            release__released_at__lt=release["released_at"],
        )
        .exclude(release__external_id=release["external_id"])
        .values_list("external_id", flat=True)
    )
    for _ in earlier:
        sync.report.count("unchanged")
    return [(label, cells) for label, cells in mapped if cells["external_id"] not in earlier]
