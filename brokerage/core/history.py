"""History of the tables written in bulk (imports, the instalments' plan)."""

from simple_history.models import HistoricalRecords


class BulkHistoricalRecords(HistoricalRecords):
    """simple-history's history whose user (who wrote the row) is neither checked against the
    users' table nor indexed: users are deactivated, never deleted, so the check and the index
    served only a deletion that never happens, and an import of 100,000 rows wrote each about
    500,000 times (every row of one import names the same user). History is read by its
    record's id; its user is joined from the row, never searched."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("user_db_constraint", False)
        super().__init__(*args, **kwargs)

    def _get_history_user_fields(self):
        fields = super()._get_history_user_fields()
        user = fields.get("history_user")
        if user is not None and hasattr(user, "db_index"):
            user.db_index = False
        return fields
