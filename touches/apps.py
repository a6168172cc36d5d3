from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchesConfig(AppConfig):
    """Service touches between sales (issue 17): thank-yous, plate endorsements, return
    visits, vehicle reminders and greetings, made by the morning run as calls or messages."""

    name = "touches"
    verbose_name = _("Service touches")

    def ready(self):
        from . import kind, timeline

        kind.register_kinds()
        timeline.register_messages()
