from .kpis import Baseline, DirtyRange, KpiSnapshot, RollupRun, Target
from .records import (
    CustomerResponse,
    Defect,
    Incident,
    Release,
    Survey,
    TimeAllocation,
)

__all__ = [
    "Baseline",
    "CustomerResponse",
    "Defect",
    "DirtyRange",
    "Incident",
    "KpiSnapshot",
    "Release",
    "RollupRun",
    "Survey",
    "Target",
    "TimeAllocation",
]
