"""Settings come from the environment; bad or missing ones get a clear message."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-0123456789-abcdefghijkl",
    "ALLOWED_HOSTS": "crm.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cartera",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def _run(args, env_overrides, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("DJANGO_")}
    for name in (
        "DEBUG",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "BEHIND_TLS_PROXY",
        "SECURE_HSTS_SECONDS",
        "EMAIL_URL",
    ):
        env.pop(name, None)
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "brokerage.settings"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_refuses_to_start_without_a_secret_key_in_production():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY environment variable must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_in_production():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_nothing_set_it_runs_on_the_embedded_postgresql_with_eager_tasks():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from brokerage.celery import app; db = settings.DATABASES['default']; "
        "print(db['ENGINE'], db['HOST'], db['NAME'], app.conf.task_always_eager)"
    )
    result = _run(["-c", code], {"DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        str(ROOT / "var" / "postgres"),
        "cartera",
        "True",
    ]


def test_it_refuses_a_database_other_than_postgresql_in_one_line():
    result = _run(["manage.py", "check"], {"DEBUG": "true", "DATABASE_URL": "sqlite:///db.sqlite3"})
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        "Cartera runs on PostgreSQL only: DATABASE_URL is sqlite://, not postgres:// (unset, it"
        " is the embedded PostgreSQL that `make run` starts)."
    ]


def test_with_urls_set_it_uses_postgresql_and_the_broker():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "from brokerage.celery import app; "
        "print(settings.DATABASES['default']['ENGINE'], app.conf.task_always_eager, "
        "app.conf.broker_url, settings.TIME_ZONE, settings.LANGUAGE_CODE)"
    )
    result = _run(
        ["-c", code], {**PRODUCTION, "TIME_ZONE": "America/Mexico_City", "LANGUAGE_CODE": "es"}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "redis://127.0.0.1:6379/15",
        "America/Mexico_City",
        "es",
    ]


def test_email_url_configures_smtp():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT)"
    )
    result = _run(["-c", code], {**PRODUCTION, "EMAIL_URL": "smtp+tls://u:p@mail.example.com:587"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.com",
        "587",
    ]
