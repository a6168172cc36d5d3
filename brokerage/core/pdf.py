"""PDF rendering with WeasyPrint, one document at a time per process.

WeasyPrint lays text out with Pango, HarfBuzz and fontconfig through cffi; they are not safe to
use from several threads at once, and doing so crashes the process with a segmentation fault
and no Python traceback (Kozea/WeasyPrint#1402, #167; `make run`'s runserver is threaded, and
so is a gunicorn with --threads). The lock below serialises rendering within one process; it
guards a C library, not data, so it holds nothing across processes or nodes (gunicorn's sync
workers and Celery's prefork workers never contend for it). WeasyPrint is imported here, in the
rendering call, so that Celery's prefork pool does not fork a parent that already set Pango up
(Kozea/WeasyPrint#684).
"""

import threading

_render_lock = threading.Lock()


def pdf_from_html(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html`` (rendered with no other WeasyPrint rendering in this process)."""
    from weasyprint import HTML

    with _render_lock:
        return HTML(string=html, base_url=base_url).write_pdf()
