from django.urls import path

from . import claims_views, collections_views, views

app_name = "reports"

urlpatterns = [
    path("renewals/", views.renewal_rate_view, name="renewal_rate"),
    path("renewals/clients/", views.renewal_rate_clients_view, name="renewal_rate_clients"),
    path("prints/", views.print_create_view, name="pdf"),
    path("prints/<int:pk>/", views.print_detail_view, name="print"),
    path("prints/<int:pk>/progress/", views.print_progress_view, name="print_progress"),
    path("prints/<int:pk>/download/", views.print_download_view, name="print_download"),
    path("mine/", views.my_figures_view, name="mine"),
    path("collections/list/", collections_views.collections_list_view, name="collections_list"),
    path("claims/list/", claims_views.claims_list_view, name="claims_list"),
    path("<slug:slug>/", views.report_view, name="report"),
]
