"""Opening the database and keeping its schema current.

SQLite is the default; PostgreSQL (``postgresql+psycopg://…``) is the tested alternative for
several instances sharing one database (:mod:`intake.db.locks`). A SQLite file is created with mode 0600 (it
holds personal data) and used in WAL mode, so the poller and staff commands can work side by side.
The schema is built and upgraded only by the versioned migrations in ``intake/migrations``; Alembic
is loaded only to upgrade. A command that works on the database checks the schema with one read of
the revision the migrations recorded, compared with the newest migration's file name.

On SQLite every transaction that may write begins with ``BEGIN IMMEDIATE``: it waits (up to
``storage.lock_timeout_seconds``) for the one writer there may be, instead of starting as a reader
and failing at once with "database is locked" when it tries to write after another process did.
Commands that only read use :func:`reading` (plain ``BEGIN``), so they never wait for a writer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session

from intake.db import audit, search
from intake.errors import ConfigError, IntakeError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


READ_ONLY = "intake_read_only"


def make_engine(url: str, *, lock_timeout: float = 30.0) -> Engine:
    """The engine for ``url``, with the audit log made append-only (:func:`intake.db.audit.guard`).
    A URL that cannot be parsed, or whose driver is not installed, is a :class:`ConfigError`
    naming ``storage.database`` — never the URL, which may hold a password."""
    parsed = _parsed(url)
    if parsed.get_backend_name() == "postgresql":
        engine = _with_driver(parsed, lambda: _postgresql_engine(url, lock_timeout))
    elif parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        engine = _with_driver(parsed, lambda: create_engine(url))
    else:
        _create_private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": lock_timeout})
        event.listen(engine, "connect", lambda conn, _record: _sqlite_pragmas(conn, lock_timeout))
        # pysqlite's own transaction handling breaks SAVEPOINT: let SQLAlchemy emit BEGIN itself.
        event.listen(engine, "begin", _begin)
    audit.guard(engine)
    search.watch()  # the search index follows what every session writes
    return engine


def _parsed(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(
            "storage.database: not a database URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DATABASE"
        ) from None


def _with_driver(parsed: URL, make: Callable[[], Engine]) -> Engine:
    try:
        return make()
    except (NoSuchModuleError, ImportError):
        driver = f"{parsed.get_backend_name()}+{parsed.get_driver_name()}"
        hint = ": pip install 'intake[postgresql]'" if parsed.get_driver_name() == "psycopg" else ""
        raise ConfigError(f"storage.database: the driver for {driver} is not installed{hint}") from None


def _postgresql_engine(url: str, lock_timeout: float) -> Engine:
    """Sessions in UTC: the tables keep UTC times without a zone (as on SQLite), so the server's
    own time zone must not shift them. A statement waits at most ``lock_timeout`` seconds for a
    lock another program holds (``lock_timeout``, as SQLite waits for its write lock), then fails
    with "lock timeout": the poll stops in one line and the next one catches up. ``application_name`` names the process in
    ``pg_stat_activity`` (which instance holds what). A connection is tested before use, so one cut by a
    failover to the standby is replaced instead of failing the next command."""
    options = f"-c timezone=UTC -c lock_timeout={round(lock_timeout * 1000)}"
    connect_args = {"options": options, "application_name": f"intake {os.getpid()}"}
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    event.listen(engine, "before_cursor_execute", _without_nul, retval=True)
    return engine


def _without_nul(_conn, _cursor, statement: str, parameters, _context, _executemany):
    """PostgreSQL text cannot hold U+0000, which SQLite keeps: a subject or a name with a NUL in it
    (broken or hostile mail) would send its message to the quarantine instead of making a case.
    The NUL is stored as U+FFFD, the character shown for anything unreadable."""
    return statement, _scrubbed(parameters)


def _scrubbed(value):
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrubbed(item) for item in value)
    return value


def reading(engine: Engine) -> Engine:
    """The same database for a command that only reads: its transactions never take the write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def _begin(conn) -> None:
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def _create_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does. An existing file is never opened here:
    closing any descriptor of a SQLite file drops the POSIX locks this process holds on it."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:  # created meanwhile by another process
        pass


def _sqlite_pragmas(dbapi_connection, lock_timeout: float) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows (used password tokens) are overwritten
    cursor.close()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    from alembic import command  # Alembic loads only to upgrade: it is slow to import
    from alembic.config import Config as AlembicConfig

    before = current_revision(engine)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, "head")
    return before, head_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the migrations recorded in ``alembic_version`` (None: never initialised)."""
    with reading(engine).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        recorded = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ", ".join(recorded) or None  # one row: the history of the migrations has no branches


def head_revision() -> str:
    """The newest migration's revision, read from the file names without loading Alembic: revision
    0005 is ``versions/0005_*.py`` (tests/test_storage.py holds every migration to that)."""
    return max(path.name.partition("_")[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


def require_current(engine: Engine) -> None:
    """Refuse to work on a database the migrations have not brought up to date."""
    if current_revision(engine) != head_revision():
        raise IntakeError(
            "the database is not initialised or is older than this version of intake: run `intake init`"
        )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session committed on success and rolled back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def wipe_deleted(engine: Engine) -> None:
    """Make what was deleted or overwritten unreadable on disk as well.

    SQLite keeps old row images in free pages of the file and in the write-ahead log (-wal) until
    they are reused: VACUUM rewrites the file without them and a TRUNCATE checkpoint empties the log.
    The search index's FTS5 table keeps what was deleted from it in its segments until they are
    merged: 'optimize' merges them all first.
    Other databases keep dead rows until their own vacuum (PostgreSQL: ``VACUUM FULL``), run by
    their administrator: nothing is done here.
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # autocommit (see _sqlite_pragmas): VACUUM runs outside a transaction
    try:
        cursor = raw.cursor()
        cursor.execute("INSERT INTO searchentry_fts(searchentry_fts) VALUES ('optimize')")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("VACUUM")
        busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cursor.close()
    finally:
        raw.close()
    if busy:
        raise IntakeError(
            "the write-ahead log could not be emptied while another program reads the database; "
            "run the command again when it is idle"
        )
