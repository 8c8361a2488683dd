"""A throwaway PostgreSQL server for the usage tests (initdb and pg_ctl in a temporary folder), and helpers."""

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from app.usage import schema
from app.usage.store import normalise_url

WAIT = 30  # seconds for the server to start or stop

try:
    from app.events import Event
except ImportError:  # STAND-IN until the lead's app/events.py lands: the same fields as in notes/USAGE.md

    @dataclass(frozen=True)
    class Event:
        """What the line did (stand-in for app.events.Event)."""

        channel: str
        locale: str
        served: str
        outcome: str
        segments: int = 0
        started: bool = False


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL binaries (.ci/run installs the postgresql package), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    """A port nobody listens on, from the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One cluster in a temporary folder, on a free loopback port, trusting local connections."""

    def __init__(self, binaries: Path):
        self.bin = binaries
        self.base = Path(tempfile.mkdtemp(prefix="usage-postgres-"))  # not under pytest's 0700 root-only folder
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.port = free_port()
        # PostgreSQL refuses to run as root: then run it as the postgres user the Debian package creates.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            account = pwd.getpwnam(self.user)
            os.chown(self.base, account.pw_uid, account.pw_gid)
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()

    def run(self, program: str, *args: str) -> None:
        """Run one of the server's programs, as the postgres user where we are root."""
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=WAIT, cwd=self.base)

    def start(self) -> None:
        """Start (or restart) the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", str(WAIT), "start")

    def stop(self) -> None:
        """Stop the server at once, cutting every connection (a database going down mid-run)."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", str(WAIT), "stop")

    def url(self, database: str = "postgres") -> str:
        """A DATABASE_URL, as a platform would give it."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = "usage_" + uuid.uuid4().hex[:12]
        engine = create_engine(normalise_url(self.url()), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)

    def close(self) -> None:
        """Stop the server and delete its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


_server: PostgresServer | None = None


@pytest.fixture(scope="session")
def postgres_server():
    """The run's one PostgreSQL server (shared by every test module that imports this fixture).

    Skipped where PostgreSQL is not installed, except in CI. Each module that imports the fixture
    gets its own session-scoped copy of it from pytest, so the server itself is kept here, made once
    and stopped when the run ends.
    """
    global _server
    if _server is None:
        binaries = postgres_bin()
        if binaries is None:
            if os.environ.get("CI"):
                pytest.fail("PostgreSQL is not installed: .ci/run must apt-get install postgresql")
            pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
        _server = PostgresServer(binaries)
        atexit.register(_server.close)
    return _server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database of each kind the line supports: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'usage.sqlite3'}"
    return request.getfixturevalue("postgres_server").new_database()


def table_rows(url: str) -> dict[str, list[dict]]:
    """Every row of every usage table, for assertions."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return {
                table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in schema.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def total(url: str, column) -> int:
    """The sum of a column over its table."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.sum(column), 0))).scalar())
    finally:
        engine.dispose()
