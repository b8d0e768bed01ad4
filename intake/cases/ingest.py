"""Turning one archived message into database records: a new case, or a message of an old one.

Two steps, so that no database transaction is open while a message is read: :func:`read_arrival`
does the slow part with no database at all (parse, decrypt, authenticate, read plain forms), then
:func:`ingest` writes the records and evaluates the case inside the caller's transaction, raising
on failure (the poller then rolls the message back and puts it in the quarantine).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from intake import budget
from intake.cases import password_mail, scanning
from intake.cases.answer_sheets import text_for_answers
from intake.cases.duplicates import duplicate_of
from intake.cases.expected import try_expected_passwords
from intake.cases.facts import OpenedCase
from intake.cases.indexing import index_message
from intake.cases.kinds import case_kind
from intake.cases.refresh import refresh_case
from intake.cases.reports import mark_bounced, reported_reply
from intake.cases.security import Incoming, read_incoming, record_security
from intake.cases.threads import find_thread_case, new_case_id
from intake.cases.unlock import ReadDocument, read_document, store_documents
from intake.checks import find_password
from intake.config import Config, MailboxConfig
from intake.db import audit
from intake.db.keys import stored_id, with_id
from intake.db.tables import Attachment, Case, Message, utcnow
from intake.documents import ContainerLimits, Triage, open_zip, triage
from intake.errors import DocumentError, LimitExceeded, WrongPassword
from intake.forms.naming import document_from_filename, org_from_filename
from intake.mail import (
    AUTOMATED,
    DeliveryReport,
    ParsedAttachment,
    ParsedMessage,
    no_reply_reason,
    read_delivery_report,
)

ACTOR = "intake"


@dataclass(frozen=True)
class Ingested:
    case_id: str | None
    message_pk: int | None = None  # the stored message (for a duplicate: the one it repeats)
    created: bool = False
    duplicate: bool = False


@dataclass(frozen=True)
class ArrivingAttachment:
    """One attachment as read on arrival: what it is, and the forms of a plain Word file or zip."""

    part: ParsedAttachment
    found: Triage | None  # None: refused before it was looked at (over a limit)
    documents: tuple[ReadDocument, ...] = ()
    problem: tuple[str, str, bool] | None = None  # (state, detail, encrypted) when it could not be opened
    verdicts: tuple[scanning.Verdict, ...] = ()  # ClamAV's ([scan]): found, or not scanned


@dataclass(frozen=True)
class Arrival:
    """A message read before anything is written: everything slow about ingesting it (parsing,
    decrypting, checking the sender, reading plain forms) done with no database transaction open,
    so the write that follows is short."""

    incoming: Incoming
    reason: str | None  # why no automatic reply may go to it (a robot, our own address), or None
    report: DeliveryReport | None
    attachments: tuple[ArrivingAttachment, ...]
    password_in_text: bool
    answer_text: str = ""  # the text answers are read from: a 回答書 attached (if any), then the body


def read_arrival(raw: bytes, config: Config, *, regenerated: bool = False) -> Arrival:
    """Read a message as it arrives (no database): raises MessageError when it is not mail;
    ``regenerated``: the source rebuilt its MIME (DKIM is not verified again over it)."""
    incoming = read_incoming(raw, config, regenerated=regenerated)
    parsed = incoming.parsed
    reason = no_reply_reason(parsed, own_addresses=config.own_addresses)
    report = read_delivery_report(raw) if reason in AUTOMATED else None
    scanner = scanning.Scanner(config)
    attachments = tuple(_scanned(_arriving(config, part), scanner) for part in parsed.attachments)
    budget.check("reading the text")
    password = find_password(parsed.subject) or find_password(
        parsed.body_text[: config.limits.max_text_chars]
    )
    forms = [a.part.index for a in attachments if any(d.form is not None for d in a.documents)]
    answers = text_for_answers(parsed, config, forms=forms)
    return Arrival(incoming, reason, report, attachments, password, answers)


def ingest(
    session: Session,
    *,
    config: Config,
    mailbox: MailboxConfig,
    raw: bytes,
    sha256: str,
    source_ref: str,
    received_at: datetime | None = None,
    arrival: Arrival | None = None,
) -> Ingested:
    """Store one message into its case (a new one, or the thread it answers) and evaluate the case;
    ``arrival``: the message already read by :func:`read_arrival` (else it is read here)."""
    arrival = arrival or read_arrival(raw, config)
    parsed, reason, report = arrival.incoming.parsed, arrival.reason, arrival.report
    existing = duplicate_of(session, mailbox.name, sha256, parsed)
    if existing is not None:
        return Ingested(case_id=existing.case_id, message_pk=existing.id, duplicate=True)
    returned = reported_reply(session, mailbox.name, report)
    case = session.get(Case, returned.case_id) if returned else None
    case = case or find_thread_case(session, mailbox=mailbox.name, prefix=mailbox.case_prefix, parsed=parsed)
    placement = password_mail.Placement()
    if case is None and report is None:
        placement = _by_password(session, config, mailbox, arrival, received_at or utcnow())
        case = placement.case
    created = case is None
    if case is None:
        case = _open_case(session, mailbox, parsed, received_at or utcnow(), robot=reason in AUTOMATED)
    elif reason not in AUTOMATED:
        case.robot = False  # a person wrote into it
    message = _record_message(session, case, mailbox, parsed, raw, sha256, source_ref, reason, received_at)
    message.password_in_text = arrival.password_in_text
    password_mail.record(session, placement=placement, case=case, message=message, by=ACTOR)
    security = record_security(session, message, arrival.incoming)
    detail = {"message": message.id, "source": source_ref}
    audit.record(session, by=ACTOR, action="message_received", case_id=case.id, detail=detail)
    rows = []
    if arrival.attachments:  # a flush orders its INSERTs by class, not by foreign key: case and message first
        session.flush()
    for arriving in arrival.attachments:
        rows.append((row := _record_attachment(session, case, message, arriving), arriving.part.payload))
        scanning.record(session, row, list(arriving.verdicts))
        if arriving.documents:
            store_documents(session, config=config, attachment=row, documents=list(arriving.documents))
    _try_phoned_passwords(session, config, case, message, rows)
    if returned is not None and report is not None and report.failed:
        mark_bounced(session, returned, report, stored_id(message))
    texts = {stored_id(message): arrival.answer_text or parsed.body_text}
    index_message(session, config, message, texts[stored_id(message)])  # one row, passwords left out
    trigger = message if created else None  # a new case's only message; else the case's newest
    opened = OpenedCase(case, message, tuple(row for row, _ in rows), security) if created else None
    refresh_case(
        session, config=config, case_id=case.id, reply=True, texts=texts, trigger=trigger, opened=opened
    )
    return Ingested(case_id=case.id, message_pk=message.id, created=created)


def _by_password(
    session: Session, config: Config, mailbox: MailboxConfig, arrival: Arrival, when: datetime
) -> password_mail.Placement:
    """An unthreaded mail that carries a password (or a file waiting for one): the case of the
    same organisation it belongs with (:mod:`intake.cases.password_mail`)."""
    parsed = arrival.incoming.parsed
    waits = any(_waits_for_password(a) for a in arrival.attachments)
    placement = password_mail.place(
        session,
        config=config,
        mailbox=mailbox.name,
        sender=parsed.from_addr,
        when=when,
        carries_password=arrival.password_in_text and not arrival.attachments,  # a notice, nothing more
        waits_for_password=waits,
    )
    if placement.case is not None and waits and arrival.reason not in AUTOMATED:
        password_mail.adopt(
            placement.case, sender=parsed.from_addr, name=parsed.from_name, subject=parsed.subject
        )
    return placement


def _waits_for_password(arriving: ArrivingAttachment) -> bool:
    if arriving.problem is not None:
        return arriving.problem[0] == "password_pending"
    found = arriving.found
    return found is not None and found.encrypted and not found.macro


def _open_case(
    session: Session, mailbox: MailboxConfig, parsed: ParsedMessage, received_at: datetime, *, robot: bool
) -> Case:
    case = Case(
        id=new_case_id(session, mailbox.case_prefix, received_at),
        mailbox=mailbox.name,
        kind=case_kind(mailbox.profile, ()),
        sender=parsed.from_addr,
        sender_name=parsed.from_name,
        subject=parsed.subject,
        forwarded=parsed.forwarded,
        received_at=received_at,
        robot=robot,
    )
    session.add(case)
    return case


def _record_message(session, case, mailbox, parsed, raw, sha256, source_ref, reason, received_at) -> Message:
    message = Message(
        case_id=case.id,
        mailbox=mailbox.name,
        message_id=parsed.message_id,
        in_reply_to=" ".join(parsed.in_reply_to),
        references=" ".join(parsed.references),
        sha256=sha256,
        size=len(raw),
        subject=parsed.subject,
        from_addr=parsed.from_addr,
        from_name=parsed.from_name,
        date=parsed.date,
        no_reply_reason=reason,
        forwarded=parsed.forwarded,
        source_ref=source_ref,
    )
    if received_at is not None:
        message.received_at = received_at
    session.add(message)
    with_id(session, message)
    return message


def _record_attachment(
    session: Session, case: Case, message: Message, arriving: ArrivingAttachment
) -> Attachment:
    part, found = arriving.part, arriving.found
    row = Attachment(
        case_id=case.id,
        message_pk=stored_id(message),
        part_index=part.index,
        filename=part.filename,
        content_type=part.content_type,
        size=part.size,
        document=document_from_filename(part.filename),
    )
    if found is None:
        row.state, row.detail = "rejected", part.rejected or ""  # found is None only for a rejected part
    else:
        row.format, row.encrypted, row.macro, row.detail = (
            found.format,
            found.encrypted,
            found.macro,
            f"{found.detail} (inside {part.container})" if part.container else found.detail,
        )
        row.state = "rejected" if found.macro else ("password_pending" if found.encrypted else "plain")
    if arriving.problem is not None:
        row.state, row.detail, encrypted = arriving.problem
        row.encrypted = row.encrypted or encrypted
    session.add(row)
    with_id(session, row)
    return row


def _scanned(arriving: ArrivingAttachment, scanner: scanning.Scanner) -> ArrivingAttachment:
    """The attachment with ClamAV's verdicts on its bytes (one refused over a limit is not kept
    readable: nothing to scan)."""
    part = arriving.part
    if not part.payload:
        return arriving
    budget.check("scanning the attachments")
    own = part.filename or f"attachment {part.index}"
    return replace(arriving, verdicts=tuple(scanner.check(own, [(part.filename, part.payload)])))


def _arriving(config: Config, part: ParsedAttachment) -> ArrivingAttachment:
    """What an attachment is, and the forms in an unencrypted Word file or plain zip, read now."""
    budget.check("looking at the attachments")
    if part.rejected:
        return ArrivingAttachment(part, None)
    found = triage(part.payload, part.filename)
    if part.problem:  # a winmail.dat / .msg / .eml that could not be opened
        return ArrivingAttachment(part, found, problem=("failed", part.problem, False))
    if found.macro or found.encrypted or found.format not in ("docx", "doc", "zip"):
        return ArrivingAttachment(part, found)
    try:
        if found.format == "zip":
            limits = ContainerLimits.from_config(config.limits)
            documents: list[tuple[str | None, bytes]] = [
                (m.name, m.data) for m in open_zip(part.payload, None, limits)
            ]
        else:
            documents = [(part.filename, part.payload)]
        read = tuple(read_document(config, name, data, fallback=part.filename) for name, data in documents)
    except DocumentError as exc:  # a password zip says so here; other damage is reported plainly
        if isinstance(exc, WrongPassword):
            return ArrivingAttachment(
                part, found, problem=("password_pending", "password-protected zip", True)
            )
        return ArrivingAttachment(part, found, problem=("failed", str(exc), False))
    except LimitExceeded as exc:
        return ArrivingAttachment(part, found, problem=("rejected", str(exc), False))
    return ArrivingAttachment(part, found, documents=read)


def _try_phoned_passwords(
    session: Session, config: Config, case: Case, message: Message, rows: list[tuple[Attachment, bytes]]
) -> None:
    """A password phoned in before the mail: tried once on every locked file of this message."""
    pending = {stored_id(row): payload for row, payload in rows if row.state == "password_pending"}
    if not pending:
        return
    names = [row.filename for row, _ in rows if row.id in pending]
    org = next((o for name in names if (o := org_from_filename(name))), case.org_name)
    try_expected_passwords(session, config=config, attachments=pending, sender=message.from_addr, org=org)
