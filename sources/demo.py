"""Example sources for the demo org: one per kind, disabled and pointing nowhere
(`.invalid` hosts), so the admin and the status page have something to show."""

from __future__ import annotations

from collections.abc import Sequence

from sources.models import Source


def create_demo_sources(squads: Sequence[str]) -> dict[str, int]:
    """Four disabled example sources mapping a few tool keys to `squads` (slugs); returns {"sources": n}."""
    first, second = squads[0], squads[1 % len(squads)]
    examples = [
        Source(
            name="demo-github",
            kind="github",
            base_url="https://github.example.invalid/api/v3",
            token_env="DEMO_GITHUB_TOKEN",
            squads={f"acme/{first}-web": first, f"acme/{second}-api": second},
        ),
        Source(
            name="demo-gitlab",
            kind="gitlab",
            base_url="https://gitlab.example.invalid",
            token_env="DEMO_GITLAB_TOKEN",
            squads={f"acme/{second}-service": second},
        ),
        Source(
            name="demo-jira",
            kind="jira",
            base_url="https://acme.example.invalid",
            token_env="DEMO_JIRA_TOKEN",
            user_env="DEMO_JIRA_USER",
            squads={first[:3].upper() or "DEMO": first},
        ),
        Source(
            name="demo-pagerduty",
            kind="pagerduty",
            base_url="https://pagerduty.example.invalid",
            token_env="DEMO_PAGERDUTY_TOKEN",
            squads={"PDEMO01": first},
        ),
    ]
    created = 0
    for source in examples:
        source.enabled = False
        if not Source.objects.filter(name=source.name).exists():
            source.save()
            created += 1
    return {"sources": created}
