from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="mapping"),
    path("<int:pk>/sheet/", views.import_sheet, name="sheet"),
    path("<int:pk>/commit/", views.import_commit, name="commit"),
    path("<int:pk>/discard/", views.import_discard, name="discard"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/errors.xlsx", views.import_errors_xlsx, name="errors_xlsx"),
]
