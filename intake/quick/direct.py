"""Reading the database straight with :mod:`sqlite3` when no service answers: the same rows the
full command line's views read, in the same order, as plain values — no ORM, no pydantic.

Only SQLite; anything unexpected (another database, a schema this does not know, a mail server
failing, which the queue would announce) is :class:`Unanswered`, and the full command line answers.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from intake.clock import JST, as_utc, jst_iso

MIGRATIONS = Path(__file__).resolve().parent.parent / "db" / "migrations" / "versions"


class Unanswered(Exception):
    """The quick path does not answer this one: the full command line does."""


@dataclass(frozen=True)
class Source:
    """What a command read from the database needs: the SQLite file, how long to wait for it, the
    rules folder (labels), the configuration's TOML as read (not validated) and the archive of
    messages."""

    database: Path
    timeout: float
    rules: Path
    config: dict
    archive: Path | None


@dataclass(frozen=True)
class Printed:
    stdout: str
    stderr: str = ""
    exit_code: int = 0


def connect(file: Path, timeout: float) -> sqlite3.Connection:
    """The database file, opened for reading (never created); one snapshot for the whole command."""
    if not file.is_file():
        raise Unanswered(f"{file}: no database here")
    try:
        conn = sqlite3.connect(f"file:{quote(str(file))}?mode=rw", uri=True, timeout=timeout)
        conn.isolation_level = None
        conn.execute("BEGIN")  # a read transaction: one consistent view, never the write lock
        recorded = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error as exc:
        raise Unanswered(str(exc)) from None
    if ", ".join(recorded) != head_revision():
        conn.close()
        raise Unanswered("the schema is not this version's: the full command line says run intake init")
    conn.row_factory = sqlite3.Row
    return conn


def head_revision() -> str:
    """The newest migration's revision, as :func:`intake.db.engine.head_revision` reads it: from
    the file names of ``intake/db/migrations/versions``."""
    return max(path.name.partition("_")[0] for path in MIGRATIONS.glob("*_*.py"))


def stored(value: str | None) -> datetime | None:
    """A time as SQLAlchemy stores it in SQLite (naive UTC text)."""
    return datetime.fromisoformat(value) if value else None


def bound(when: datetime) -> str:
    """A time as SQLAlchemy binds it for SQLite, to compare with stored ones."""
    return as_utc(when).strftime("%Y-%m-%d %H:%M:%S.%f")


def today_start(now: datetime | None = None) -> datetime:
    """00:00 JST today, in UTC (as :func:`intake.cases.sla.today_start`)."""
    day = as_utc(now or datetime.now(UTC)).astimezone(JST).date()
    return datetime(day.year, day.month, day.day, tzinfo=JST).astimezone(UTC)


def due_date(due_at: datetime | None) -> date | None:
    return as_utc(due_at).astimezone(JST).date() if due_at else None


def failing_servers(conn: sqlite3.Connection) -> bool:
    """Whether a mail server is failing (the queue then opens with a warning: not said here)."""
    return conn.execute("SELECT 1 FROM serverhealth WHERE state != 'ok' LIMIT 1").fetchone() is not None


QUEUE_COLUMNS = (
    "id, kind, status, mailbox, sender, org_name, subject, received_at, robot, owner, due_at, merged_into"
)


def queue_filters(filters: dict) -> tuple[str, list]:
    """The WHERE clause of :func:`intake.secretariat.views._filtered`."""
    clauses, params = [], []
    if filters["robots"] is not None:
        clauses.append("robot = ?")
        params.append(1 if filters["robots"] else 0)
    for key in ("status", "kind", "mailbox", "owner"):
        if filters[key]:
            clauses.append(f"{key} = ?")
            params.append(filters[key])
    if filters["org"]:
        clauses.append("lower(org_name) LIKE '%' || lower(?) || '%'")
        params.append(filters["org"])
    return " AND ".join(clauses) or "1", params


def queue(conn: sqlite3.Connection, filters: dict, limit: int | None) -> list[dict]:
    """:func:`intake.secretariat.views.queue`: the overdue cases first, then newest first."""
    where, params = queue_filters(filters)
    cutoff = today_start()
    page = f" LIMIT {int(limit)}" if limit else ""
    select = f'SELECT {QUEUE_COLUMNS} FROM "case" WHERE {where}'
    late = conn.execute(f"{select} AND due_at < ? ORDER BY due_at, id{page}", [*params, bound(cutoff)])
    on_time = conn.execute(
        f"{select} AND (due_at IS NULL OR due_at >= ?) ORDER BY received_at DESC, id DESC{page}",
        [*params, bound(cutoff)],
    )
    shown = [*late.fetchall(), *on_time.fetchall()][:limit]
    if not shown:
        return []
    findings = open_findings(conn, [row["id"] for row in shown])
    return [queue_item(row, findings.get(row["id"], []), cutoff) for row in shown]


def count_cases(conn: sqlite3.Connection, filters: dict) -> int:
    where, params = queue_filters(filters)
    return conn.execute(f'SELECT count(*) FROM "case" WHERE {where}', params).fetchone()[0]


def open_findings(conn: sqlite3.Connection, case_ids: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    marks = ", ".join("?" * len(case_ids))
    query = f"SELECT case_id, code FROM finding WHERE case_id IN ({marks}) AND open = 1 ORDER BY id"
    for case_id, code in conn.execute(query, case_ids):
        found[case_id].append(code)
    return found


def queue_item(row: sqlite3.Row, findings: list[str], cutoff: datetime) -> dict:
    """:func:`intake.secretariat.views.queue_item`, key for key."""
    due_at = stored(row["due_at"])
    due = due_date(due_at)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "status": row["status"],
        "mailbox": row["mailbox"],
        "sender": row["sender"],
        "org_name": row["org_name"],
        "subject": row["subject"],
        "received_at": jst_iso(stored(row["received_at"])),
        "open_findings": findings,
        "robot": bool(row["robot"]),
        "owner": row["owner"],
        "due_at": due.isoformat() if due else None,
        "overdue": due_at is not None and as_utc(due_at) < cutoff,
        "due_today": due_at is not None and cutoff <= as_utc(due_at) < cutoff + timedelta(days=1),
        "merged_into": row["merged_into"],
    }
