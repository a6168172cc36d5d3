from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Collections: a policy's instalments, the payments that settle them and the payment-due
    work. Named ``billing`` because ``collections`` is Python's standard library module."""

    name = "billing"
    verbose_name = _("Collections")

    def ready(self):
        from policies import hooks

        from . import kind, payments, services, timeline, work

        # Policies know no instalment: billing plans a policy when it is written (a renewal
        # written here too), re-plans it when its terms change and cancels its future
        # instalments with it. Imported policies, renewals included, are planned set-based
        # after the import (renewals.tasks.renewals_open_task), not one by one.
        hooks.on_policy_created(services.policy_created_hook)
        hooks.on_policy_terms_changed(services.policy_terms_changed_hook)
        hooks.on_policy_cancelled(services.policy_cancelled_hook)
        # The payment-due kind of work, and what a payment closes of it.
        kind.register_kinds()
        payments.register_paid_hook(work.payment_paid_hook)
        payments.register_paid_many_hook(work.payments_paid_hook, replaces=work.payment_paid_hook)
        timeline.register_messages()
