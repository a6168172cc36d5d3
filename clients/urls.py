from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list_view, name="list"),
    path("export.csv", views.client_export, name="export"),
    path("export.xlsx", views.client_export, name="export_xlsx"),
    path("new/", views.client_create, name="create"),
    path("reassign/", views.book_reassign, name="book_reassign"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/interactions/", views.interaction_create, name="interaction_create"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path("<int:pk>/reassign/", views.client_reassign, name="reassign"),
    path("<int:pk>/merge/", views.client_merge, name="merge"),
    path("merge/", views.client_merge_confirm, name="merge_confirm"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
]
