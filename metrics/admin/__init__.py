"""Django admin for the records and KPI tables, split by topic.

- `records`: releases, incidents, defects (PMs, scoped to their squads)
- `surveys`: surveys with inline responses/allocations (ops staff)
- `kpis`: targets, baseline (ops staff); snapshots, rollup runs, dirty ranges (read-only)
- `base`, `scope`, `csv_views`: service-backed saves, PM scope, CSV import/export
"""

from metrics.admin import kpis, records, surveys  # noqa: F401  (registers the ModelAdmins)
