from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("renewals/", views.renewal_rate_view, name="renewal_rate"),
    path("dashboard.pdf", views.dashboard_pdf_view, name="pdf"),
    path("mine/", views.my_figures_view, name="mine"),
    path("<slug:slug>/", views.report_view, name="report"),
]
