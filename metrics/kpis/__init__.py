"""The KPI engine: periods, the catalog, formulas, frames, rollup, the snapshot store,
dirty marking, tasks, and the one selectors module for snapshot reads. See docs/kpis.md."""
