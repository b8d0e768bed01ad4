"""Keeping a case current: whenever it changes (a message arrives, an attachment is opened) its
findings are evaluated again, each is opened or resolved with the time, the case status follows,
and the reply that the change calls for is written to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, select

from intake.cases import sla
from intake.cases.facts import OpenedCase, build_facts, other_department_applications
from intake.cases.kinds import case_kind
from intake.checks import RuleFinding, evaluate
from intake.config import Config
from intake.db.later import insert_rows
from intake.db.tables import Case, Finding, IncidentRecord, Message, utcnow
from intake.forms.naming import org_from_filename
from intake.replies.planning import plan_reply

STAFF_STATUSES = frozenset({"accepted", "rejected", "closed"})


def refresh_case(
    session: Session,
    *,
    config: Config,
    case_id: str,
    reply: bool = True,
    texts: Mapping[int, str] | None = None,
    trigger: Message | None = None,
    opened: OpenedCase | None = None,
) -> Case:
    """Evaluate the case again; with ``reply`` the change may call for a reply to the sender
    (a new message from them, or an attachment opened) — staff notes and the like do not.
    ``texts`` are the body texts of messages already parsed (by id), not read again; ``trigger``
    is the message that came in, when the caller has it (else the case's newest is looked up);
    ``opened``: the caller opened the case in this transaction, and this is all that is stored of
    it (nothing of it is read back)."""
    if opened is None or opened.attachments:  # what the caller added is read back below
        session.flush()
    with session.no_autoflush:
        case = opened.case if opened is not None else session.get(Case, case_id)
        assert case is not None  # the caller's case, flushed above
        facts = build_facts(session, config=config, case=case, texts=texts or {}, opened=opened)
        profile = config.get_mailbox(case.mailbox).profile
        case.kind = case_kind(profile, [a.document for a in facts.attachments])
        results = evaluate(facts, rules_dir=config.rules_path)
        _sync_findings(session, case, results, opened=opened is not None)
        if facts.incident is not None:
            _store_incident(session, case, facts.incident, opened=opened is not None)
        _update_org(case, facts)
        before = case.status
        if case.status not in STAFF_STATUSES:
            case.status = _status(results)
        sla.follow_status(case, config.sla, before=before)
        case.updated_at = utcnow()
        session.add(case)
        if reply:
            plan_reply(
                session,
                config=config,
                case=case,
                findings=results,
                trigger=trigger,
                opened=opened is not None,
            )
            _recheck_other_departments(session, config, case, facts.forms)
    return case


def _recheck_other_departments(session: Session, config: Config, case: Case, forms) -> None:
    """Q5: when another department of the same organisation applies, the earlier application is
    checked again too, so both carry duplicate_department (no reply: nothing came from them)."""
    others = other_department_applications(session, case.id, forms, config.rules_path)
    for other in dict.fromkeys(form.case_id for form in others):
        refresh_case(session, config=config, case_id=other, reply=False)


def _status(results: list[RuleFinding]) -> str:
    codes = {r.code for r in results}
    if "password_pending" in codes:
        return "waiting_for_password"
    if any(r.severity == "missing" for r in results):
        return "waiting_for_sender"
    return "ready_for_review"


def _sync_findings(session: Session, case: Case, results: list[RuleFinding], *, opened: bool) -> None:
    """Open, update or resolve the case's findings; the new ones go in one INSERT (``opened``: the
    case is new, it has none yet)."""
    existing = (
        {} if opened else {f.code: f for f in session.exec(select(Finding).where(Finding.case_id == case.id))}
    )
    now, new = utcnow(), []
    for result in results:
        text = {"severity": result.severity, "message_ja": result.message_ja, "message_en": result.message_en}
        row = existing.pop(result.code, None)
        if row is None:
            new.append({"case_id": case.id, "code": result.code, "open": True, "opened_at": now, **text})
            continue
        if not row.open:
            row.open, row.opened_at, row.resolved_at = True, now, None
        row.severity, row.message_ja, row.message_en = result.severity, result.message_ja, result.message_en
        session.add(row)
    if new:
        insert_rows(session, Finding, new)
    for row in existing.values():
        if row.open:
            row.open, row.resolved_at = False, now
            session.add(row)


def _store_incident(session: Session, case: Case, answers, *, opened: bool) -> None:
    record = None if opened else session.get(IncidentRecord, case.id)
    record = record or IncidentRecord(case_id=case.id)
    for key in (
        "secret_designation",
        "secret_detail",
        "sharing_scope",
        "tlp",
        "external_coordination",
        "coordination_detail",
    ):
        setattr(record, key, getattr(answers, key))
    session.add(record)


def _update_org(case: Case, facts) -> None:
    for form in facts.forms:
        name = form.fields.get("org_name")
        if name:
            case.org_name = name
            return
    if case.org_name is None:
        case.org_name = next((o for a in facts.attachments if (o := org_from_filename(a.filename))), None)
