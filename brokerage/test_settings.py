"""Settings for the test suite: PostgreSQL and Redis on localhost unless overridden."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")


def _own_redis_db(url: str, worker: str) -> str:
    """Under pytest-xdist each worker ("gw0", "gw1", ...) gets its own Redis database, counting
    down from the one configured, so that one worker's cache.clear() and Celery broker never
    touch another's."""
    from urllib.parse import urlsplit, urlunsplit

    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base - int(worker[2:])) % 16}"))


os.environ["REDIS_URL"] = _own_redis_db(
    os.environ["REDIS_URL"], os.environ.get("PYTEST_XDIST_WORKER", "")
)
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# The live server of the browser tests speaks plain HTTP.
for name in (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "BEHIND_TLS_PROXY",
):
    os.environ.setdefault(name, "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A second alias, a mirror of the test database, as a read replica would be: the reports read
# from it only in the tests that set REPORTS_DATABASE = "replica" (brokerage/core/tests/
# test_replica.py); every other test reads and writes default alone.
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})  # noqa: F405
REPORTS_DATABASE = "default"
# Tasks run eagerly unless a test starts a real worker (see brokerage/conftest.py).
CELERY_TASK_ALWAYS_EAGER = True
