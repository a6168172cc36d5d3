"""Old timeline rows in the reader's language (issue 13, item 11).

Entries the system wrote before Interaction had ``message`` and ``params`` keep only their
``summary`` and ``result``, in the words of whoever logged them (English, Spanish or Chinese).
This reads those summaries back into a message code and its parameters, so that they too are
shown in the reader's language. A row is changed only when its summary is exactly one of the
system's sentences, in one language, and its stored result is that sentence's result in the
same language; anything else (what users typed, sentences of other times) stays as it is.

The sentences and result labels are frozen here as the system wrote them (the code and the
translations may change later; the rows already written do not). Rows are read by ranges of
ids, only the candidates (a prefix or marker of a known sentence, no message yet), and each
range is written in its own transaction, so a book of millions of entries is not held in one
transaction and an interrupted run resumes where it stopped. Reversing changes nothing: the
summaries were never touched.
"""

import re

from django.db import migrations, transaction
from django.db.models import Max, Min, Q

RANGE = 20_000  # ids read per query
WRITE_BATCH = 500  # rows per UPDATE

# The result labels each kind offered, in each language: code → labels (the first is current).
GENERIC_RESULTS = {
    "no_answer": {"en": "No answer", "es": "No contesta", "zh-hans": "无人接听"},
    "switched_off": {"en": "Switched off", "es": "Apagado", "zh-hans": "关机"},
    "wrong_number": {"en": "Wrong number", "es": "Número equivocado", "zh-hans": "号码错误"},
    "call_back": {"en": "Call back", "es": "Volver a llamar", "zh-hans": "回电"},
}
RENEWAL_RESULTS = {
    **GENERIC_RESULTS,
    "interested": {"en": "Interested", "es": "Interesado", "zh-hans": "有意向"},
    "renewed": {"en": "Renewed", "es": "Renovada", "zh-hans": "已续保"},
    "renewed_elsewhere": {
        "en": "Renewed elsewhere", "es": "Renovó en otra aseguradora", "zh-hans": "已在他处续保",
    },
    "declined": {"en": "Declined", "es": "Rechazada", "zh-hans": "已拒绝"},
    "vehicle_sold": {"en": "Vehicle sold", "es": "Vendió el vehículo", "zh-hans": "车辆已出售"},
}  # fmt: skip
FOLLOW_UP_RESULTS = {
    **GENERIC_RESULTS,
    "requoted": {
        "en": "Reached — re-quoted", "es": "Contactado — nueva cotización",
        "zh-hans": "已联系——重新报价",
    },
    "not_interested": {"en": "Not interested", "es": "No le interesa", "zh-hans": "不感兴趣"},
}  # fmt: skip
LANGUAGES = ("en", "es", "zh-hans")

# The sentences, as regular expressions: {result} stands for the kind's labels in that
# language, a note the agent typed follows after one space.
NOTE = r"(?: (?P<note>.*))?"
RESULT_SENTENCES = {
    "renewals.result": (
        RENEWAL_RESULTS,
        {
            "en": r"Renewal of (?P<policy>.+?): (?P<result>{result})\." + NOTE,
            "es": r"Renovación de (?P<policy>.+?): (?P<result>{result})\." + NOTE,
            "zh-hans": r"(?P<policy>.+?) 续保：(?P<result>{result})。" + NOTE,
        },
    ),
    "policies.follow_up_result": (
        FOLLOW_UP_RESULTS,
        {
            "en": r"Follow-up of the quotation “(?P<quotation>.*?)”: (?P<result>{result})\."
            + NOTE,
            "es": r"Seguimiento de la cotización «(?P<quotation>.*?)»: (?P<result>{result})\."
            + NOTE,
            "zh-hans": r"报价单“(?P<quotation>.*?)”的跟进：(?P<result>{result})。" + NOTE,
        },
    ),
}
RENEWED_SENTENCES = {
    "en": r"Renewed (?P<old>.+?) as (?P<new>.+)\.",
    "es": r"Se renovó (?P<old>.+?) como (?P<new>.+)\.",
    "zh-hans": r"(?P<old>.+?) 已续保为 (?P<new>.+)。",
}
# The title of a quotation the system opened for a renewal (its description then).
RENEWAL_TITLES = {
    "en": r"Renewal of (?P<policy>.+)",
    "es": r"Renovación de (?P<policy>.+)",
    "zh-hans": r"(?P<policy>.+) 续保",
}
# What a candidate's summary starts with or contains (read in SQL, to skip everything else).
PREFIXES = (
    "Renewal of ", "Renovación de ", "Renewed ", "Se renovó ",
    "Follow-up of the quotation “", "Seguimiento de la cotización «", "报价单“",
)  # fmt: skip
MARKERS = (" 续保：", " 已续保为 ")


def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern + r"\Z", re.S)


def _parsers():
    """(message, language, regex, labels: {label: code}) for every known sentence."""
    parsers = []
    for message, (results, sentences) in RESULT_SENTENCES.items():
        for language in LANGUAGES:
            labels = {labels_of[language]: code for code, labels_of in results.items()}
            alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len)[::-1])
            pattern = sentences[language].replace("{result}", alternatives)
            parsers.append((message, language, _compile(pattern), labels))
    for language in LANGUAGES:
        labels = {RENEWAL_RESULTS["renewed"][language]: "renewed"}
        parsers.append(("renewals.renewed", language, _compile(RENEWED_SENTENCES[language]), labels))
    return parsers


PARSERS = _parsers()
TITLES = [_compile(pattern) for pattern in RENEWAL_TITLES.values()]


def parse(summary: str, result: str) -> tuple[str, dict] | None:
    """The message and parameters of a summary the system wrote; None for any other text."""
    for message, _language, regex, labels in PARSERS:
        match = regex.match(summary)
        if match is None:
            continue
        if message == "renewals.renewed":
            if result not in labels:
                continue
            return message, {"old": match["old"], "new": match["new"], "result": "renewed"}
        code = labels[match["result"]]
        if result != match["result"]:
            continue
        note = match["note"] or ""
        if message == "renewals.result":
            return message, {"policy": match["policy"], "result": code, "note": note}
        renews = ""
        for title in TITLES:
            if found := title.fullmatch(match["quotation"]):
                renews = found["policy"]
                break
        params = {"quotation": match["quotation"], "renews": renews, "result": code}
        return message, {**params, "note": note}
    return None


def candidates(Interaction):
    prefixes = Q()
    for prefix in PREFIXES:
        prefixes |= Q(summary__startswith=prefix)
    for marker in MARKERS:
        prefixes |= Q(summary__contains=marker)
    return Interaction.objects.filter(prefixes, message="", channel="call")


def backfill(apps, schema_editor):
    Interaction = apps.get_model("clients", "Interaction")
    rows = candidates(Interaction)
    bounds = rows.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    for start in range(bounds["low"], bounds["high"] + 1, RANGE):
        found = []
        window = rows.filter(pk__gte=start, pk__lt=start + RANGE)
        for pk, summary, result in window.values_list("pk", "summary", "result"):
            if parsed := parse(summary, result):
                found.append(Interaction(pk=pk, message=parsed[0], params=parsed[1]))
        if found:
            with transaction.atomic():
                Interaction.objects.bulk_update(found, ["message", "params"], batch_size=WRITE_BATCH)


class Migration(migrations.Migration):
    # Each range of ids commits on its own (see above).
    atomic = False

    dependencies = [
        ("clients", "0008_phone_as_written"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
