"""Two independent pieces of database work at once, on two connections.

After an import, the renewals job (cases, touches, lapses) and the instalment plan of the
imported policies each take one PostgreSQL backend several seconds of CPU, and neither
reads what the other writes: run one after the other they leave a core idle. ``beside(work)``
starts ``work`` in a thread of its own, which opens its own database connection (Django's
connections are per thread) and closes it when done, while the caller goes on with the other
piece; ``join()`` waits for it and gives its result, or raises its error.

``BesideQueue(work)`` does the same for a stream of batches: an import puts each committed
chunk's policies, and ``work`` follows them up (their cases, touches and instalments) on the
second connection while the importer writes the next chunk.

Called inside a transaction, the caller's uncommitted rows would be invisible to a second
connection (and the work would not be part of the caller's transaction): then ``work`` runs
in the caller's thread and transaction, at ``join()`` (or at each ``put``), as it would
without them."""

import logging
import threading

from django.db import connections, transaction

logger = logging.getLogger(__name__)


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


class BesideQueue:
    """``work(items)`` run in a thread of its own, on its own connection, for the items put
    in one after the other while the caller goes on (an import's chunks: each chunk's policies
    followed up while the next chunk is written). The thread takes every item waiting at once,
    so it falls behind by one batch at most, however slow the work.

    It is a head start on work that the caller has done again, complete, after ``close()``
    (the import's renewals task): an error in the thread is logged and ends it (``close()``
    returns the error), never raised into the caller. Inside a transaction (see ``Beside``)
    ``put`` runs the work at once, in the caller's thread and transaction, and an error is
    raised there.

    The thread starts with the first batch, not before: the import forks its parser process
    in between, and a process is best forked while it runs one thread."""

    def __init__(self, work, *, name: str = "beside-queue"):
        self._work, self._name = work, name
        self._waiting: list = []
        self._closed = False
        self._error: BaseException | None = None
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._inline = transaction.get_connection().in_atomic_block

    @property
    def threaded(self) -> bool:
        return not self._inline

    def put(self, items) -> None:
        items = list(items)
        if not items:
            return
        if self._inline:
            self._work(items)
            return
        with self._ready:
            if self._closed or self._error is not None:
                return
            self._waiting.extend(items)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._ready.notify()

    def _run(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._waiting and not self._closed:
                        self._ready.wait()
                    if not self._waiting:
                        return
                    batch, self._waiting = self._waiting, []
                self._work(batch)
        except BaseException as exc:  # noqa: BLE001 - returned by close(), logged here
            self._error = exc
            logger.warning("%s stopped: %r (the work is done again after)", self._name, exc,
                           exc_info=exc)  # fmt: skip
        finally:
            connections.close_all()  # this thread's own connections

    def close(self, *, drop: bool = False) -> BaseException | None:
        """Wait for the items put so far to be done (``drop``: for the batch under way only,
        the others are dropped), and end the thread. Returns the thread's error, if any."""
        with self._ready:
            self._closed = True
            if drop:
                self._waiting = []
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        return self._error
