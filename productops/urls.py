from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from audit.forms import LockoutAuthenticationForm
from productops import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("productops.api_urls")),
    path("", include("sources.urls")),
    path("", include("dashboards.urls")),
]
