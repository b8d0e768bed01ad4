"""What of a message goes into the search index, and rebuilding the index from the database and
the archive (``intake search --reindex``: a database from before the index, or one restored).

A message is indexed by its subject and the text intake reads of it (:func:`~intake.cases.facts.
read_text`: an attached 回答書, then the body, as plain text — never HTML — up to ``[limits]
max_text_chars``). A password never goes in: every line that carries one
(:func:`~intake.checks.password.password_candidates`) is left out, whether or not the message was
flagged. The other records (cases, forms, register, notes, replies) are indexed by
:func:`intake.db.search.watch` as they are written.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from intake.cases.facts import read_text
from intake.checks.password import password_candidates
from intake.config import Config
from intake.db import search, session_scope
from intake.db.search.index import INDEXED, TABLE, Indexed, record_text
from intake.db.tables import Case, Message
from intake.errors import IntakeError


def without_passwords(text: str) -> str:
    """``text`` (NFKC) without the lines that carry a password."""
    folded = unicodedata.normalize("NFKC", text or "")
    candidates = password_candidates(folded)
    if not candidates:
        return folded
    return "\n".join(line for line in folded.splitlines() if not any(c in line for c in candidates))


def index_message(session: Session, config: Config, message: Message, body: str | None = None) -> None:
    """Index one incoming message: ``body`` is its text when the caller has it (else read from the
    archive). One statement, in the caller's transaction."""
    text, _unread = read_text(config, message.sha256, body)
    searched = without_passwords(f"{message.subject}\n{text}")
    search.put(session, source="message", source_id=message.id, case_id=message.case_id, text=searched)


@dataclass
class Reindexed:
    cases: int = 0
    entries: int = 0
    unreadable: int = 0  # messages whose archived bytes could not be read (their text is not indexed)


def reindex(engine: Engine, config: Config, *, batch: int = 200) -> Reindexed:
    """Empty the index and fill it again from every record and archived message, ``batch`` cases
    per transaction (messages past retention or erased are not indexed: their text is gone)."""
    done = Reindexed()
    with session_scope(engine) as session:
        session.connection().execute(delete(TABLE))
        for table, indexed in INDEXED.items():
            if table is not Case:
                _index_rows(session, table, indexed)
    with Session(engine) as session:
        case_ids = list(session.exec(select(Case.id).where(col(Case.purged_at).is_(None)).order_by(Case.id)))
    for start in range(0, len(case_ids), batch):
        with session_scope(engine) as session:
            for case_id in case_ids[start : start + batch]:
                done.unreadable += _index_case(session, config, case_id)
        done.cases += len(case_ids[start : start + batch])
    with Session(engine) as session:
        done.entries = search.entry_count(session)
    return done


def _index_rows(session: Session, table: type, indexed: Indexed) -> None:
    row: object
    for row in session.exec(select(table)):
        case_id = getattr(row, "case_id", None)
        text = record_text(row, indexed.columns)
        search.put(
            session, source=indexed.source, source_id=indexed.record_id(row), case_id=case_id, text=text
        )


def _index_case(session: Session, config: Config, case_id: str) -> int:
    """The case's own row and its incoming messages' rows; returns the messages left unread."""
    case = session.get(Case, case_id)
    if case is None:
        return 0
    indexed = INDEXED[Case]
    search.put(
        session, source="case", source_id=case.id, case_id=case.id, text=record_text(case, indexed.columns)
    )
    kept = select(Message).where(
        Message.case_id == case_id, Message.direction == "in", col(Message.purged_at).is_(None)
    )
    unreadable = 0
    for message in session.exec(kept.order_by(col(Message.id))):
        try:
            index_message(session, config, message)
        except IntakeError:  # its archived bytes are missing or unreadable: the rest is indexed
            unreadable += 1
    return unreadable
