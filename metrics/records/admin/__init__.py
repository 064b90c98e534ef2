"""Django admin for the records, split by topic.

- `records`: releases, incidents, defects (PMs, scoped to their squads)
- `surveys`: surveys with inline responses/allocations (ops staff)
- `squads`: squads, a record kind saved through the same service (ops staff)
- `base`, `scope`, `csv_views`: service-backed saves, PM scope, CSV import/export
"""

from metrics.records.admin import records, squads, surveys  # noqa: F401  (registers the ModelAdmins)
