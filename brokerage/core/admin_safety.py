"""The Django admin is for staff repairs, never for rewriting the record of what happened.

Audit models (the client timeline, the file-access log, exports, work results, every
django-simple-history table) are read-only in the admin, and no admin delete may reach them by
cascade: a model whose deletion would cascade into (or null out) audit rows cannot be deleted
there at all. Staff repair by deactivating or editing, not deleting. Every ModelAdmin and
inline uses :class:`AuditSafeAdminMixin`; a test checks every registered model.
"""

from functools import cache

from django.db import models
from simple_history.models import HistoricalChanges

# Models whose rows are the record of what happened ("app_label.ModelName").
AUDIT_MODELS = frozenset(
    {
        "clients.Interaction",
        "clients.ClientAccess",
        "core.ExportRecord",
        "workqueue.ItemResult",
    }
)

# What a delete does to the rows that point at the deleted one; PROTECT/RESTRICT refuse and
# DO_NOTHING leaves them as they are.
_REACHING = (models.CASCADE, models.SET_NULL, models.SET_DEFAULT)


def is_audit_model(model) -> bool:
    return model._meta.label in AUDIT_MODELS or issubclass(model, HistoricalChanges)


@cache
def cascades_into_audit(model) -> bool:
    """Whether deleting a row of ``model`` could delete or change audit rows, directly or
    through a chain of cascades."""
    seen = set()
    todo = [model._meta.concrete_model]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        # The relations the delete collector follows, hidden ones (related_name="+") too.
        for rel in current._meta.get_fields(include_hidden=True):
            if not rel.auto_created or rel.concrete or not (rel.one_to_many or rel.one_to_one):
                continue
            on_delete = rel.on_delete
            if on_delete not in _REACHING:
                continue
            related = rel.related_model
            if is_audit_model(related):
                return True
            if on_delete is models.CASCADE:
                todo.append(related._meta.concrete_model)
    return False


class AuditSafeAdminMixin:
    """For ModelAdmin and InlineModelAdmin: audit models read-only, no delete that cascades
    into audit rows. Put it first in the bases."""

    def _is_audit(self) -> bool:
        return is_audit_model(self.model)

    def has_add_permission(self, request, *args, **kwargs):
        return not self._is_audit() and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not self._is_audit() and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._is_audit() or cascades_into_audit(self.model):
            return False
        return super().has_delete_permission(request, obj)
