"""Cases: giving ids, and finding the case a message answers.

Case ids are per mailbox prefix and year in Japan time: ``KYOGIKAI-2026-0001``. A message joins an
existing case when its In-Reply-To / References name a message of that case, or when its subject
carries the case tag ``[KYOGIKAI-2026-0001]``. A case staff merged into another
(``Case.merged_into``) sends its mail on to the case it was merged into.

The number comes from one atomic ``UPDATE … RETURNING`` of the counter row, in the transaction that
opens the case: concurrent instances (PostgreSQL) wait for each other on that row, so numbers are
unique, and a case that is rolled back gives its number back, so they have no gaps. A poller's
batch (:func:`number_in_batch`) bumps the row once for its first case, counts the rest in memory
while it holds the row, and writes the last number just before its commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event, text
from sqlmodel import Session, col, select

from intake.clock import JST
from intake.db import memo
from intake.db.tables import Case, CaseCounter, Message
from intake.mail import ParsedMessage

_TAG = re.compile(r"\[([A-Z][A-Z0-9]*-\d{4}-\d{4,})\]")
_IN_BATCH = "intake.case_numbers"  # (prefix, year) → [last number given, last number written]
_ANSWERED = "thread_ids"
_MOST_ASKED = 5000  # Message-IDs a batch asks about at once (a hostile References is not read whole)


@dataclass
class _Known:
    """Of the Message-IDs a poller's batch refers to, those stored (or stored by the batch since)."""

    asked: set[str]
    found: set[str] = field(default_factory=set)


def look_up_threads(session: Session, messages: Iterable[ParsedMessage]) -> None:
    """Read once for a poller's batch which of the Message-IDs its messages answer are stored: a
    message none of whose are is then threaded by its subject alone, without a lookup."""
    asked = {i for parsed in messages for i in (*parsed.in_reply_to, *parsed.references) if i}
    if not asked or len(asked) > _MOST_ASKED:
        return
    known = _Known(asked)
    stored = select(Message.message_id).where(col(Message.message_id).in_(sorted(asked)))
    known.found.update(i for i in session.exec(stored) if i)
    memo.keep(session, _ANSWERED, known)
    if not event.contains(session, "transient_to_pending", _add_written):
        event.listen(session, "transient_to_pending", _add_written)


def _add_written(session: Session, row: object) -> None:
    known: _Known | None = memo.peek(session, _ANSWERED)
    if known is not None and isinstance(row, Message) and row.message_id:
        known.found.add(row.message_id)


def _may_answer_stored(session: Session, ids: list[str]) -> bool:
    known: _Known | None = memo.peek(session, _ANSWERED)
    return known is None or any(i not in known.asked or i in known.found for i in ids)


def new_case_id(session: Session, prefix: str, when: datetime) -> str:
    year = when.astimezone(JST).year
    return f"{prefix}-{year}-{_next_number(session, prefix, year):04d}"


def number_in_batch(session: Session) -> None:
    """Until the session's next commit or rollback, give case numbers from memory after the first
    (its commit writes the last one given; a rollback gives them all back)."""
    memo.hold(session, _IN_BATCH, {})
    if not event.contains(session, "before_commit", _write_numbers):
        event.listen(session, "before_commit", _write_numbers)


def _write_numbers(session: Session) -> None:
    counted = session.info.pop(_IN_BATCH, None) or {}
    write = text(
        f"UPDATE {CaseCounter.__tablename__} SET last = :last WHERE prefix = :prefix AND year = :year"
    )
    for (prefix, year), (given, written) in counted.items():
        if given > written:
            session.connection().execute(write, {"prefix": prefix, "year": year, "last": given})


def _next_number(session: Session, prefix: str, year: int) -> int:
    counted = session.info.get(_IN_BATCH)
    if counted is not None and (prefix, year) in counted:
        counted[prefix, year][0] += 1
        return counted[prefix, year][0]
    number = _bump(session, prefix, year)
    if counted is not None:
        counted[prefix, year] = [number, number]
    return number


def _bump(session: Session, prefix: str, year: int) -> int:
    key = {"prefix": prefix, "year": year}
    conn = session.connection()
    bump = text(
        f"UPDATE {CaseCounter.__tablename__} SET last = last + 1 WHERE prefix = :prefix AND year = :year "
        "RETURNING last"
    )
    number = conn.execute(bump, key).scalar()
    if number is None:  # the first case of the year: the row, made once whoever comes first
        first = f"INSERT INTO {CaseCounter.__tablename__} (prefix, year, last) VALUES (:prefix, :year, 0) "
        conn.execute(text(first + "ON CONFLICT DO NOTHING"), key)
        number = conn.execute(bump, key).scalar_one()
    return int(number)


def find_thread_case(session: Session, *, mailbox: str, prefix: str, parsed: ParsedMessage) -> Case | None:
    """The case this message answers, by its headers first, then by the tag in its subject."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids and _may_answer_stored(session, ids):
        # By Message-ID alone (its index), the mailbox compared here: with both in one query
        # SQLite walked the mailbox's index, every message of it, for every answer.
        rows = session.exec(select(Message.case_id, Message.mailbox).where(col(Message.message_id).in_(ids)))
        hit = next((case_id for case_id, where in rows if where == mailbox), None)
        if hit:
            return merged_root(session, session.get(Case, hit))
    for tag in _TAG.findall(parsed.subject):
        if tag.startswith(prefix + "-"):
            case = session.get(Case, tag)
            if case is not None and case.mailbox == mailbox:
                return merged_root(session, case)
    return None


def merged_root(session: Session, case: Case | None) -> Case | None:
    """The case mail to ``case`` belongs in: itself, or the case it was merged into (followed to the
    end; a merge never points back, the bound only guards against a hand-edited database)."""
    for _ in range(32):
        if case is None or case.merged_into is None:
            return case
        target = session.get(Case, case.merged_into)
        if target is None:
            return case
        case = target
    return case
