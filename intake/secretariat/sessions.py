"""Desk sessions kept in the database: a session is a row, and it ends when the row is deleted.

The browser gets a random token (in its signed cookie); the table keeps only the token's SHA-256,
the account, when the session began and when it was last used. A session is good while its account
is enabled, it was used within the idle lifetime and it began within the absolute lifetime; signing
out, changing the password and disabling the account delete rows, so a copied cookie stops working
at once. Last use is written at most once a minute (:data:`TOUCH_EVERY`), not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col

from intake.clock import as_utc
from intake.db.tables import DeskSession, DeskUser, utcnow

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class Lifetimes:
    """How long a session lasts: unused (``idle``) and at most (``absolute``)."""

    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True, kw_only=True)
class Found:
    """A good session: whose it is, and whether its last use should be written now."""

    user_id: int
    name: str
    stale: bool


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user_id: int) -> str:
    """A new session for the account; returns the token for the cookie (kept nowhere else)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(DeskSession(token_hash=digest(token), user_id=user_id, created_at=now, last_seen_at=now))
    return token


def find(session: Session, token: str, lifetimes: Lifetimes) -> Found | None:
    """The session this token opens, if it is still good (a read only: nothing is written)."""
    row = session.get(DeskSession, digest(token))
    if row is None:
        return None
    user = session.get(DeskUser, row.user_id)
    now = utcnow()
    if user is None or user.disabled or user.id is None:
        return None
    if now - as_utc(row.last_seen_at) > lifetimes.idle or now - as_utc(row.created_at) > lifetimes.absolute:
        return None
    return Found(user_id=user.id, name=user.name, stale=now - as_utc(row.last_seen_at) >= TOUCH_EVERY)


def touch(session: Session, token: str) -> None:
    """Note that the session was used now (its idle time starts again)."""
    statement = update(DeskSession).where(col(DeskSession.token_hash) == digest(token))
    session.execute(statement.values(last_seen_at=utcnow()))


def end(session: Session, token: str) -> None:
    session.execute(delete(DeskSession).where(col(DeskSession.token_hash) == digest(token)))


def end_for_user(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End the account's sessions, all or all but ``keep`` (a token); returns how many ended."""
    statement = delete(DeskSession).where(col(DeskSession.user_id) == user_id)
    if keep is not None:
        statement = statement.where(col(DeskSession.token_hash) != digest(keep))
    return session.execute(statement).rowcount  # type: ignore[attr-defined]


def sweep(session: Session, lifetimes: Lifetimes) -> int:
    """Delete the rows of sessions that have ended by themselves (idle or too old)."""
    now = utcnow()
    statement = delete(DeskSession).where(
        or_(
            col(DeskSession.last_seen_at) < now - lifetimes.idle,
            col(DeskSession.created_at) < now - lifetimes.absolute,
        )
    )
    return session.execute(statement).rowcount  # type: ignore[attr-defined]
