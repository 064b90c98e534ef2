"""Page builders: everything a dashboard page shows, built from the KPI snapshots (read through
the selectors) and the records. A view parses the request, calls one builder and renders; the
builders never compute a KPI value, they read stored snapshots."""
