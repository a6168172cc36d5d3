from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("team/", views.team_list, name="team"),
    path("team/new/", views.team_form, name="team_create"),
    path("team/<int:pk>/edit/", views.team_form, name="team_edit"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<int:pk>/export/", views.user_export_grant, name="user_export_grant"),
]
