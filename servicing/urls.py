from django.urls import path

from . import views

app_name = "servicing"

urlpatterns = [
    path("policy/<int:pk>/parties/", views.policy_parties, name="parties"),
    path("policy/<int:pk>/requests/new/", views.request_create, name="request_create"),
    path("requests/", views.request_list_view, name="requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/status/", views.request_status, name="request_status"),
    path("requests/<int:pk>/documents/", views.request_attach, name="request_attach"),
    path("cases/", views.case_overview_view, name="cases"),
    path("cases/list/", views.case_list_view, name="case_list"),
    path("cases/sweep/", views.case_sweep, name="case_sweep"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/class/", views.case_classify, name="case_classify"),
    path("cases/<int:pk>/sign/", views.case_sign, name="case_sign"),
    path("cases/<int:pk>/items/", views.case_item, name="case_item"),
    path("cases/<int:pk>/search/", views.case_search, name="case_search"),
    path("cases/<int:pk>/reinstatement/", views.case_reinstatement, name="case_reinstatement"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
]
