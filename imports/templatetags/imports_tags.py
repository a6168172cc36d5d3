from django import template

from brokerage.core.languages import language_name_in_sentence as _in_sentence

register = template.Library()


@register.filter
def language_name_in_sentence(code: str) -> str:
    """``{{ "en"|language_name_in_sentence }}``: the language's name in the reader's language,
    as a sentence writes it in mid-sentence ("inglés" in Spanish, "English" in English)."""
    return _in_sentence(code)


@register.filter
def may_discard(job, user) -> bool:
    """``{% if job|may_discard:user %}``: its uploader or a maintainer may discard the job."""
    return job.may_discard(user)
