from django.urls import path

from reviews import views

app_name = "reviews"
urlpatterns = [
    path("", views.review_list, name="list"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/freeze/", views.freeze, name="freeze"),
    path("<int:pk>/notes/", views.add_note, name="note"),
    path("<int:pk>/action-items/", views.add_item, name="item"),
    path("action-items/<int:pk>/state/", views.set_item_state, name="item_state"),
]
