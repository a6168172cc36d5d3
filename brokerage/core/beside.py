"""Two independent pieces of database work at once, on two connections.

After an import, the renewals job (cases, touches, lapses) and the instalment plan of the
imported policies each take one PostgreSQL backend several seconds of CPU, and neither
reads what the other writes: run one after the other they leave a core idle. ``beside(work)``
starts ``work`` in a thread of its own, which opens its own database connection (Django's
connections are per thread) and closes it when done, while the caller goes on with the other
piece; ``join()`` waits for it and gives its result, or raises its error.

Called inside a transaction, the caller's uncommitted rows would be invisible to a second
connection (and the work would not be part of the caller's transaction): then ``work`` runs
in the caller's thread and transaction, at ``join()``, as it would without ``beside``."""

import threading

from django.db import connections, transaction


class Beside:
    """``work`` running in a thread on its own connection (see the module's docstring)."""

    def __init__(self, work, *, name: str = "beside"):
        self._work = work
        self._result = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if not transaction.get_connection().in_atomic_block:
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()

    @property
    def threaded(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        try:
            self._result = self._work()
        except BaseException as exc:  # noqa: BLE001 - raised again by join()
            self._error = exc
        finally:
            connections.close_all()  # this thread's own connections

    def join(self):
        """The work's result, once it is done (its error raised here)."""
        if self._thread is None:
            return self._work()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def beside(work, *, name: str = "beside") -> Beside:
    return Beside(work, name=name)
