"""Staff reply from the case (desk and ``intake reply``): a template of the secretariat's
(:mod:`intake.replies.staff_templates`) or free text, to the sender — or for a notice meant for the
organisation's POC (point of contact), to the POC of the form or of the register — optionally with
the last incoming message quoted as plain 「> 」 lines and a file attached, queued in the outbox
(:mod:`intake.replies.staff`) and audited as ``staff_reply`` under the operator's name.

The template context is built by :func:`reply_context`, one dict, so a new placeholder is one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from intake.archive import read_archived
from intake.cases import sla
from intake.cases.facts import case_organisation
from intake.cases.scans import detections
from intake.cases.unlock import attachment_bytes
from intake.clock import JST, as_utc
from intake.config import Config
from intake.db import audit
from intake.db.tables import (
    ApplicationForm,
    Attachment,
    Case,
    Finding,
    Message,
    OutboxReply,
    RegisteredPerson,
    utcnow,
)
from intake.errors import DocumentError, NotFound
from intake.mail.shown import masked
from intake.replies.calendar import format_jdate
from intake.replies.staff import ReplyFile, StaffReplyError, queue_staff_reply
from intake.replies.staff_templates import StaffTemplate, render_staff, staff_template
from intake.secretariat.actions import get_case
from intake.secretariat.labels import kind_label

QUOTED_CHARS = 20_000  # of the quoted message: a reply is not the place for a whole report


@dataclass(frozen=True, kw_only=True)
class Draft:
    """What the reply form starts with: the recipient and the written template."""

    template: StaffTemplate | None
    to_addr: str
    body: str


@dataclass(frozen=True, kw_only=True)
class ReplyRequest:
    """What staff asked for. ``body`` is sent as written; without it the template is written now."""

    case_id: str
    template: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    to_addr: str | None = None
    cc: Sequence[str] = ()
    quote: bool = False
    attachment_ids: Sequence[int] = ()
    uploads: Sequence[ReplyFile] = ()


def draft(
    session: Session, config: Config, case_id: str, template: str, values: Mapping[str, str], *, by: str
) -> Draft:
    """The template written for the case, and whom it goes to."""
    case = get_case(session, case_id)
    chosen = staff_template(config.rules_path, template)
    body = render_staff(config.rules_path, template, reply_context(session, config, case, by), values)
    return Draft(template=chosen, to_addr=default_recipient(session, config, case, chosen), body=body)


def send_reply(session: Session, config: Config, request: ReplyRequest, *, by: str) -> OutboxReply:
    """Queue the staff reply with its message on the case and its audit entry; the caller commits."""
    case = get_case(session, request.case_id)
    chosen = staff_template(config.rules_path, request.template) if request.template else None
    if request.body is not None and request.body.strip():
        body = request.body
    elif request.template:
        context = reply_context(session, config, case, by)
        body = render_staff(config.rules_path, request.template, context, request.values)
    else:
        raise StaffReplyError("本文を入力するか、ひな形を選んでください")
    trigger = last_incoming(session, case.id)
    if request.quote:
        body = body.rstrip() + "\n\n" + quote_block(config, trigger)
    files = [*case_files(session, config, case.id, request.attachment_ids), *request.uploads]
    reply = queue_staff_reply(
        session,
        config=config,
        case=case,
        trigger=trigger,
        to_addr=request.to_addr or default_recipient(session, config, case, chosen),
        cc=request.cc,
        body=body,
        template=request.template,
        author=by,
        files=files,
    )
    case.updated_at = utcnow()
    session.add(case)
    detail = {
        "reply": reply.id,
        "template": request.template,
        "to": reply.to_addr,
        "cc": reply.cc,
        "files": [f.filename for f in files],
        "quoted": request.quote,
        "state": reply.state,
    }
    audit.record(session, by=by, action="staff_reply", case_id=case.id, detail=detail)
    return reply


def reply_context(session: Session, config: Config, case: Case, operator: str) -> dict[str, object]:
    """Every placeholder a staff template may use (rules/templates/staff/templates.toml lists them)."""
    org = case_organisation(session, config=config, case=case)
    trigger = last_incoming(session, case.id)
    return {
        "case_id": case.id,
        "mailbox_address": config.get_mailbox(case.mailbox).address,
        "sender_name": (trigger.from_name if trigger else "") or case.sender_name,
        "org_name": case.org_name or (org.name if org else None),
        "kind_label": kind_label(case.kind, config.rules_path),
        "staff_name": operator,
        "owner": case.owner,
        "missing": open_missing(session, case.id),
        "due_date": sla.due_date(case.due_at),
        "organisation": {"name": org.name, "department": org.department, "poc_email": org.poc_email}
        if org
        else None,
        "system_users": system_users(session, org.id) if org and org.id else [],
    }


def open_missing(session: Session, case_id: str) -> list[str]:
    """What the sender must still supply: the open ``missing`` findings, in Japanese."""
    query = select(Finding).where(
        Finding.case_id == case_id,
        Finding.open == True,  # noqa: E712
        Finding.severity == "missing",
    )
    return [f.message_ja for f in session.exec(query.order_by(col(Finding.id)))]


def system_users(session: Session, organisation_id: int) -> list[dict[str, str | None]]:
    """The organisation's registered system users (Q7): people on the register, not removed, whose
    システム登録 is 要."""
    query = select(RegisteredPerson).where(
        RegisteredPerson.organisation_id == organisation_id,
        RegisteredPerson.status == "active",
        RegisteredPerson.system_registration == "要",
    )
    return [
        {"name": p.name, "email": p.email} for p in session.exec(query.order_by(col(RegisteredPerson.id)))
    ]


def default_recipient(session: Session, config: Config, case: Case, template: StaffTemplate | None) -> str:
    """The case's sender; for a notice to the POC, the POC of the form, else of the register."""
    if template is None or template.to == "sender":
        return case.sender
    forms = select(ApplicationForm.poc_email).where(
        ApplicationForm.case_id == case.id, col(ApplicationForm.poc_email).is_not(None)
    )
    form_poc = session.exec(forms.order_by(col(ApplicationForm.id).desc())).first()
    org = case_organisation(session, config=config, case=case)
    poc = form_poc or (org.poc_email if org else None)
    if not poc:
        raise StaffReplyError(
            f"{case.id} の POC のアドレスが申込書にも登録簿にもありません。宛先を入力してください"
        )
    return poc


def last_incoming(session: Session, case_id: str) -> Message | None:
    """The message a staff reply answers: the newest the sender wrote (a robot's only if nothing else)."""
    query = select(Message).where(Message.case_id == case_id, Message.direction == "in")
    rows = list(session.exec(query.order_by(col(Message.received_at).desc(), col(Message.id).desc())))
    people = [m for m in rows if not m.no_reply_reason]
    found = people or rows
    return found[0] if found else None


def quote_block(config: Config, message: Message | None) -> str:
    """The message's text as the desk shows it (plain text, never its HTML; a password masked),
    each line quoted with 「> 」 under one line naming who wrote it and when."""
    if message is None or message.purged_at is not None:
        raise StaffReplyError("引用できる受信メールがありません")
    try:
        text = read_archived(config, message.sha256).body_text[:QUOTED_CHARS]
    except NotFound:
        raise StaffReplyError("引用する受信メールが保存されていません") from None
    text = masked(text) if message.password_in_text else text
    when = format_jdate(as_utc(message.received_at).astimezone(JST).date())
    head = f"{when} {message.from_name or message.from_addr} 様からのメール:"
    return head + "\n" + "".join(f"> {line}".rstrip() + "\n" for line in text.splitlines())


def case_files(session: Session, config: Config, case_id: str, ids: Sequence[int]) -> list[ReplyFile]:
    """The case's attachments as they came (from the archived message); one ClamAV found malware in
    never leaves in a reply."""
    found: list[ReplyFile] = []
    flagged = detections(session, case_id) if ids else {}
    for attachment_id in ids:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or attachment.case_id != case_id:
            raise StaffReplyError(f"添付ファイル {attachment_id} はこの案件のものではありません")
        if flagged.get(attachment_id):
            raise StaffReplyError(
                f"添付ファイル {attachment_id} からマルウェアを検知したため、返信に添付できません"
            )
        try:
            data = attachment_bytes(session, config, attachment)
        except (DocumentError, NotFound):
            data = b""
        if not data:
            raise StaffReplyError(f"添付ファイル {attachment_id} は保存されていません")
        name = attachment.filename or f"attachment-{attachment_id}"
        found.append(ReplyFile(filename=name, content_type=attachment.content_type, data=data))
    return found
