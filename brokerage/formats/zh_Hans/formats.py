"""Simplified Chinese number formats for money: Django's defaults group by four digits with no
separator (1250050.00); insurers' reports and invoices write 1,250,050.00."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403 - the rest as Django has it

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
