"""CSV import of docs/records.md records: value parsers, the kind registry, the bulk importer."""
