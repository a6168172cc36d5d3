"""WeasyPrint (Pango through cffi) is not thread-safe: a threaded server rendering two PDFs at
once can die of a segmentation fault. Rendering is serialised within a process (item 12)."""

import threading
import time

import weasyprint

from brokerage.core.pdf import pdf_from_html


def test_it_renders_one_pdf_at_a_time_in_a_process(monkeypatch):
    inside, most = [0], [0]
    guard = threading.Lock()

    class SlowHTML:
        def __init__(self, string, base_url=None):
            self.string = string

        def write_pdf(self):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with guard:
                inside[0] -= 1
            return b"%PDF " + self.string.encode()

    monkeypatch.setattr(weasyprint, "HTML", SlowHTML)
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(pdf_from_html(f"<p>{i}</p>")))
               for i in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1 and len(results) == 4


def test_it_renders_a_real_pdf():
    assert pdf_from_html("<p>Cartera ✓ 保单</p>").startswith(b"%PDF")
