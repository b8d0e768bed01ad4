"""Each mail server's health, kept so a mailbox that silently stops being fetched is seen.

After every poll of a mailbox and every SMTP round the outcome is written to its
:class:`~intake.db.tables.ServerHealth` row. A refused login or token makes it ``auth_failing``;
a server that keeps asking us to wait (Graph's 429/503) ``throttled``: busy, not broken, the next
poll goes on; anything else ``failing``; a success makes it ``ok`` again. ``failing_since`` keeps when the
current run of failures began, so monitoring can tell a blip from an outage.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from intake.clock import as_utc
from intake.db.tables import ServerHealth, utcnow


def record_success(
    engine: Engine,
    name: str,
    *,
    auth_kind: str,
    token_expires_at: datetime | None = None,
    backlog: int | None = None,
) -> None:
    with Session(engine) as session:
        row = session.get(ServerHealth, name) or ServerHealth(name=name)
        row.auth_kind, row.state, row.backlog = auth_kind, "ok", backlog
        row.last_success_at, row.failing_since = utcnow(), None
        if token_expires_at is not None:
            row.token_expires_at = token_expires_at
        session.add(row)
        session.commit()


def record_failure(
    engine: Engine, name: str, *, auth_kind: str, error: str, auth: bool, throttled: bool = False
) -> None:
    with Session(engine) as session:
        row = session.get(ServerHealth, name) or ServerHealth(name=name)
        now = utcnow()
        row.auth_kind, row.state = auth_kind, _state(auth=auth, throttled=throttled)
        row.last_error, row.last_error_at = error[:2000], now
        row.failing_since = row.failing_since or now
        session.add(row)
        session.commit()


def _state(*, auth: bool, throttled: bool) -> str:
    return "auth_failing" if auth else "throttled" if throttled else "failing"


def all_servers(session: Session) -> list[ServerHealth]:
    return list(session.exec(select(ServerHealth).order_by(col(ServerHealth.name))))


def failing(session: Session) -> list[ServerHealth]:
    """Every server whose last attempt failed, longest failing first."""
    query = select(ServerHealth).where(ServerHealth.state != "ok").order_by(col(ServerHealth.failing_since))
    return list(session.exec(query))


def failing_longer_than(session: Session, minutes: int, now: datetime | None = None) -> list[ServerHealth]:
    limit = (now or utcnow()) - timedelta(minutes=minutes)
    return [row for row in failing(session) if row.failing_since and as_utc(row.failing_since) <= limit]


def display_name(name: str) -> str:
    return name.removeprefix("mailbox:")
