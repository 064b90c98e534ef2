"""A small org as CSV files in the format of docs/records.md (two squads, every record kind,
Jan–Feb 2026), imported with `import_records` into the database of a production-like environment.
Used by the integration tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.integration.stack import manage_many

CSV = {
    "squads": """slug,name,area,pm_email,monthly_cost_per_head,active
alpha,Alpha,payments,,10000,true
bravo,Bravo,growth,,8000,true
""",
    "releases": """external_id,squad,version,released_at,first_commit_at,status
r1,alpha,1.0,2026-01-05T10:00:00Z,2026-01-03T10:00:00Z,succeeded
r2,alpha,1.1,2026-01-20T10:00:00Z,,rolled_back
r3,bravo,2.0,2026-02-11T09:00:00Z,2026-02-10T09:00:00Z,succeeded
""",
    "incidents": """external_id,squad,severity,started_at,resolved_at,customer_impact,caused_by_release,title
i1,alpha,1,2026-01-21T00:00:00Z,2026-01-21T06:00:00Z,true,r2,Outage
i2,bravo,3,2026-02-12T00:00:00Z,2026-02-12T01:30:00Z,false,,Slow page
""",
    "defects": """external_id,squad,severity,found_at,found_in,found_by,resolved_at,title
d1,alpha,2,2026-01-06T00:00:00Z,production,customer,2026-01-08T00:00:00Z,Wrong total
d2,bravo,3,2026-02-01T00:00:00Z,testing,internal,,Typo
""",
    "customer_responses": "external_id,survey,submitted_at,account,squad,nps_score,csat_score,outcome_score,"
    """top_problem,comment
c1,q1-2026,2026-01-15T00:00:00Z,Acme,alpha,9,5,4,invoicing,
c2,q1-2026,2026-02-15T00:00:00Z,Beta,,3,2,,mobile app,slow
""",
    "time_allocations": "external_id,survey,squad,month,headcount,"
    """pct_features,pct_quality,pct_support,pct_onboarding,pct_ktlo,pct_other
t1,alloc-2026,alpha,2026-01,6,50,20,10,5,10,5
t2,alloc-2026,bravo,2026-02,4,40,20,20,5,10,5
""",
}


def small_org_imports(folder: Path) -> list[tuple[str, ...]]:
    """Write the CSV files into `folder`; the `import_records` commands that load them, in dependency order."""
    commands = []
    for kind, text in CSV.items():
        path = folder / f"{kind}.csv"
        path.write_text(text)
        commands.append(("import_records", kind, str(path)))
    return commands


def import_small_org(env: Mapping[str, str], folder: Path) -> None:
    """Write the CSV files into `folder` and import them, in dependency order, with `env`'s database
    (one process for all the imports)."""
    manage_many(env, *small_org_imports(folder))
