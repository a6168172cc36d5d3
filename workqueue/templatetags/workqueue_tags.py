import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def submission_token():
    """A hidden input naming this rendering of a result form: posting it twice (a double
    click, a retry) logs one result (workqueue.services.item_record_result)."""
    return format_html('<input type="hidden" name="token" value="{}">', uuid.uuid4())
