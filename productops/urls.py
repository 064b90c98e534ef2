from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from productops import health, oidc
from productops.signin import SignInView

urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name no icon (Swagger UI's, raw API views).
    path("favicon.ico", login_not_required(lambda request: HttpResponseRedirect(static("favicon.svg")))),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (404 unless configured); the names are the ones mozilla-django-oidc reverses.
    path("oidc/authenticate/", oidc.start, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback, name="oidc_authentication_callback"),
    path("admin/", admin.site.urls),
    path("api/", include("productops.api_urls")),
    path("", include("sources.urls")),
    path("", include("bets.urls")),
    path("reviews/", include("reviews.urls")),
    path("alerts/", include("alerts.urls")),
    path("", include("dashboards.urls")),
]
