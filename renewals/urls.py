from django.urls import path

from . import views, views_ladders, views_work

app_name = "renewals"

urlpatterns = [
    # Managers: the renewal list and a case with every touch.
    path("", views.renewal_list_view, name="list"),
    path("export.xlsx", views.renewal_export_view, name="export"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("<int:pk>/grade/", views.case_grade_view, name="grade"),
    # From the call list: renew, renewed elsewhere, renewal quote.
    path("<int:pk>/renew/", views_work.case_renew_view, name="renew"),
    path("<int:pk>/elsewhere/", views_work.case_elsewhere_view, name="elsewhere"),
    # Ladder settings.
    path("ladders/", views_ladders.ladder_list_view, name="ladders"),
    path("ladders/new/", views_ladders.ladder_edit_view, name="ladder_create"),
    path("ladders/<int:pk>/", views_ladders.ladder_edit_view, name="ladder_edit"),
    path("ladders/rules/", views_ladders.rule_add_view, name="rule_add"),
    path("ladders/rules/<int:pk>/delete/", views_ladders.rule_delete_view, name="rule_delete"),
]
