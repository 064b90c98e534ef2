from django.urls import path

from sources import views

app_name = "sources"
urlpatterns = [
    path("hooks/<slug:name>/", views.hook, name="hook"),
    path("sources/", views.status, name="status"),
]
