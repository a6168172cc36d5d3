from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Collections: a policy's instalments, the payments that settle them and the payment-due
    work. Named ``billing`` because ``collections`` is Python's standard library module."""

    name = "billing"
    verbose_name = _("Collections")
