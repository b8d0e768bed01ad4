"""The database every test works on: a SQLite file in the test's folder, or — with
``pytest --db=postgresql`` — a fresh, empty database on a throwaway PostgreSQL cluster.

One cluster per pytest worker (xdist), started on first use on 127.0.0.1 with a free port, in a
temporary folder owned by the ``postgres`` user (``initdb`` refuses root), without fsync; it is
stopped at the end of the session. Each test gets its own database (``CREATE DATABASE``), empty
like a SQLite file that does not exist yet, so ``intake init`` and the migrations run for real.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BACKENDS = ("sqlite", "postgresql")
_backend = "sqlite"
_cluster: PostgresCluster | None = None
_numbers = itertools.count(1)


def use(backend: str) -> None:
    """Chosen once, by the ``--db`` option (tests/conftest.py)."""
    global _backend
    _backend = backend


def backend() -> str:
    return _backend


def database_url(folder: Path) -> str:
    """A new database for one test: ``folder/intake.db``, or a fresh PostgreSQL database."""
    if _backend == "sqlite":
        return f"sqlite:///{folder}/intake.db"
    return cluster().create_database()


def cluster() -> PostgresCluster:
    global _cluster
    if _cluster is None:
        _cluster = PostgresCluster().start()
    return _cluster


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def _bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise RuntimeError(
            "PostgreSQL is not installed: run `bash scripts/bootstrap` (it installs postgresql)"
        )
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresCluster:
    """A PostgreSQL server of our own, for the tests of one process."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="intake-pg-"))
        self.port = _free_port()
        self.bin = _bin()
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main").replace("-", "_")

    def _as_postgres(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def start(self) -> PostgresCluster:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        data = self.folder / "data"
        self._as_postgres(
            "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300 "
            "-c timezone=Asia/Tokyo"  # not UTC, so that intake's own UTC sessions are what keeps times right
        )
        log = str(self.folder / "log")
        self._as_postgres("pg_ctl", "-D", str(data), "-l", log, "-w", "-o", options, "start")
        self._watchdog = self._outlive_us(data / "postmaster.pid")
        return self

    def _outlive_us(self, pid_file: Path) -> subprocess.Popen:
        """A shell that stops the server and removes its folder once this process is gone, so a
        test run that is killed (timeout, ^C twice) leaves no cluster running; stop() ends it."""
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f'kill -INT "$(head -n 1 {pid_file} 2>/dev/null)" 2>/dev/null; sleep 5; rm -rf {self.folder}'
        )
        return subprocess.Popen(
            ["sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"intake_{self.worker}_{next(_numbers)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)

    def stop(self) -> None:
        pid_file = self.folder / "data" / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGINT)  # fast shutdown: ends the connections tests left open
            deadline = time.monotonic() + 30
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.kill()
            watchdog.wait()
