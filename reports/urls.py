from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("renewals/", views.renewal_rate_view, name="renewal_rate"),
]
