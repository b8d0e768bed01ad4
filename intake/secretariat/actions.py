"""What staff do to a case — notes, status changes, incident decisions — and the audit log of it.

Every action that changes something adds an audit entry (:func:`intake.db.audit.record`) in the
same transaction; a refused action changes nothing and records nothing.

Statuses (interface.md): ``new`` → ``waiting_for_sender`` / ``waiting_for_password`` →
``ready_for_review`` → ``accepted`` / ``rejected`` → ``closed``. The product sets ``new``,
``waiting_for_password`` and the automatic moves; :data:`TRANSITIONS` is what staff may do.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from intake.cases import sla
from intake.config import SlaConfig
from intake.db import audit
from intake.db.tables import AuditEntry, Case, Finding, IncidentRecord, Note, utcnow
from intake.errors import IntakeError, NotFound
from intake.secretariat.statuses import STATUSES

_OPEN_TARGETS = ("waiting_for_sender", "ready_for_review", "rejected", "closed")

# Staff moves: status now → statuses staff may move the case to.
# accepted needs the forms read: from ready_for_review, or from waiting_for_sender when staff settled
# what was missing another way (by phone, say) — never while a file still waits for its password.
# accepted / rejected are final until closed; a closed case is reopened to ready_for_review.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": _OPEN_TARGETS,
    "waiting_for_password": _OPEN_TARGETS,
    "waiting_for_sender": ("ready_for_review", "accepted", "rejected", "closed"),
    "ready_for_review": ("waiting_for_sender", "accepted", "rejected", "closed"),
    "accepted": ("closed",),
    "rejected": ("closed",),
    "closed": ("ready_for_review",),
}
DECISIONS = ("secret", "not_secret")


def get_case(session: Session, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}", label="no_case", case=case_id)
    return case


def add_note(session: Session, case_id: str, text: str, *, by: str) -> Note:
    """A staff note on the case."""
    case = get_case(session, case_id)
    if not text.strip():
        raise IntakeError("a note needs some text", label="note_empty")
    note = Note(case_id=case_id, by=by, text=text.strip())
    case.updated_at = utcnow()
    session.add_all([note, case])
    audit.record(session, case_id=case_id, by=by, action="note", detail=note.text)
    return note


def set_status(
    session: Session,
    case_id: str,
    status: str,
    *,
    by: str,
    rules_dir: Path,
    note: str | None = None,
    confirm_unauthenticated: bool = False,
    override_missing: bool = False,
    due: SlaConfig | None = None,
) -> Case:
    """Move the case as :data:`TRANSITIONS` allows; accepting a membership application or a staff
    registration applies it to the member register (application first, then the staff entries).
    A register change from a sender that failed authentication (``sender_not_authenticated``) is
    applied only with ``confirm_unauthenticated``: staff confirmed it another way, and that is audited.
    A case with open ``missing`` findings is accepted only with ``override_missing`` (audited too).
    The acceptance's audit entry keeps the status it came from and the register rows it touched,
    before and after, so that it can be undone (:mod:`intake.secretariat.accepting`).
    The case gets the due date of its new status from ``due`` (``[sla]``; default: its defaults)."""
    case = get_case(session, case_id)
    if case.merged_into is not None:
        raise IntakeError(
            f"{case_id} is merged into {case.merged_into}: split it first (intake split {case_id})",
            label="status_merged",
            case=case_id,
            into=case.merged_into,
        )
    if status not in STATUSES:
        raise IntakeError(
            f"unknown status {status!r}; statuses: {', '.join(STATUSES)}",
            label="status_unknown",
            status=status,
        )
    allowed = TRANSITIONS.get(case.status, ())
    if status not in allowed:
        raise IntakeError(
            f"cannot move {case_id} from {case.status} to {status}; allowed: {', '.join(allowed) or 'none'}",
            label="status_not_allowed",
            case=case_id,
            before=case.status,
            after=status,
            allowed=list(allowed),
        )
    register: tuple[dict, dict] = ({}, {})
    if status == "accepted":
        _confirm_sender(session, case, by=by, confirmed=confirm_unauthenticated)
        _confirm_missing(session, case, by=by, rules_dir=rules_dir, overridden=override_missing)
        register = _apply_to_register(session, case, by=by, rules_dir=rules_dir)
    before, due_before = case.status, case.due_at
    case.status, case.updated_at = status, utcnow()
    sla.follow_status(case, due or SlaConfig(), before=before)
    session.add(case)
    audit.record(
        session, case_id=case_id, by=by, action="status", detail={"from": before, "to": status, "note": note}
    )
    if status == "accepted":
        detail = {
            "from": before,
            "due_at": due_before.isoformat() if due_before else None,
            "register": {"before": register[0], "after": register[1]},
        }
        audit.record(session, case_id=case_id, by=by, action=ACCEPTANCE, detail=detail)
    if note and note.strip():
        session.add(Note(case_id=case_id, by=by, text=note.strip()))
    return case


REGISTER_KINDS = ("membership_application", "staff_registration")
ACCEPTANCE = "acceptance"  # the audit entry an acceptance is undone from


def open_missing(session: Session, case_id: str) -> list[Finding]:
    """The case's open ``missing`` findings: what the sender has still not supplied."""
    query = select(Finding).where(
        Finding.case_id == case_id,
        Finding.open == True,  # noqa: E712
        Finding.severity == "missing",
    )
    return list(session.exec(query.order_by(col(Finding.id))))


def _confirm_missing(session: Session, case: Case, *, by: str, rules_dir: Path, overridden: bool) -> None:
    missing = open_missing(session, case.id)
    if not missing:
        return
    if not overridden:
        items = "、".join(f.message_ja or f.code for f in missing)
        raise IntakeError(
            f"{case.id}: open missing items ({items}); accept with --override-missing",
            label="missing_refused",
            case=case.id,
            items=items,
        )
    detail = {"findings": [f.code for f in missing]}
    audit.record(session, case_id=case.id, by=by, action="accept_override_missing", detail=detail)


def _confirm_sender(session: Session, case: Case, *, by: str, confirmed: bool) -> None:
    open_finding = select(Finding.id).where(
        Finding.case_id == case.id,
        Finding.code == "sender_not_authenticated",
        Finding.open == True,  # noqa: E712
    )
    if case.kind not in REGISTER_KINDS or session.exec(open_finding).first() is None:
        return
    if not confirmed:
        raise IntakeError(
            f"{case.id} changes the register and its sender is not authenticated (sender_not_authenticated): "
            "confirm with the organisation by phone, then accept with --confirm-unauthenticated "
            "(on the desk: tick the confirmation box)",
            label="sender_not_confirmed",
            case=case.id,
        )
    audit.record(
        session, case_id=case.id, by=by, action="confirm_unauthenticated", detail={"sender": case.sender}
    )


def _apply_to_register(session: Session, case: Case, *, by: str, rules_dir: Path) -> tuple[dict, dict]:
    from intake.secretariat import (
        register,
    )  # with the checks it reads names with: only when a case is accepted

    return register.apply_case(session, case, by=by, rules_dir=rules_dir)


def record_incident_decision(
    session: Session, case_id: str, *, secret: str | None, scope: str | None, by: str
) -> IncidentRecord:
    """Staff's decision on secrecy and sharing scope (Q22: decided by the secretariat with the
    provider), stored beside — never over — what the reporter asked for (Q21: TLP and secrecy are
    separate axes)."""
    case = get_case(session, case_id)
    if case.kind != "incident_report":
        raise IntakeError(
            f"{case_id} is a {case.kind} case; decisions are for incident reports",
            label="decision_not_incident",
            case=case_id,
            kind=case.kind,
        )
    if secret is None and not (scope and scope.strip()):
        raise IntakeError("give --secret and/or --scope", label="decision_empty")
    if secret is not None and secret not in DECISIONS:
        raise IntakeError(
            f"secret must be one of {', '.join(DECISIONS)}, not {secret!r}",
            label="decision_unknown",
            secret=secret,
        )
    incident = session.get(IncidentRecord, case_id) or IncidentRecord(case_id=case_id)
    if secret is not None:
        incident.decided_secret = secret
    if scope and scope.strip():
        incident.decided_scope = scope.strip()
    incident.decided_by, incident.decided_at = by, utcnow()
    case.updated_at = incident.decided_at
    session.add_all([incident, case])
    detail = {"secret": incident.decided_secret, "scope": incident.decided_scope}
    audit.record(session, case_id=case_id, by=by, action="incident_decision", detail=detail)
    return incident


def audit_entries(session: Session, case_id: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first; one case's entries when ``case_id`` is given."""
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if case_id is not None:
        get_case(session, case_id)
        query = query.where(AuditEntry.case_id == case_id)
    return list(session.exec(query))
