from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from brokerage.accounts import views as account_views
from brokerage.core import views as core_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/language/", core_views.language_switch, name="language_switch"),
    # Sign-in, sign-out and password reset.
    path("accounts/login/", account_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/", include("brokerage.accounts.urls")),
    path("outbox/", include("brokerage.notifications.urls")),
    path("queue/", include("workqueue.urls")),
    path("clients/", include("clients.urls")),
    path("renewals/", include("renewals.urls")),
    path("imports/", include("imports.urls")),
    path("reports/", include("reports.urls")),
    path("billing/", include("billing.urls")),
    path("claims/", include("claims.urls")),
    path("touches/", include("touches.urls")),
    path("service/", include("servicing.urls")),
    path("", include("policies.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "cartera/favicon.svg")),
]
