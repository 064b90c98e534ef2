from django.urls import path

from dashboards.views import customers, landing, metric, overview, ping, records, review, squad, timeuse

app_name = "dashboards"
urlpatterns = [
    path("", overview.overview, name="overview"),
    path("home/", landing.home, name="home"),
    path("my-squads/", landing.my_squads_view, name="my_squads"),
    path("areas/<slug:slug>/", overview.overview_area, name="area"),
    path("squads/<slug:slug>/", squad.squad, name="squad"),
    path("metrics/<slug:code>/", metric.metric, name="metric"),
    path("records/<slug:kind>/<path:key>/", records.record, name="record"),
    path("customers/", customers.customers, name="customers"),
    path("time/", timeuse.time_allocation, name="time"),
    path("review/", review.review, name="review"),
    path("ping/", ping.ping, name="ping"),
]
