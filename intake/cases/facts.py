"""Building the read-only :class:`~intake.checks.facts.CaseFacts` of a case from the database and
the archive (message texts are read again from the archived raw bytes: the database keeps none)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from intake import budget
from intake.archive import read_archived
from intake.cases.answer_sheets import text_for_answers
from intake.cases.formrows import form_specs, stored_values
from intake.cases.in_hand import other_department_forms
from intake.cases.organisations import find_organisation, org_key, removed_last_time
from intake.cases.scans import scan_facts
from intake.cases.security import security_fact, security_facts
from intake.checks import read_confirmations
from intake.checks.facts import (
    AttachmentFacts,
    CaseFacts,
    FormFacts,
    MessageFacts,
    PersonOnFile,
    RegisterFacts,
    ReplyFacts,
    SecurityFacts,
    StaffFacts,
)
from intake.config import Config
from intake.db.keys import stored_id
from intake.db.memo import remembered
from intake.db.tables import (
    ApplicationForm,
    Attachment,
    Case,
    Message,
    MessageSecurity,
    Organisation,
    OutboxReply,
    RegisteredPerson,
    StaffEntry,
)
from intake.mail import AUTOMATED


@dataclass(frozen=True)
class OpenedCase:
    """What was written of a case opened in this transaction with its one message: known, it is
    not read back (its replies, findings and incident record do not exist yet)."""

    case: Case
    message: Message
    attachments: tuple[Attachment, ...] = ()
    security: MessageSecurity | None = None


def build_facts(
    session: Session,
    *,
    config: Config,
    case: Case,
    texts: Mapping[int, str] = {},
    opened: OpenedCase | None = None,
) -> CaseFacts:
    """The case's facts; ``texts`` are body texts already parsed, by message id; ``opened``: the
    case was opened in this transaction, and this is all of it."""
    mailbox = config.get_mailbox(case.mailbox)
    messages = _messages(session, config, case, texts, opened.message if opened else None)
    if opened is None:
        attachments = _attachments(session, case.id)
    else:
        attachments = tuple(_attachment_facts(a) for a in opened.attachments)
    if opened is not None and not attachments:  # nothing a form or a scan could come from
        forms: tuple[FormFacts, ...] = ()
    else:
        forms = _forms(session, case.id, {a.id: a.filename for a in attachments}, config.rules_path)
    org = _organisation(session, case, forms, config.rules_path)
    return CaseFacts(
        case_id=case.id,
        profile=mailbox.profile,
        sender=case.sender,
        received_at=case.received_at,
        messages=messages,
        attachments=attachments,
        forms=forms,
        register=_register(session, org) if org else None,
        member=_is_member(session, case.sender),
        other_departments=_other_departments(session, case.id, forms, config.rules_path),
        recruitment_periods=tuple((p.start, p.end) for p in config.membership.recruitment_periods),
        incident=read_confirmations(
            [m.text for m in messages], [m.subject for m in messages], rules_dir=config.rules_path
        )
        if mailbox.profile == "incident"
        else None,
        own_addresses=config.own_addresses,
        replies=() if opened is not None else _replies(session, case.id),
        security=_security(session, case.id, opened),
        scans=() if opened is not None and not attachments else scan_facts(session, case.id),
    )


def _security(session: Session, case_id: str, opened: OpenedCase | None) -> tuple[SecurityFacts, ...]:
    if opened is None:
        return security_facts(session, case_id)
    if opened.security is None:
        return ()
    return (security_fact(opened.security, opened.message.from_addr),)


def _messages(
    session: Session, config: Config, case: Case, texts: Mapping[int, str], only: Message | None = None
) -> tuple[MessageFacts, ...]:
    """What the sender wrote, oldest first; robots' mail in the case is left out."""
    if only is not None:
        rows = [only] if only.direction == "in" else []
    else:
        rows = list(
            session.exec(
                select(Message)
                .where(Message.case_id == case.id, Message.direction == "in")
                .order_by(col(Message.received_at), col(Message.id))
            )
        )
    facts = []
    for row in rows:
        if row.no_reply_reason in AUTOMATED and not row.password_in_text:
            continue  # a bounce or auto-reply quotes our words back: they are not the sender's answers
        # (a gateway's password notice, noreply@gw.<domain>, is the organisation's own: password_in_email)
        if row.purged_at is not None:
            continue  # its text left with its personal data (retention, erasure)
        budget.check("reading the case's messages")
        text, unread = read_text(config, row.sha256, texts.get(stored_id(row)))
        facts.append(
            MessageFacts(
                sender=row.from_addr,
                subject=row.subject,
                text=text,
                received_at=row.received_at,
                unread_chars=unread,
            )
        )
    return tuple(facts)


_READ: OrderedDict[str, tuple[str, int]] = OrderedDict()  # sha256 → (text read, characters left unread)
_READ_KEPT = 512


def read_text(config: Config, sha256: str, body: str | None = None) -> tuple[str, int]:
    """The part of a message's text that is read for answers (its first ``[limits] max_text_chars``
    characters: an attached 回答書, then the body, :mod:`intake.cases.answer_sheets`) and how much
    was left unread; ``body``: that whole text when the caller has it.
    The last few hundred are kept in memory, so a follow-up does not parse its case's earlier
    messages again (a report of megabytes would cost seconds every time)."""
    limit = config.limits.max_text_chars
    key = f"{sha256}:{limit}"
    if body is None and key in _READ:
        _READ.move_to_end(key)
        return _READ[key]
    if body is None:
        body = text_for_answers(read_archived(config, sha256), config)
    _READ[key] = read = (body[:limit], max(len(body) - limit, 0))
    while len(_READ) > _READ_KEPT:
        _READ.popitem(last=False)
    return read


def _replies(session: Session, case_id: str) -> tuple[ReplyFacts, ...]:
    query = select(OutboxReply).where(OutboxReply.case_id == case_id).order_by(col(OutboxReply.id))
    return tuple(
        ReplyFacts(
            stored_id(r), r.to_addr, r.state, r.created_at, r.last_error or "" if r.state == "bounced" else ""
        )
        for r in session.exec(query)
    )


def _attachments(session: Session, case_id: str) -> tuple[AttachmentFacts, ...]:
    rows = session.exec(
        select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
    ).all()
    return tuple(_attachment_facts(a) for a in rows)


def _attachment_facts(a: Attachment) -> AttachmentFacts:
    return AttachmentFacts(
        stored_id(a), a.filename, a.format, a.encrypted, a.macro, a.state, a.document, a.detail
    )


def _forms(
    session: Session, case_id: str, filenames: Mapping[int, str | None], rules_dir: Path
) -> tuple[FormFacts, ...]:
    specs = form_specs(rules_dir)
    forms: list[FormFacts] = []
    for app in session.exec(select(ApplicationForm).where(ApplicationForm.case_id == case_id)):
        detail = json.loads(app.detail_json)
        fields = stored_values(app, specs["application"])
        forms.append(
            FormFacts(
                app.attachment_id,
                filenames.get(app.attachment_id),
                "application",
                fields,
                _ticked(detail),
                _problems(detail),
                submitted_on=_day(app.submitted_on),
            )
        )
    people: dict[int, list[StaffEntry]] = {}
    for entry in session.exec(
        select(StaffEntry).where(StaffEntry.case_id == case_id).order_by(col(StaffEntry.position))
    ):
        people.setdefault(entry.attachment_id, []).append(entry)
    for attachment_id, entries in people.items():
        staff = tuple(
            StaffFacts(
                e.position, stored_values(e, specs["staff_registration"]), _ticked(json.loads(e.detail_json))
            )
            for e in entries
        )
        problems = {p["field"]: p["problem"] for e in entries for p in json.loads(e.detail_json)["problems"]}
        forms.append(
            FormFacts(
                attachment_id,
                filenames.get(attachment_id),
                "staff_registration",
                {"org_name": entries[0].org_name},
                {},
                problems,
                staff,
            )
        )
    return tuple(forms)


def _ticked(detail: dict) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in detail.get("ticked", {}).items()}


def _problems(detail: dict) -> dict[str, str]:
    return {p["field"]: p["problem"] for p in detail.get("problems", [])}


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def case_organisation(session: Session, *, config: Config, case: Case) -> Organisation | None:
    """The register's organisation the case is about, found as the checks find it: by its form's
    name, 法人番号 and department, else by the case's organisation name."""
    attachments = _attachments(session, case.id)
    forms = _forms(session, case.id, {a.id: a.filename for a in attachments}, config.rules_path)
    return _organisation(session, case, forms, config.rules_path)


def _organisation(
    session: Session, case: Case, forms: tuple[FormFacts, ...], rules_dir: Path
) -> Organisation | None:
    for form in forms:
        name = form.fields.get("org_name")
        if name:
            return find_organisation(
                session,
                rules_dir=rules_dir,
                org_name=name,
                corporate_number=form.fields.get("corporate_number"),
                department=form.fields.get("department"),
            )
    if not case.org_name:
        return None
    return find_organisation(session, rules_dir=rules_dir, org_name=case.org_name)


def _register(session: Session, org: Organisation) -> RegisterFacts:
    rows = session.exec(select(RegisteredPerson).where(RegisteredPerson.organisation_id == org.id)).all()
    people = tuple(PersonOnFile(p.name, p.email, p.status, p.poc) for p in rows)
    # Whom the previous accepted registration marked 廃止 (Q15) — not simply the latest removal on
    # file, which may be older when the last registration removed nobody.
    removed = tuple(
        PersonOnFile(p.name, p.email, p.status, p.poc) for p in removed_last_time(session, stored_id(org))
    )
    return RegisterFacts(org.name, org.corporate_number, org.department, org.poc_email, people, removed)


def _is_member(session: Session, sender: str) -> bool:
    """The sender's domain is that of an active registered person or of a member's POC (domains
    have no case)."""
    if not sender or "@" not in sender:
        return False
    return sender.rsplit("@", 1)[1].lower() in remembered(
        session, "member_domains", lambda: _member_domains(session)
    )


def _member_domains(session: Session) -> frozenset[str]:
    people = select(RegisteredPerson.email).where(RegisteredPerson.status == "active")
    pocs = select(Organisation.poc_email).where(Organisation.is_member)
    found = [*session.exec(people), *session.exec(pocs)]
    return frozenset(address.rsplit("@", 1)[1].lower() for address in found if address and "@" in address)


def _other_departments(
    session: Session, case_id: str, forms: tuple[FormFacts, ...], rules_dir: Path
) -> tuple[str, ...]:
    """Other departments of the applicant's organisation (same 法人番号, else same name) that are
    members, or whose application is in another case still in hand (Q5: "already applied")."""
    application = _application(forms)
    if application is None:
        return ()
    department = application.fields.get("department") or ""
    number = application.fields.get("corporate_number")
    same = col(Organisation.name_key) == org_key(application.fields["org_name"] or "", rules_dir)
    if number:
        same = same | (col(Organisation.corporate_number) == number)
    rows = session.exec(select(Organisation).where(same, Organisation.is_member)).all()
    found = [f"{o.name} {o.department}".strip() for o in rows if (o.department or "") != department]
    for form in other_department_applications(session, case_id, forms, rules_dir):
        found.append(f"{form.org_name} {form.department or ''}".strip())
    return tuple(dict.fromkeys(found))


def other_department_applications(
    session: Session, case_id: str, forms: tuple[FormFacts, ...], rules_dir: Path
) -> list[ApplicationForm]:
    """Applications in other cases still in hand from another department of the same organisation."""
    application = _application(forms)
    if application is None:
        return []
    return other_department_forms(
        session,
        case_id=case_id,
        number=application.fields.get("corporate_number"),
        key=org_key(application.fields["org_name"] or "", rules_dir),
        department=application.fields.get("department") or "",
        rules_dir=rules_dir,
    )


def _application(forms: tuple[FormFacts, ...]) -> FormFacts | None:
    application = next((f for f in forms if f.document == "application"), None)
    return application if application is not None and application.fields.get("org_name") else None
