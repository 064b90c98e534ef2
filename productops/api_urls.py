"""Everything under /api/: records, KPIs, catalog, reviews and alerts, schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Like everything under /api/ (docs/api.md), anonymous visitors get a 401 here, not a redirect.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("bets.api.urls")),
    path("", include("metrics.kpis.urls")),
    path("", include("metrics.records.api.urls")),
    path("", include("reviews.api.urls")),
]
