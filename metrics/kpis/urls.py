"""KPI routes under /api/ (included by productops/api_urls.py): snapshots and the catalog.

Exempt from LoginRequiredMiddleware like every API view: they authenticate
themselves (session or token) and answer 401/403 rather than redirecting.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from metrics.kpis import api

urlpatterns = [
    path("kpis/", api.KpiListView.as_view(), name="api-kpis"),
    path("catalog/", api.CatalogView.as_view(), name="api-catalog"),
]
for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
