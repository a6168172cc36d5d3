"""chart.js is shipped in static/vendor/chartjs/, not fetched by npm (README, issue 13)."""

import hashlib

from django.conf import settings
from django.contrib.staticfiles import finders

CHARTJS = "vendor/chartjs/chart.umd.min.js"
CHARTJS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"


def test_it_serves_chartjs_from_the_repository_not_node_modules():
    found = finders.find(CHARTJS)
    assert found, "chart.js is not found by the static files finders"
    assert str(settings.BASE_DIR / "static" / "vendor" / "chartjs") in str(found)
    assert not any("node_modules" in str(d) for d in map(str, settings.STATICFILES_DIRS))


def test_it_ships_the_pinned_unmodified_build_with_its_licence_and_source_map():
    vendor = settings.BASE_DIR / "static" / "vendor" / "chartjs"
    build = (vendor / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(build).hexdigest() == CHARTJS_SHA256
    assert b"Chart.js v4.6.1" in build[:200]
    # collectstatic's manifest storage rewrites the sourceMappingURL: the map must be there.
    assert (vendor / "chart.umd.min.js.map").is_file()
    assert "MIT License" in (vendor / "LICENSE.md").read_text()


def test_it_needs_no_node_toolchain():
    root = settings.BASE_DIR
    assert not (root / "package.json").exists() and not (root / "package-lock.json").exists()
    assert "npm" not in (root / "Makefile").read_text()
    assert "npm" not in (root / ".ci" / "run").read_text()
