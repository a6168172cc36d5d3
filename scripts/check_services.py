"""Stop `make test` at once, in one line, when PostgreSQL or Redis cannot be reached."""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis


def check_postgres(url: str) -> str | None:
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        return f"DATABASE_URL must point to PostgreSQL for the tests, not {parts.scheme!r}"
    dbname = parts.path.lstrip("/") or "postgres"
    base = dict(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        connect_timeout=3,
    )
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **base) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [dbname]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{dbname}"')
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL is not reachable at {base['host']}:{base['port']} ({reason})"
    return None


def check_redis(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        parts = urlparse(url)
        return f"Redis is not reachable at {parts.hostname}:{parts.port or 6379} ({exc})"
    return None


def main() -> int:
    problems = [
        p
        for p in (
            check_postgres(
                os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cartera")
            ),
            check_redis(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")),
        )
        if p
    ]
    if problems:
        print("make test: " + "; ".join(problems) + ".", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
