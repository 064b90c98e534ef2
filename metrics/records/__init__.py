"""Records: the source rows KPIs are computed from — models, CSV kinds and import,
write services, the change signal, admin and API. See docs/records.md."""
