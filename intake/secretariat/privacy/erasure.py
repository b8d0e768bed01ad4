"""Erasing a person's data on request, everywhere :func:`~intake.secretariat.privacy.person.find` found it.

Free text (subjects, notes, finding texts, replies, audit details) has each match masked
(:data:`~intake.secretariat.privacy.matching.MASK`). A person block of a form loses every personal item,
a POC (担当者代表: the organisation's point of contact) all of its items; a register row, a
password phoned in for the address, are deleted. Archived mail that holds the person is deleted
whole (a message cannot be edited without changing its hash), with its decrypted copies; a
reply not sent yet to the address is cancelled; the search index loses every row that held them.
The caller commits, removes what was released from the disk, and wipes the database's free
space; the audit entries of the erasure name the places and the cases, never the person.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from intake.archive import Archive
from intake.config import Config
from intake.db import audit, search, session_scope, wipe_deleted
from intake.db.tables import Attachment, Message, QuarantineEntry, SearchEntry, utcnow
from intake.secretariat.privacy.matching import Terms
from intake.secretariat.privacy.person import PERSON_COLUMNS, PLACES, Hit, find
from intake.secretariat.privacy.wiping import UNSENT, Released, release_message, remove_released

SEARCH = SearchEntry.__table__  # type: ignore[attr-defined]
POC_COLUMNS = ("poc_name", "poc_name_kana", "poc_title", "poc_phone", "poc_email")
DELETED = ("register", "expected_password")


@dataclass
class Erased:
    """What an erasure did: the records it found, how many per place, the files it deleted."""

    hits: list[Hit] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    files_removed: int = 0


def erase_everywhere(engine: Engine, config: Config, terms: Terms, *, by: str) -> Erased:
    """Find and erase in one transaction, then delete the released files and wipe the free space
    of the database (:func:`~intake.db.wipe_deleted`), so that no byte of the person is left."""
    done = Erased()
    with session_scope(engine) as session:
        done.hits = find(session, config, terms)
        if not done.hits:
            return done
        released, done.counts = erase(session, terms, done.hits, by=by, now=utcnow())
    with Session(engine) as session:
        done.files_removed = remove_released(session, Archive(config.storage.archive_dir), released)
    wipe_deleted(engine)
    return done


def erase(
    session: Session, terms: Terms, hits: list[Hit], *, by: str, now: datetime
) -> tuple[Released, Counter[str]]:
    """Erase what ``hits`` found; returns what may leave the disk and the count per place."""
    released = Released()
    for hit in hits:
        if hit.place == "mail":
            _release_mail(session, hit, now, released)
        elif hit.place == "quarantined_mail":
            _release_quarantined(session, hit, released)
        elif hit.place in DELETED:
            session.delete(_row(session, hit))
        elif hit.place == "audit":
            entry = _row(session, hit)
            audit.redact(session, hit.id, terms.mask(entry.detail))  # type: ignore[arg-type, attr-defined]
        else:
            _mask_row(session, terms, hit)
    _scrub_search_index(session, terms)
    counts = Counter(h.place for h in hits)
    _record(session, hits, counts, by=by)
    return released, counts


def _scrub_search_index(session: Session, terms: Terms) -> None:
    """The search index follows every record masked or released above (intake.db.search.watch);
    any row of it that still holds the person goes too."""
    session.flush()
    rows = session.connection().execute(select(SEARCH.c.source, SEARCH.c.source_id, SEARCH.c.text))
    for source, source_id, text in rows.all():
        if terms.found(text):
            search.drop(session, source, [source_id])


def _row(session: Session, hit: Hit) -> SQLModel:
    return session.get(PLACES[hit.place][0], hit.id)  # type: ignore[return-value]


def _mask_row(session: Session, terms: Terms, hit: Hit) -> None:
    row = _row(session, hit)
    cleared = _cleared_columns(hit)
    for column in hit.fields:
        value = getattr(row, column)
        if column == "detail_json":
            setattr(row, column, terms.mask_json(value))
        elif column not in cleared:
            setattr(row, column, terms.mask(value))
    for column in cleared:
        setattr(row, column, None)
    if cleared:
        extra = _extra_items(hit, cleared)
        row.detail_json = _without_originals(row.detail_json, cleared, extra)  # type: ignore[attr-defined]
    if hit.place == "outbox" and "to_addr" in hit.fields and row.state in UNSENT:  # type: ignore[attr-defined]
        row.state = "cancelled"  # type: ignore[attr-defined]
    session.add(row)


def _cleared_columns(hit: Hit) -> tuple[str, ...]:
    """A person block loses every personal item; a POC all of its own; a representative the name."""
    if hit.place == "staff":
        return PERSON_COLUMNS
    if hit.place != "application":
        return ()
    poc = POC_COLUMNS if set(hit.fields) & set(POC_COLUMNS) else ()
    return poc + (("representative",) if "representative" in hit.fields else ())


def _extra_items(hit: Hit, cleared: tuple[str, ...]) -> str | None:
    """Which items kept without a column (a newer edition's) are the person's too: all of a person
    block's (``""``), a POC's own (``"poc."``), else none."""
    if hit.place == "staff":
        return ""
    return "poc." if set(cleared) & set(POC_COLUMNS) else None


def _without_originals(detail_json: str, columns: tuple[str, ...], extra_prefix: str | None = None) -> str:
    """The form's originals of the cleared items (``poc.name`` for column ``poc_name``) emptied, and
    the items without a column whose key starts with ``extra_prefix`` dropped with their originals."""
    detail = json.loads(detail_json or "{}")
    original = detail.get("original", {})
    keys = [key for column in columns for key in (column, column.replace("poc_", "poc.", 1))]
    extra = detail.get("extra", {})
    if extra_prefix is not None:
        keys += [key for key in extra if key.startswith(extra_prefix)]
        detail["extra"] = {k: v for k, v in extra.items() if not k.startswith(extra_prefix)}
    for key in keys:
        if key in original:
            original[key] = None
    return json.dumps(detail, ensure_ascii=False)


def _release_mail(session: Session, hit: Hit, now: datetime, released: Released) -> None:
    message = session.get(Message, hit.id)
    if message is None:
        return
    release_message(message, now, released)
    session.add(message)
    for attachment in session.exec(select(Attachment).where(Attachment.message_pk == message.id)):
        released.attachments.add(attachment.id)  # type: ignore[arg-type]


def _release_quarantined(session: Session, hit: Hit, released: Released) -> None:
    entry = session.get(QuarantineEntry, hit.id)
    if entry is None:
        return
    entry.state = "erased"  # its file is no longer waited for (wiping.remove_released)
    released.sha256s.add(entry.sha256)
    session.add(entry)


def _record(session: Session, hits: list[Hit], counts: Counter[str], *, by: str) -> None:
    cases = sorted({h.case_id for h in hits if h.case_id})
    detail = {"places": dict(counts), "cases": cases}
    audit.record(session, by=by, action="person.erase", detail=detail)
    for case_id in cases:
        mine = Counter(h.place for h in hits if h.case_id == case_id)
        audit.record(session, by=by, action="person.erase", case_id=case_id, detail={"places": dict(mine)})
