from django.urls import path

from . import views

app_name = "workqueue"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.xlsx", views.queue_export, name="export"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("items/<int:pk>/result/", views.item_result, name="result"),
    path("maintainers/", views.maintainers_queue, name="maintainers"),
    path("maintainers/<int:pk>/close/", views.maintainers_close, name="maintainers_close"),
    path("distribution/", views.distribution, name="distribution"),
    path("distribution/<int:pk>/", views.distribution_run, name="distribution_run"),
]
