"""`make test` stops at once, in one line, when a service is unreachable."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_services.py"


def _run(**env):
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_it_passes_when_both_services_answer():
    result = _run()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_it_names_redis_in_one_line_when_redis_is_down():
    result = _run(REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Redis is not reachable at 127.0.0.1:1" in lines[0]
    assert "PostgreSQL" not in lines[0]


def test_it_names_postgresql_in_one_line_when_the_database_is_down():
    result = _run(DATABASE_URL="postgres://postgres@127.0.0.1:1/cartera")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PostgreSQL is not reachable at 127.0.0.1:1" in lines[0]
