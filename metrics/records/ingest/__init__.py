"""CSV import of SPEC §2 records: value parsers, the kind registry, the bulk importer."""
