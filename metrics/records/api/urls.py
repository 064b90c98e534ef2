"""Record routes under /api/ (included by productops/api_urls.py).

API views are exempt from LoginRequiredMiddleware: they authenticate
themselves (session or token) and answer 401/403 rather than redirecting.
"""

from django.contrib.auth.decorators import login_not_required
from rest_framework.routers import DefaultRouter

from metrics.records.api import views

router = DefaultRouter()
router.register("squads", views.SquadViewSet, basename="squad")
router.register("releases", views.ReleaseViewSet, basename="release")
router.register("changes", views.ChangeViewSet, basename="change")
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("defects", views.DefectViewSet, basename="defect")
router.register("customer-responses", views.CustomerResponseViewSet, basename="customer-response")
router.register("time-allocations", views.TimeAllocationViewSet, basename="time-allocation")

urlpatterns = [
    *router.urls,
]
for pattern in urlpatterns:
    pattern.callback = login_not_required(pattern.callback)
