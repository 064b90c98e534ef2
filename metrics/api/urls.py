"""Routes under /api/ (included by productops/api_urls.py).

API views are exempt from LoginRequiredMiddleware: they authenticate
themselves (session or token) and answer 401/403 rather than redirecting.
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from rest_framework.routers import DefaultRouter

from metrics.api import kpis, views

router = DefaultRouter()
router.register("squads", views.SquadViewSet, basename="squad")
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("defects", views.DefectViewSet, basename="defect")
router.register("customer-responses", views.CustomerResponseViewSet, basename="customer-response")
router.register("time-allocations", views.TimeAllocationViewSet, basename="time-allocation")

urlpatterns = [
    path("kpis/", kpis.KpiListView.as_view(), name="api-kpis"),
    path("catalog/", kpis.CatalogView.as_view(), name="api-catalog"),
    *router.urls,
]
for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
