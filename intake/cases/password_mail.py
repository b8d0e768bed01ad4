"""The password that comes by mail anyway: placing it, and opening a file with it.

The Council asks for passwords by phone, yet many organisations (and their mail gateways, which send
as ``noreply@gw.<domain>``) send it in a second mail a minute later, with no thread headers. Such a
mail — its subject or text carries a password — from the same sender or the same organisation
(the same registrable domain: ``gw.example.co.jp`` is ``example.co.jp``, ``other.co.jp`` is not)
joins the case whose attachment waits for a password, within ``[unlock] password_mail_hours``, in
either order: a form that arrives after its password mail joins the case that mail opened.

When several of the organisation's cases wait, the sender's own is the one; when that still leaves
more than one, the mail opens a case of its own and is *offered* on each (:class:`PasswordOffer`),
applied to none until staff choose.

The password is never copied out of the message: staff open the file with
:func:`unlock_from_message`, which reads the archived message at that moment and tries each
candidate (:func:`intake.checks.password.password_candidates`) like a typed password — a wrong one
counts an attempt. Nothing here logs, stores or returns the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from intake.cases.unlock import OpenResult, attachment_bytes, open_attachment, reply_trigger
from intake.checks.password import password_candidates
from intake.clock import as_utc
from intake.config import Config
from intake.db import audit
from intake.db.keys import stored_id
from intake.db.tables import Attachment, Case, Message, PasswordOffer
from intake.errors import NotFound
from intake.mail.authenticity import organisational_domain

CLOSED = ("closed", "rejected")


@dataclass
class Placement:
    """Where an unthreaded message goes: into ``case`` (None: a case of its own), and the cases
    it is offered on (``offer_to``), or the earlier password mails offered on it (``offered``)."""

    case: Case | None = None
    offer_to: list[str] = field(default_factory=list)
    offered: list[int] = field(default_factory=list)


def organisation(address: str) -> str:
    """The registrable domain of a mail address (``noreply@gw.example.co.jp`` → ``example.co.jp``)."""
    domain = address.rpartition("@")[2].strip().lower()
    return organisational_domain(domain) if domain else ""


def place(
    session: Session,
    *,
    config: Config,
    mailbox: str,
    sender: str,
    when: datetime,
    carries_password: bool,
    waits_for_password: bool,
) -> Placement:
    """The case an unthreaded message joins by its password (or its waiting file), if any."""
    if carries_password and not waits_for_password:
        return _choose(_waiting_cases(session, config, mailbox, when), sender, offer=True)
    if waits_for_password and not carries_password:
        return _choose(_password_cases(session, config, mailbox, when), sender, offer=False)
    return Placement()


def _choose(found: dict[str, tuple[Case, list[Message]]], sender: str, *, offer: bool) -> Placement:
    """One case of the organisation: join it; several: the sender's own; still several: offer."""
    sender = sender.lower()
    org = organisation(sender)
    ours = {k: v for k, v in found.items() if org and organisation(v[0].sender) == org}
    own = {k: v for k, v in ours.items() if v[0].sender.lower() == sender}
    chosen = own if own else ours
    if len(chosen) == 1:
        return Placement(case=next(iter(chosen.values()))[0])
    if not chosen:
        return Placement()
    if offer:
        return Placement(offer_to=sorted(chosen))
    return Placement(offered=sorted(m.id for _, messages in chosen.values() for m in messages if m.id))


def _since(config: Config, when: datetime) -> datetime:
    return as_utc(when) - timedelta(hours=config.unlock.password_mail_hours)


def _waiting_cases(
    session: Session, config: Config, mailbox: str, when: datetime
) -> dict[str, tuple[Case, list[Message]]]:
    """Open cases of the mailbox with a file that waits for a password, arrived in the window."""
    rows = session.exec(
        select(Case, Message)
        .join(Attachment, col(Attachment.case_id) == Case.id)
        .join(Message, col(Message.id) == Attachment.message_pk)
        .where(Attachment.state == "password_pending", Case.mailbox == mailbox)
        .where(col(Case.status).not_in(CLOSED))
    ).all()
    since = _since(config, when)
    found: dict[str, tuple[Case, list[Message]]] = {}
    for case, message in rows:
        if as_utc(message.received_at) >= since:
            found.setdefault(case.id, (case, []))[1].append(message)
    return found


def _password_cases(
    session: Session, config: Config, mailbox: str, when: datetime
) -> dict[str, tuple[Case, list[Message]]]:
    """Open cases of the mailbox opened by a password mail in the window that hold nothing else:
    every message of theirs carries a password and none brought a file."""
    since = _since(config, when)
    rows = session.exec(
        select(Case, Message)
        .join(Message, col(Message.case_id) == Case.id)
        .where(Case.mailbox == mailbox, Message.password_in_text == True)  # noqa: E712
        .where(Message.direction == "in", col(Case.status).not_in(CLOSED))
    ).all()
    found: dict[str, tuple[Case, list[Message]]] = {}
    for case, message in rows:
        if as_utc(message.received_at) >= since:
            found.setdefault(case.id, (case, []))[1].append(message)
    return {k: v for k, v in found.items() if _only_password_mail(session, k, len(v[1]))}


def _only_password_mail(session: Session, case_id: str, carrying: int) -> bool:
    incoming = session.exec(select(Message.id).where(Message.case_id == case_id, Message.direction == "in"))
    files = session.exec(select(Attachment.id).where(Attachment.case_id == case_id).limit(1)).first()
    return files is None and len(incoming.all()) == carrying


def record(session: Session, *, placement: Placement, case: Case, message: Message, by: str) -> None:
    """Write down how the message was placed: joined, or offered (each side audited)."""
    if placement.case is not None:
        audit.record(
            session,
            by=by,
            action="password_mail_joined",
            case_id=case.id,
            detail={"message": message.id, "organisation": organisation(message.from_addr)},
        )
    pairs = [(stored_id(message), other) for other in placement.offer_to]
    pairs += [(earlier, case.id) for earlier in placement.offered]
    for message_pk, case_id in pairs:
        session.add(PasswordOffer(message_pk=message_pk, case_id=case_id))
        detail = {"message": message_pk}  # carries a password: offered, not applied (staff choose)
        audit.record(session, by=by, action="password_mail_offered", case_id=case_id, detail=detail)


def adopt(case: Case, *, sender: str, name: str, subject: str) -> None:
    """A form joined the case its password mail opened: the case is about the form, its sender
    (not the gateway that sent the password) is the one replies go to and staff see."""
    case.sender, case.sender_name, case.subject = sender, name, subject


@dataclass(frozen=True)
class PasswordMail:
    """A message that carries a password, as staff are offered it for a waiting file."""

    message_pk: int
    case_id: str
    from_addr: str
    subject: str
    received_at: datetime
    offered: bool  # from another case (offered), or a message of the file's own case


def password_mails(session: Session, case_id: str) -> list[PasswordMail]:
    """The mails staff may open this case's waiting files with: its own messages that carry a
    password, and those offered on it."""
    own = session.exec(
        select(Message).where(Message.case_id == case_id, Message.password_in_text == True)  # noqa: E712
    ).all()
    offered = session.exec(
        select(Message)
        .join(PasswordOffer, col(PasswordOffer.message_pk) == Message.id)
        .where(PasswordOffer.case_id == case_id)
    ).all()
    rows = [(m, False) for m in own] + [(m, True) for m in offered if m.case_id != case_id]
    return [
        PasswordMail(m.id, m.case_id, m.from_addr, m.subject, m.received_at, was_offered)
        for m, was_offered in rows
        if m.id is not None and m.purged_at is None
    ]


def offered_elsewhere(session: Session, case_id: str) -> list[str]:
    """The cases this case's password mail is offered on (it joined none of them by itself)."""
    query = (
        select(PasswordOffer.case_id)
        .join(Message, col(Message.id) == PasswordOffer.message_pk)
        .where(Message.case_id == case_id)
    )
    return sorted(set(session.exec(query).all()))


def unlock_from_message(
    session: Session, *, config: Config, attachment_id: int, message_pk: int, by: str
) -> OpenResult:
    """Open a waiting file with the password found in message ``message_pk`` of its case (or one
    offered on it), read from the archived message now; each candidate is an attempt. The case is
    evaluated again when the file changed; the caller commits, also when nothing opened it."""
    from intake.archive import read_archived  # the mail parser: not for placing messages
    from intake.cases.refresh import refresh_case  # the checks and replies: not for placing messages

    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.state != "password_pending":
        raise NotFound(
            f"no attachment {attachment_id} waiting for a password",
            label="attachment_not_pending",
            attachment=attachment_id,
        )
    if message_pk not in {m.message_pk for m in password_mails(session, attachment.case_id)}:
        raise NotFound(
            f"message {message_pk} is not a mail carrying a password of case {attachment.case_id} "
            "(nor offered on it)",
            label="password_mail_not_of_case",
            message=message_pk,
        )
    message = session.get(Message, message_pk)
    if message is None:
        raise NotFound(f"message {message_pk} is no longer stored", label="message_gone", message=message_pk)
    parsed = read_archived(config, message.sha256)
    limit = config.limits.max_text_chars
    candidates = password_candidates(parsed.subject) + password_candidates(parsed.body_text[:limit])
    if not candidates:
        raise NotFound(
            f"message {message_pk}: no password could be read from it",
            label="no_password_in_message",
            message=message_pk,
        )
    payload = attachment_bytes(session, config, attachment)
    result = OpenResult(attachment_id, attachment.case_id, False, attachment.state)
    for candidate in dict.fromkeys(candidates):
        result = open_attachment(
            session,
            config=config,
            attachment_id=attachment_id,
            password=candidate,
            by=by,
            payload=payload,
            message_pk=message_pk,
        )
        if result.state != "password_pending":
            break
    del candidates
    if result.state != "password_pending":
        trigger = reply_trigger(session, result.case_id)
        refresh_case(session, config=config, case_id=result.case_id, trigger=trigger)
    return result
