"""Where a person's data is held, for a disclosure request (APPI: a person may ask what is held
about them) and before erasing it: every case, message, archived mail, form, note, reply, audit
entry and register row in which one of the terms (:class:`~intake.secretariat.privacy.matching.Terms`)
appears.

Archived mail is read as its raw bytes and as parsed text (headers, body, attachment names, text
attachments), so an address is found whatever the encoding; a message quarantined over a
configured limit is parsed under the default limits, and one over those too as bytes only. Inside attachments only what was read from forms is
searched: a form that names the person also puts the mail that carried it on the list. A file
never opened (its password not given) cannot be searched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, SQLModel, col, select

from intake.archive import Archive
from intake.config import Config
from intake.db.keys import stored_id
from intake.db.tables import (
    ApplicationForm,
    Attachment,
    AuditEntry,
    Case,
    ExpectedPassword,
    Finding,
    IncidentRecord,
    Message,
    Note,
    Organisation,
    OutboxReply,
    QuarantineEntry,
    RegisteredPerson,
    StaffEntry,
)
from intake.errors import IntakeError
from intake.mail import Limits, parse_message
from intake.secretariat.privacy.matching import Terms

PERSON_COLUMNS = ("name", "name_kana", "department", "title", "phone", "mobile", "email")
APPLICATION_COLUMNS = (
    "org_name", "org_name_kana", "department", "address", "representative",
    "poc_name", "poc_name_kana", "poc_title", "poc_phone", "poc_email", "detail_json",
)  # fmt: skip

#: place → (table, the columns searched, the id column). The case id is the row's ``case_id``.
PLACES: dict[str, tuple[type[SQLModel], tuple[str, ...], str]] = {
    "case": (Case, ("sender", "sender_name", "subject", "org_name"), "id"),
    "message": (Message, ("from_addr", "from_name", "subject"), "id"),
    "attachment": (Attachment, ("filename", "detail"), "id"),
    "application": (ApplicationForm, APPLICATION_COLUMNS, "id"),
    "staff": (StaffEntry, (*PERSON_COLUMNS, "detail_json"), "id"),
    "incident": (IncidentRecord, ("secret_detail", "coordination_detail", "sharing_scope", "decided_scope"), "case_id"),
    "note": (Note, ("text",), "id"),
    "finding": (Finding, ("message_ja", "message_en"), "id"),
    "outbox": (OutboxReply, ("to_addr", "cc", "subject", "body"), "id"),
    "audit": (AuditEntry, ("detail",), "id"),
    "register": (RegisteredPerson, ("name", "email", "phone"), "id"),
    "organisation": (Organisation, ("poc_email",), "id"),
    "quarantine": (QuarantineEntry, ("error",), "id"),
    "expected_password": (ExpectedPassword, ("sender",), "id"),
}  # fmt: skip


@dataclass(frozen=True)
class Hit:
    """One record that holds the person's data: its place, its id, its case, the fields found."""

    place: str  # a key of PLACES, or "mail" (an archived message, by the id of its message row)
    id: int | str
    case_id: str | None
    fields: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"place": self.place, "id": self.id, "case_id": self.case_id, "fields": list(self.fields)}


def find(session: Session, config: Config, terms: Terms) -> list[Hit]:
    """Every record that holds one of ``terms``, place by place, then the archived mail."""
    hits = [hit for place in PLACES for hit in _rows(session, place, terms)]
    return hits + _mail(session, config, terms, hits)


def _rows(session: Session, place: str, terms: Terms) -> Iterator[Hit]:
    table, columns, id_column = PLACES[place]
    for row in session.exec(select(table)):
        found = tuple(c for c in columns if terms.found(getattr(row, c)))
        if found:
            key = getattr(row, id_column)
            yield Hit(place, key, key if place == "case" else getattr(row, "case_id", None), found)


def _mail(session: Session, config: Config, terms: Terms, hits: list[Hit]) -> list[Hit]:
    """Archived messages (kept ones) whose bytes or text hold a term, or whose attachment's form
    does; and the archived files of quarantined messages."""
    forms = {h.id for h in hits if h.place in ("application", "staff")}
    carried = _messages_carrying(session, forms)
    texts = _ArchiveTexts(config)
    found = []
    # every archived message: a sender's, and a reply staff sent from their mail program (it quotes them)
    kept = select(Message).where(Message.sha256 != "", col(Message.purged_at).is_(None))
    for message in session.exec(kept.order_by(col(Message.id))):
        fields: tuple[str, ...] = ("mail",) if texts.holds(message.sha256, terms) else ()
        fields += ("attachment",) if message.id in carried else ()
        if fields:
            found.append(Hit("mail", stored_id(message), message.case_id, fields))
    quarantined = select(QuarantineEntry).where(QuarantineEntry.state != "erased")
    for entry in session.exec(quarantined.order_by(col(QuarantineEntry.id))):
        if texts.holds(entry.sha256, terms):
            found.append(Hit("quarantined_mail", entry.id, entry.case_id, ("mail",)))  # type: ignore[arg-type]
    return found


def _messages_carrying(session: Session, form_ids: set) -> set[int]:
    if not form_ids:
        return set()
    rows: list[SQLModel] = [
        *session.exec(select(ApplicationForm).where(col(ApplicationForm.id).in_(form_ids))),
        *session.exec(select(StaffEntry).where(col(StaffEntry.id).in_(form_ids))),
    ]
    attachments = {getattr(r, "attachment_id") for r in rows}  # noqa: B009
    query = select(Attachment.message_pk).where(col(Attachment.id).in_(attachments))
    return set(session.exec(query))


class _ArchiveTexts:
    """Reads each archived file once: its bytes as text, its decoded headers, body and file names."""

    def __init__(self, config: Config) -> None:
        self.archive = Archive(config.storage.archive_dir)
        self.limits = Limits.from_config(config.limits)
        self.seen: dict[str, bool] = {}

    def holds(self, sha256: str, terms: Terms) -> bool:
        if not sha256:
            return False
        if sha256 not in self.seen:
            self.seen[sha256] = any(terms.found(text) for text in self._texts(sha256))
        return self.seen[sha256]

    def _texts(self, sha256: str) -> list[str]:
        try:
            raw = self.archive.load(sha256)
        except IntakeError:  # already gone
            return []
        texts = [raw.decode("utf-8", errors="replace")]
        parsed = None
        for limits in (self.limits, Limits()):  # quarantined over a configured limit: the defaults
            try:
                parsed = parse_message(raw, limits=limits)
                break
            except IntakeError:  # over the limits or not mail: the bytes are searched
                continue
        if parsed is None:
            return texts
        texts += [value for _name, value in parsed.headers]
        texts += [parsed.body_text, *(a.filename or "" for a in parsed.attachments)]
        texts += [f"{m.from_text}\n{m.subject}\n{m.body}" for m in parsed.attached_messages]
        texts += [_text(a.payload) for a in parsed.attachments if a.content_type.startswith("text/")]
        return texts


def _text(payload: bytes) -> str:
    for encoding in ("utf-8", "cp932", "iso-2022-jp"):
        try:
            return payload.decode(encoding)
        except UnicodeDecodeError:
            continue
    return payload.decode("utf-8", errors="replace")
