from django import template

from policies.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code: str) -> str:
    """``{{ "CN"|country_name }}``: the country's name in the reader's language."""
    return _country_name(code)
