from django.urls import path

from . import views

app_name = "touches"

urlpatterns = [
    path("settings/", views.settings_edit, name="settings"),
    path("work/<int:pk>/plate/", views.item_plate, name="item_plate"),
    path("work/<int:pk>/visit/", views.item_visit, name="item_visit"),
]
