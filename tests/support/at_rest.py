"""What a test's database keeps at rest, copied into a folder as files a test can search byte for
byte (for a password that must not be there).

SQLite: the database file with its ``-wal`` and ``-shm``, copied as they are (call it while intake
still has the database open: a clean close folds the WAL back in). PostgreSQL (``--db=postgresql``):
after a ``CHECKPOINT`` (every change written to the table files), the files of the test's own
database in the cluster (``base/OID``), the WAL segments written since ``since`` (the tests of one
worker run one after another, so that WAL is this test's), and every value of every row of every
table (``rows.bin``: text as UTF-8, binary as it is — a value the server compressed is searchable there).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from support import postgres


def snapshot(url: str, into: Path, *, since: float) -> list[Path]:
    """Copy what the database at ``url`` holds into ``into``; the files copied."""
    into.mkdir(parents=True, exist_ok=True)
    if make_url(url).get_backend_name() == "sqlite":
        database = Path(make_url(url).database or "")
        sources = [database.with_name(database.name + end) for end in ("", "-wal", "-shm")]
        return [Path(shutil.copy(s, into / s.name)) for s in sources if s.exists()]
    return _postgresql(url, into, since)


def _postgresql(url: str, into: Path, since: float) -> list[Path]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("CHECKPOINT"))
            oid = conn.execute(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar()
            values = [
                _raw(value)
                for table in inspect(conn).get_table_names()
                for row in conn.execute(text(f'SELECT * FROM "{table}"'))
                for value in row
            ]
    finally:
        engine.dispose()
    (into / "rows.bin").write_bytes(b"\n".join(values))
    data = postgres.cluster().folder / "data"
    files = [p for p in (data / "base" / str(oid)).iterdir() if p.is_file()]
    files += [p for p in (data / "pg_wal").iterdir() if p.is_file() and p.stat().st_mtime >= since - 1]
    copied = [into / "rows.bin"]
    for source in files:
        target = into / source.parent.name / source.name
        target.parent.mkdir(exist_ok=True)
        try:
            copied.append(Path(shutil.copy(source, target)))
        except FileNotFoundError:  # removed by the server while we copy (its relcache init file): gone
            continue
    return copied


def _raw(value: object) -> bytes:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")
