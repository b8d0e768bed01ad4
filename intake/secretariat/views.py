"""The JSON shapes of interface.md, built from the database (the CLI prints them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, col, func, or_, select
from sqlmodel.sql.expression import Select

from intake.cases import sla
from intake.clock import as_utc
from intake.clock import jst_iso as jst
from intake.config import Config
from intake.db.tables import (
    Attachment,
    Case,
    Finding,
    IncidentRecord,
    Message,
    Note,
    OutboxReply,
    QuarantineEntry,
)
from intake.errors import IntakeError, NotFound
from intake.mail.shown import MAX_SHOWN, attached_of, incoming_text
from intake.secretariat.security import security_by_message

if TYPE_CHECKING:
    pass


def list_cases(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    mailbox: str | None = None,
    org: str | None = None,
    robots: bool | None = False,
    owner: str | None = None,
    limit: int | None = None,
) -> list[Case]:
    """Cases newest first. ``robots``: False — the review queue (no robot mail that answers nothing
    of ours), True — only that robot mail, None — everything; ``owner``: only the cases of that
    desk user; ``limit``: the first so many."""
    query = _filtered(select(Case), status, kind, mailbox, org, robots, owner)
    return list(session.exec(_newest_first(query, limit)))


def count_cases(session: Session, **filters) -> int:
    """How many cases :func:`list_cases` would give without a limit."""
    filters.pop("limit", None)
    query = _filtered(select(func.count()).select_from(Case), **_as_args(filters))
    return session.exec(query).one()


def _as_args(filters: dict) -> dict:
    keys = ("status", "kind", "mailbox", "org", "robots", "owner")
    return {k: filters.get(k, False if k == "robots" else None) for k in keys}


def _filtered(query, status=None, kind=None, mailbox=None, org=None, robots=False, owner=None):
    if robots is not None:
        query = query.where(Case.robot == robots)
    if status:
        query = query.where(Case.status == status)
    if kind:
        query = query.where(Case.kind == kind)
    if mailbox:
        query = query.where(Case.mailbox == mailbox)
    if org:
        query = query.where(col(Case.org_name).icontains(org))  # "example" finds "Example": as on SQLite
    if owner:
        query = query.where(Case.owner == owner)
    return query


def _newest_first(query, limit: int | None):
    """Newest first (the indexes ``ix_case_queue*`` give this order without sorting)."""
    query = query.order_by(col(Case.received_at).desc(), col(Case.id).desc())
    return query.limit(limit) if limit else query


# What a queue item shows of its case: the page reads these columns, never whole Case objects.
QUEUE_COLUMNS = (
    col(Case.id),
    col(Case.kind),
    col(Case.status),
    col(Case.mailbox),
    col(Case.sender),
    col(Case.org_name),
    col(Case.subject),
    col(Case.received_at),
    col(Case.robot),
    col(Case.owner),
    col(Case.due_at),
    col(Case.merged_into),
)


def queue(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    mailbox: str | None = None,
    org: str | None = None,
    robots: bool | None = False,
    owner: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """The queue items of :func:`list_cases`, the overdue ones (期限超過: due before today, JST)
    first, most overdue first — whatever the number of cases in three statements: the page of
    the others (off ``ix_case_queue*``), the overdue ones (off ``ix_case_due``), then the open
    findings of the cases shown."""
    filters = (status, kind, mailbox, org, robots, owner)
    cutoff = sla.today_start()
    base = _filtered(
        Select(*QUEUE_COLUMNS), *filters
    )  # what select() builds: its typed forms stop at 4 columns
    on_time = or_(col(Case.due_at).is_(None), col(Case.due_at) >= cutoff)
    rows = session.exec(_newest_first(base.where(on_time), limit)).all()
    late = base.where(col(Case.due_at) < cutoff).order_by(col(Case.due_at), col(Case.id))
    shown = [*session.exec(late.limit(limit) if limit else late).all(), *rows][:limit]
    if not shown:
        return []
    findings = open_findings(session, [row.id for row in shown])
    return [queue_item(row, findings.get(row.id, [])) for row in shown]


def open_findings(session: Session, case_ids) -> dict[str, list[str]]:
    """The codes of the open findings of ``case_ids`` (a list, or a query giving case ids), each
    case's in the order they were found — in one statement."""
    found: dict[str, list[str]] = defaultdict(list)
    if isinstance(case_ids, list) and not case_ids:
        return found
    query = select(Finding.case_id, Finding.code).where(col(Finding.case_id).in_(case_ids), Finding.open)
    for case_id, code in session.exec(query.order_by(col(Finding.id))):
        found[case_id].append(code)
    return found


def queue_item(case, findings: list[str]) -> dict:
    """A case (a :class:`Case`, or a row of :data:`QUEUE_COLUMNS`) as the queue shows it: with its
    owner (担当者), its due day (JST, ISO) and whether that day has passed (``overdue``)."""
    due = sla.due_date(case.due_at)
    return {
        "id": case.id,
        "kind": case.kind,
        "status": case.status,
        "mailbox": case.mailbox,
        "sender": case.sender,
        "org_name": case.org_name,
        "subject": case.subject,
        "received_at": jst(case.received_at),
        "open_findings": findings,
        "robot": case.robot,
        "owner": case.owner,
        "due_at": due.isoformat() if due else None,
        "overdue": sla.is_overdue(case.due_at),
        "due_today": sla.is_due_today(case.due_at),
        "merged_into": case.merged_into,  # closed by a merge into that case (intake merge)
    }


def case_detail(session: Session, case_id: str, rules_dir: Path) -> dict:
    """Everything about one case; its forms' items as ``rules_dir`` describes the forms."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", label="no_case", case=case_id)
    findings = list(session.exec(select(Finding).where(Finding.case_id == case_id).order_by(col(Finding.id))))
    detail = queue_item(case, [f.code for f in findings if f.open])
    detail["forwarded"] = case.forwarded
    detail["purged_at"] = jst(case.purged_at)  # its personal data removed past retention
    merged_here = select(Case.id).where(Case.merged_into == case_id).order_by(col(Case.id))
    detail["merged_from"] = list(session.exec(merged_here))  # the cases merged into this one
    detail["findings"] = [_finding(f) for f in findings]
    security = security_by_message(session, case_id)
    detail["messages"] = [_message(m, security) for m in _rows(session, Message, case_id)]
    from intake.cases.scans import scan_facts  # the checks' facts: not for the queue

    scans = scan_facts(session, case_id)
    detail["attachments"] = [_attachment(a, scans) for a in _rows(session, Attachment, case_id)]
    from intake.cases.password_mail import offered_elsewhere, password_mails  # not for the queue

    detail["password_mails"] = [
        {"id": m.message_pk, "case_id": m.case_id, "from": m.from_addr, "offered": m.offered}
        for m in password_mails(session, case_id)
    ]  # what `intake unlock ID --from-message N` may name
    detail["password_mail_offered_on"] = offered_elsewhere(session, case_id)
    detail["fields"] = case_fields(session, case, rules_dir)
    detail["notes"] = [{"at": jst(n.at), "by": n.by, "text": n.text} for n in _rows(session, Note, case_id)]
    return detail


def case_fields(session: Session, case: Case, rules_dir: Path) -> dict:
    """What was read for the case, only what applies to its kind (interface.md ``fields``)."""
    from intake.cases.formrows import fields_json  # the forms library: not for the queue

    if case.kind != "incident_report":
        return fields_json(session, case.id, case.kind, rules_dir)
    record = session.get(IncidentRecord, case.id) or IncidentRecord(case_id=case.id)
    return {
        "incident": {
            "secret_designation": record.secret_designation,
            "secret_detail": record.secret_detail,
            "sharing_scope": record.sharing_scope,
            "tlp": record.tlp,
            "external_coordination": record.external_coordination,
            "coordination_detail": record.coordination_detail,
            "decision": {
                "secret": record.decided_secret,
                "sharing_scope": record.decided_scope,
                "by": record.decided_by,
                "at": jst(record.decided_at),
            },
        }
    }


def _rows(session: Session, table, case_id: str) -> list:
    return list(session.exec(select(table).where(table.case_id == case_id).order_by(table.id)))


def _finding(f: Finding) -> dict:
    return {
        "code": f.code,
        "severity": f.severity,
        "message_ja": f.message_ja,
        "message_en": f.message_en,
        "open": f.open,
        "opened_at": jst(f.opened_at),
        "resolved_at": jst(f.resolved_at),
    }


def _message(m: Message, security: dict[int, dict]) -> dict:
    """A message as shown; ``security``: how each was authenticated and protected (by message id)."""
    return {
        "id": m.id,  # what `intake unlock ID --from-message N` names
        "security": security.get(m.id or 0),
        "message_id": m.message_id,
        "direction": m.direction,
        "sent_elsewhere": sent_elsewhere(m),
        "from": m.from_addr,
        "from_name": m.from_name,
        "subject": m.subject,
        "date": jst(m.date),
        "received_at": jst(m.received_at),
        "no_reply_reason": m.no_reply_reason,
        "forwarded": m.forwarded,
    }


def sent_elsewhere(m: Message) -> bool:
    """A reply staff sent from their own mail program (read from the sent folder, archived like
    incoming mail), not one of intake's (``outbox:ID``)."""
    return m.direction == "out" and bool(m.sha256) and not m.source_ref.startswith("outbox:")


def _attachment(a: Attachment, scans: tuple) -> dict:
    """An attachment as shown, with what ClamAV found in it (``malware``: the signatures; the desk
    offers it only zipped then) and the files of it that could not be scanned (``not_scanned``)."""
    own = [s for s in scans if s.attachment_id == a.id]
    return {
        "id": a.id,
        "filename": a.filename,
        "format": a.format,
        "encrypted": a.encrypted,
        "state": a.state,
        "document": a.document,
        "size": a.size,
        "detail": a.detail,
        "attempts": a.attempts,
        "malware": list(dict.fromkeys(s.signature for s in own if s.signature)),
        "not_scanned": [{"file": s.filename, "reason": s.problem} for s in own if not s.signature],
    }


def overdue_count(session: Session, *, now: datetime | None = None) -> int:
    """How many cases of the review queue are overdue (due before today, JST)."""
    query = select(func.count()).select_from(Case).where(Case.robot == False)  # noqa: E712
    return session.exec(query.where(col(Case.due_at) < sla.today_start(now))).one()


def status_counts(session: Session) -> dict[str, int]:
    """How many cases of the review queue are in each status."""
    query = select(Case.status, func.count()).where(Case.robot == False).group_by(Case.status)  # noqa: E712
    return dict(session.exec(query).all())


def message_texts(session: Session, config: Config, case_id: str) -> list[dict]:
    """The case's messages in order, each with its text: what the sender wrote (read from the
    archive, as plain text — never their HTML), the reply we wrote (from the outbox) or the one
    staff sent from their mail program (from the archive)."""
    from intake.archive import read_archived  # the mail parser: not for the queue

    replies = {f"outbox:{r.id}": r for r in _rows(session, OutboxReply, case_id)}
    security = security_by_message(session, case_id)
    out = []
    for row in _rows(session, Message, case_id):
        item = _message(row, security)
        if row.purged_at is not None and row.sha256:
            item["text"] = ""  # its archived bytes were removed (retention, erasure)
        elif sent_elsewhere(row):  # staff's own words: the text as written, no segments of a sender's
            item["text"] = _archived_text(config, row)
        elif row.direction == "in":
            try:
                parsed = read_archived(config, row.sha256)
            except NotFound:  # its archived bytes are not where they should be: the rest still shows
                parsed = None
            item |= incoming_text(
                parsed, row.id or 0, password_in_text=row.password_in_text, subject=row.subject
            )
        else:
            reply = replies.get(row.source_ref)
            item["text"] = reply.body if reply else ""
            item["reply_state"] = reply.state if reply else None
        out.append(item)
    return out


def _archived_text(config: Config, row: Message) -> str:
    from intake.archive import read_archived  # the mail parser: not for the queue

    try:
        return read_archived(config, row.sha256).body_text[:MAX_SHOWN]
    except NotFound:  # its archived bytes are not where they should be: the rest still shows
        return ""


def attached_messages(session: Session, config: Config, case_id: str) -> list[dict]:
    """Every message attached to the case's incoming mail, read from the archive."""
    from intake.archive import read_archived  # the mail parser: not for the queue

    found: list[dict] = []
    for row in _rows(session, Message, case_id):
        if row.direction != "in" or row.purged_at is not None:
            continue
        try:
            parsed = read_archived(config, row.sha256)
        except IntakeError:  # no archived bytes to show (never archived, removed, unreadable)
            continue
        found += attached_of(parsed, row.id or 0)
    return found


def quarantine_item(q: QuarantineEntry) -> dict:
    return {
        "id": q.id,
        "mailbox": q.mailbox,
        "received_at": jst(q.received_at),
        "error": q.error,
        "size": q.size,
        "source_ref": q.source_ref,
        "sha256": q.sha256,
    }


def reply_item(reply: OutboxReply) -> dict:
    """The ``intake outbox --json`` shape of interface.md, plus template, times and threading."""
    return {
        "id": reply.id,
        "case_id": reply.case_id,
        "to": reply.to_addr,
        "subject": reply.subject,
        "state": reply.state,
        "attempts": reply.attempts,
        "last_error": reply.last_error,
        "mailbox": reply.mailbox,
        "template": reply.template,
        "message_id": reply.message_id,
        "in_reply_to": reply.in_reply_to or None,
        "created_at": _aware_jst(reply.created_at),
        "next_attempt_at": _aware_jst(reply.next_attempt_at) if reply.state == "queued" else None,
        "sent_at": _aware_jst(reply.sent_at),
        "server_reply": reply.server_reply,
        "author": reply.author,  # who wrote a staff reply (None: an automatic one)
        "cc": reply.cc,
    }


def _aware_aware_jst(when) -> str | None:
    return jst(as_utc(when)) if when else None


def _aware_jst(when) -> str | None:
    """A time from the outbox in Japan time (SQLite gives back naive UTC times)."""
    return jst(as_utc(when)) if when else None
