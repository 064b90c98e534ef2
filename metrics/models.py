"""The models of the `metrics` app label, defined in `metrics.records.models` and
`metrics.kpis.models`; imported here so Django finds them under the `metrics` label."""

from metrics.kpis.models import Baseline, DirtyRange, KpiSnapshot, RollupRun, Target
from metrics.records.models import (
    Change,
    CustomerResponse,
    Defect,
    ImportJob,
    Incident,
    Release,
    Survey,
    TimeAllocation,
)

__all__ = [
    "Baseline",
    "Change",
    "CustomerResponse",
    "Defect",
    "DirtyRange",
    "ImportJob",
    "Incident",
    "KpiSnapshot",
    "Release",
    "RollupRun",
    "Survey",
    "Target",
    "TimeAllocation",
]
