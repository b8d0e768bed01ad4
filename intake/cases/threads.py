"""Cases: giving ids, and finding the case a message answers.

Case ids are per mailbox prefix and year in Japan time: ``KYOGIKAI-2026-0001``. A message joins an
existing case when its In-Reply-To / References name a message of that case, or when its subject
carries the case tag ``[KYOGIKAI-2026-0001]``.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from intake.clock import JST
from intake.db.tables import Case, CaseCounter, Message
from intake.mail import ParsedMessage

_TAG = re.compile(r"\[([A-Z][A-Z0-9]*-\d{4}-\d{4,})\]")


def new_case_id(session: Session, prefix: str, when: datetime) -> str:
    year = when.astimezone(JST).year
    counter = session.get(CaseCounter, (prefix, year)) or CaseCounter(prefix=prefix, year=year, last=0)
    counter.last += 1
    session.add(counter)
    return f"{prefix}-{year}-{counter.last:04d}"


def find_thread_case(session: Session, *, mailbox: str, prefix: str, parsed: ParsedMessage) -> Case | None:
    """The case this message answers, by its headers first, then by the tag in its subject."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        # By Message-ID alone (its index), the mailbox compared here: with both in one query
        # SQLite walked the mailbox's index, every message of it, for every answer.
        rows = session.exec(select(Message.case_id, Message.mailbox).where(col(Message.message_id).in_(ids)))
        hit = next((case_id for case_id, where in rows if where == mailbox), None)
        if hit:
            return session.get(Case, hit)
    for tag in _TAG.findall(parsed.subject):
        if tag.startswith(prefix + "-"):
            case = session.get(Case, tag)
            if case is not None and case.mailbox == mailbox:
                return case
    return None
