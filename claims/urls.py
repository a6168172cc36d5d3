from django.urls import path

from . import views, views_repair

app_name = "claims"

urlpatterns = [
    path("", views.claims_list, name="list"),
    path("report/", views.report, name="report"),
    path("report/policy/<int:policy_pk>/", views.report_for, name="report_for"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/status/", views.claim_status, name="status"),
    path("<int:pk>/contact/", views.claim_contact, name="contact"),
    path("<int:pk>/documents/upload/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/mark/", views.document_mark, name="document_mark"),
    path("<int:pk>/documents/request/", views.documents_request, name="documents_request"),
    path("<int:pk>/refer/", views.claim_refer, name="refer"),
    path("<int:pk>/dispute/", views.claim_dispute, name="dispute"),
    path("<int:pk>/follow-up/", views.claim_follow_up, name="follow_up"),
    path("<int:pk>/callback/", views.claim_callback, name="callback"),
    path("<int:pk>/repair/", views_repair.claim_repair, name="repair"),
    path("repair-shops/", views_repair.shop_list, name="repair_shops"),
    path("repair-shops/new/", views_repair.shop_form, name="repair_shop_new"),
    path("repair-shops/<int:pk>/", views_repair.shop_form, name="repair_shop_edit"),
]
