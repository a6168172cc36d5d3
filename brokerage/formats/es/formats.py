"""Spanish number formats as the brokerage's Mexican staff, insurers' reports and invoices write
money: Django's Spanish (Spain) formats write 16 668,15; Mexico writes 16,668.15 (as Django's
es_MX formats do)."""

from django.conf.locale.es.formats import *  # noqa: F403 - the rest as Django has it

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
