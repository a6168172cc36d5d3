from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("policies/", views.policy_list_view, name="list"),
    path("clients/<int:client_pk>/policies/new/", views.policy_create, name="create"),
    path("policies/<int:pk>/", views.policy_detail, name="detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="edit"),
    path("policies/<int:pk>/cancel/", views.policy_cancel, name="cancel"),
    path("policies/<int:pk>/pdf/", views.policy_pdf_view, name="pdf"),
    path("policies/<int:pk>/vehicles/new/", views.vehicle_form_view, name="vehicle_add"),
    path(
        "policies/<int:pk>/vehicles/<int:vehicle_pk>/edit/",
        views.vehicle_form_view,
        name="vehicle_edit",
    ),
    path(
        "clients/<int:client_pk>/quotations/new/", views.quotation_create, name="quotation_create"
    ),
    path("quotations/<int:pk>/", views.quotation_detail, name="quotation"),
    path("quotations/<int:pk>/quotes/", views.quote_add, name="quote_add"),
    path("quotations/<int:pk>/follow-up/", views.quotation_follow_up, name="follow_up"),
    path("quotations/<int:pk>/pdf/", views.quotation_pdf_view, name="quotation_pdf"),
    path("quotations/<int:pk>/send/", views.quotation_send_view, name="quotation_send"),
    path(
        "quotations/follow-ups/<int:pk>/thinking/",
        views.follow_up_thinking,
        name="follow_up_thinking",
    ),
    path(
        "quotations/follow-ups/<int:pk>/declined/",
        views.follow_up_decline,
        name="follow_up_decline",
    ),
    path(
        "policies/<int:pk>/documents/",
        views.policy_document_upload_view,
        name="document_upload",
    ),
    path(
        "policies/<int:pk>/documents/request/",
        views.policy_documents_request,
        name="documents_request",
    ),
    path(
        "clients/<int:client_pk>/documents/request/",
        views.client_documents_request,
        name="client_documents_request",
    ),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline"),
    path("insurers/", views.insurer_list, name="insurers"),
    path("insurers/new/", views.insurer_form, name="insurer_create"),
    path("insurers/<int:pk>/edit/", views.insurer_form, name="insurer_edit"),
]
