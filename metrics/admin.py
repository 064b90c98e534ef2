"""Registers the admin of the `metrics` app: records (`metrics.records.admin`) and the
KPI engine's tables (`metrics.kpis.admin`). Django's admin autodiscovery imports this module."""

from metrics.kpis import admin as kpis_admin  # noqa: F401  (registers the ModelAdmins)
from metrics.records import admin as records_admin  # noqa: F401
