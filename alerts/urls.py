from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("rules/", views.create_rule, name="create_rule"),
]
