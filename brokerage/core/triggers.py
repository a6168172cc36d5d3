"""Database triggers declared next to their model with django-pgtrigger (in ``Meta.triggers``,
migrated by makemigrations, their installed state checkable with ``pgtrigger ls``), written
against the models: tables and columns come from ``Model._meta`` when the trigger is
compiled, never from literals, so that a renamed field changes the trigger's migration
instead of breaking it in the database."""

import copy
from collections.abc import Callable

import pgtrigger
from django.db import models


class ModelTrigger(pgtrigger.Trigger):
    """A trigger whose ``update_of`` names fields of the model it fires on (``also``: other
    operations, e.g. ``pgtrigger.Insert``) and whose ``func`` is a function of that model (for
    a proxy model, the proxied table) returning the PL/pgSQL between BEGIN and END. Both are
    resolved when the trigger is compiled, after every model is loaded."""

    def __init__(
        self, *, update_of: tuple[str, ...], func: Callable[[type[models.Model]], str],
        also: pgtrigger.Operation | None = None, **kwargs,
    ):  # fmt: skip
        self.update_of, self.also = tuple(update_of), also
        super().__init__(operation=self._operation(lambda name: name), func=func, **kwargs)

    def _operation(self, column: Callable[[str], str]) -> pgtrigger.Operation:
        update = pgtrigger.UpdateOf(*(column(name) for name in self.update_of))
        return self.also | update if self.also else update

    def compile(self, model):
        resolved = copy.copy(self)
        resolved.operation = self._operation(lambda name: model._meta.get_field(name).column)
        return pgtrigger.Trigger.compile(resolved, model)

    def get_func(self, model) -> str:
        return self.func(model)


class InsertTrigger(pgtrigger.Trigger):
    """A trigger whose ``func`` is a function of its model (as ``ModelTrigger``'s), for an
    operation that names no columns (an insert)."""

    def get_func(self, model) -> str:
        return self.func(model)


def copied_reference(model, verbose_name):
    """A reference a trigger copies from another row (a case's or an instalment's policy): no
    constraint or index of its own, the original reference holds the constraint."""
    return models.ForeignKey(
        model, verbose_name=verbose_name, on_delete=models.DO_NOTHING, db_constraint=False,
        db_index=False, null=True, editable=False, related_name="+",
    )  # fmt: skip
