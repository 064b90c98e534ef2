from django.urls import path

from bets import views

app_name = "bets"
urlpatterns = [
    path("bets/", views.bet_list, name="list"),
    path("bets/new/", views.bet_new, name="new"),
    path("bets/<int:pk>/", views.bet_detail, name="detail"),
]
