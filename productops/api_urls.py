"""Everything under /api/: records, KPIs, catalog, schema and docs."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs are a page for people: anonymous visitors go to the sign-in page, not a 401.
    path("docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("", include("metrics.api.urls")),
]
