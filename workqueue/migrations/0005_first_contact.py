"""The first contact result since the hand-out, kept on the work item by triggers."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The contact results (workqueue.results.ContactResult) as of this migration: the entries
# maintainers add (contact fixed, closed) are not contact results.
CONTACT = ", ".join(
    f"'{value}'"
    for value in (
        "no_answer", "switched_off", "wrong_number", "call_back", "interested", "renewed",
        "renewed_elsewhere", "declined", "vehicle_sold",
    )
)  # fmt: skip
# An item's first contact result since its hand-out is read again whenever an update names
# the hand-out or a copied column (a model save() names them all, so a stale copy in memory
# is never written back). A result logged, changed or deleted clears the copy, which reads
# it again.
ITEM_COLUMNS = "handed_out_at, first_contact_at, first_contact_by_id"
FIRST = f"""
    SELECT r.at, r.by_id FROM workqueue_itemresult r
     WHERE r.item_id = NEW.id AND r.result IN ({CONTACT}) AND r.at >= NEW.handed_out_at
     ORDER BY r.at, r.id LIMIT 1"""


def clear(item: str) -> str:
    return f"UPDATE workqueue_workitem SET first_contact_at = NULL WHERE id = {item};"


POSTGRESQL = [
    f"""
    CREATE FUNCTION workqueue_item_first_contact() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT first.at, first.by_id INTO NEW.first_contact_at, NEW.first_contact_by_id
          FROM ({FIRST}) first;
        RETURN NEW;
    END $$""",
    f"""
    CREATE TRIGGER workqueue_item_first_contact
    BEFORE UPDATE OF {ITEM_COLUMNS} ON workqueue_workitem
    FOR EACH ROW EXECUTE FUNCTION workqueue_item_first_contact()""",
    f"""
    CREATE FUNCTION workqueue_result_first_contact() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('INSERT', 'UPDATE') THEN {clear("NEW.item_id")} END IF;
        IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.item_id <> NEW.item_id) THEN
            {clear("OLD.item_id")}
        END IF;
        RETURN NULL;
    END $$""",
    f"""
    CREATE TRIGGER workqueue_result_first_contact_insert
    AFTER INSERT ON workqueue_itemresult FOR EACH ROW WHEN (NEW.result IN ({CONTACT}))
    EXECUTE FUNCTION workqueue_result_first_contact()""",
    """
    CREATE TRIGGER workqueue_result_first_contact_change
    AFTER UPDATE OF item_id, result, at OR DELETE ON workqueue_itemresult FOR EACH ROW
    EXECUTE FUNCTION workqueue_result_first_contact()""",
    # The items already there.
    "UPDATE workqueue_workitem SET first_contact_at = NULL"
    " WHERE id IN (SELECT item_id FROM workqueue_itemresult)",
]
REVERSE_POSTGRESQL = [
    "DROP TRIGGER workqueue_result_first_contact_change ON workqueue_itemresult",
    "DROP TRIGGER workqueue_result_first_contact_insert ON workqueue_itemresult",
    "DROP FUNCTION workqueue_result_first_contact()",
    "DROP TRIGGER workqueue_item_first_contact ON workqueue_workitem",
    "DROP FUNCTION workqueue_item_first_contact()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("workqueue", "0004_distribution_and_points"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="workitem",
            name="first_contact_at",
            field=models.DateTimeField(
                editable=False, null=True, verbose_name="first contact result at"
            ),
        ),
        migrations.AddField(
            model_name="workitem",
            name="first_contact_by",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="first contact result by",
            ),
        ),
        migrations.RunSQL(POSTGRESQL, REVERSE_POSTGRESQL),
    ]
