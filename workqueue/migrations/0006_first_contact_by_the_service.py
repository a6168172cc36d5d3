"""The first contact result on a work item is kept by workqueue.services, the one path that
writes results and hand-outs: the triggers of 0005 go."""

from django.db import migrations

DROP = [
    "DROP TRIGGER IF EXISTS workqueue_result_first_contact_change ON workqueue_itemresult",
    "DROP TRIGGER IF EXISTS workqueue_result_first_contact_insert ON workqueue_itemresult",
    "DROP FUNCTION IF EXISTS workqueue_result_first_contact()",
    "DROP TRIGGER IF EXISTS workqueue_item_first_contact ON workqueue_workitem",
    "DROP FUNCTION IF EXISTS workqueue_item_first_contact()",
]


class Migration(migrations.Migration):
    dependencies = [("workqueue", "0005_first_contact")]

    operations = [migrations.RunSQL(DROP, reverse_sql=migrations.RunSQL.noop)]
