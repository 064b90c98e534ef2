"""Demo changes: the commits and merge requests the demo releases shipped.

Kept apart from `generator.generate_org` (and its random stream), so the demo org and the
benchmarks built on it stay as they were; `seed_demo` adds these after the records. Each
release with a `first_commit_at` ships one to three changes: the first starts at the
release's first commit, the others later, each merged before the release.
"""

from __future__ import annotations

import random
from datetime import timedelta

from metrics.records.models import Change, Release

BATCH = 5000


def create_demo_changes(*, seed: int = 7) -> dict[str, int]:
    """Bulk-create the demo changes (no dirty marks: the caller runs a full rollup); returns {"changes": n}."""
    rng = random.Random(f"demo-changes-{seed}")
    batch: list[Change] = []
    created = 0
    releases = (
        Release.objects.filter(first_commit_at__isnull=False)
        .order_by("id")
        .values_list("id", "external_id", "released_at", "first_commit_at")
    )
    for pk, external_id, released_at, first_commit_at in releases.iterator(chunk_size=BATCH):
        span = (released_at - first_commit_at).total_seconds()
        for n in range(1 + rng.randrange(3)):
            started = first_commit_at + timedelta(seconds=0 if n == 0 else rng.uniform(0, span))
            merged = started + timedelta(seconds=rng.uniform(0, (released_at - started).total_seconds()))
            batch.append(
                Change(
                    external_id=f"chg-{external_id.removeprefix('rel-')}-{n + 1}",
                    release_id=pk,
                    first_commit_at=started,
                    merged_at=merged,
                    title=rng.choice(("Fix", "Add", "Refactor", "Speed up", "Remove")) + f" change {n + 1}",
                )
            )
        if len(batch) >= BATCH:
            Change.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    Change.objects.bulk_create(batch)
    return {"changes": created + len(batch)}
