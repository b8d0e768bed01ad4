"""What one database session remembers between messages of a poll's batch: facts every message
asks for and that only staff change (the member domains), or that grow by what the poll itself
stores (the applications in hand). Only a session the poller opened with :func:`begin_batch`
remembers, and only until its next batch or a rollback (what was read may not be stored any
more); any other session (the desk, the command line, where staff change the register and
evaluate cases in one transaction) reads the database every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session as AnySession
from sqlmodel import Session

T = TypeVar("T")
_KEY = "intake.memo"


def remembered(session: Session, name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, read once per batch of a poller's session (else every time)."""
    memo = session.info.get(_KEY)
    if memo is None:
        return load()
    if name not in memo:
        memo[name] = load()
    return memo[name]


def begin_batch(session: Session) -> None:
    """From now on the session remembers, until the next batch or a rollback."""
    session.info[_KEY] = {}
    if not event.contains(session, "after_soft_rollback", _forget_on_rollback):
        event.listen(session, "after_soft_rollback", _forget_on_rollback)


def _forget_on_rollback(session: Session, _previous) -> None:
    if _KEY in session.info:
        session.info[_KEY] = {}


def peek(session: Session, name: str) -> Any:
    """What the poller's session keeps under ``name`` for this batch, or None."""
    return session.info.get(_KEY, {}).get(name)


def keep(session: Session, name: str, value: Any) -> None:
    """Keep ``value`` for this batch (a session that does not remember drops it)."""
    if _KEY in session.info:
        session.info[_KEY][name] = value


_HELD = "intake.held"


def hold(session: AnySession, name: str, value: Any) -> None:
    """Keep ``value`` in ``session.info[name]`` until the session's next commit or rollback: what a
    poller's batch gathers to write at once (a rollback means the batch is written again)."""
    session.info[name] = value
    session.info.setdefault(_HELD, set()).add(name)
    if not event.contains(session, "after_commit", _let_go):
        event.listen(session, "after_commit", _let_go)
        event.listen(session, "after_soft_rollback", _let_go)


def _let_go(session: AnySession, *_previous: object) -> None:
    for name in session.info.pop(_HELD, ()):
        session.info.pop(name, None)
