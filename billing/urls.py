from django.urls import path

from . import views, views_work

app_name = "billing"

urlpatterns = [
    path("clients/<int:client_pk>/payments/new/", views.payment_create, name="payment_create"),
    path("payments/<int:pk>/", views.payment_detail, name="payment_detail"),
    path("payments/<int:pk>/void/", views.payment_void_view, name="payment_void"),
    path("payments/<int:pk>/receipt.pdf", views.payment_receipt, name="payment_receipt"),
]

urlpatterns += [
    path("work/<int:pk>/promise/", views_work.item_promise, name="item_promise"),
    path("work/<int:pk>/refuse/", views_work.item_refuse, name="item_refuse"),
    path("collections/at-risk/", views_work.risk_list, name="risks"),
    path("collections/at-risk/<int:pk>/", views_work.risk_detail, name="risk_detail"),
    path("collections/ladder/", views_work.ladder_edit, name="ladder"),
]
