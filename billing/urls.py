from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("clients/<int:client_pk>/payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/void/", views.payment_void_view, name="payment_void"),
    path("payments/<int:pk>/receipt.pdf", views.payment_receipt, name="payment_receipt"),
]
