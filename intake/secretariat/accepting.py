"""受理 (accepting a case) as a decision staff can see before and take back after.

:func:`preview` says what accepting would do, changing nothing: the register rows it adds,
changes and removes (field by field), the open ``missing`` findings that need an explicit
override, a sender that failed authentication, and replies not sent yet that still ask the sender
for something (they contradict the decision). The desk's confirmation page and
``intake accept --dry-run`` show it; :func:`intake.secretariat.actions.set_status` accepts.

:func:`undo` takes a mistaken acceptance back: the register rows it touched get their values from
before it (rows it added are deleted), the case its previous status and due date, and both are
audited. It is refused when those rows changed since: then putting them back would lose that change.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from intake.db import audit
from intake.db.tables import AuditEntry, Case, Finding, OutboxReply, utcnow
from intake.errors import IntakeError
from intake.secretariat import actions
from intake.secretariat.labels import accept_label, accept_text, short_label, status_label

# Replies that still ask the sender to correct or add something, or refuse: at odds with 受理.
ASKING_TEMPLATES = frozenset(
    {"checklist", "additional_questions", "refusal", "word_required", "encryption_required", "out_of_period"}
)
UNSENT = ("held", "queued", "failed")
UNDONE = "acceptance_undone"
OVERRIDE = "accept_override_missing"


@dataclass(frozen=True)
class PendingReply:
    id: int
    subject: str
    to: str
    state: str  # held | queued | failed


@dataclass(frozen=True)
class MissingItem:
    code: str
    text: str  # what the sender must still supply, in Japanese


@dataclass
class AcceptPreview:
    """What accepting ``case_id`` would do; nothing of it has been done."""

    case_id: str
    status: str
    changes: list = field(default_factory=list)  # register.RowChange
    missing: list[MissingItem] = field(default_factory=list)
    unauthenticated: bool = False
    asking_replies: list[PendingReply] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Short digest of the change and the findings: a confirmation is for exactly this."""
        # a row to be added has no number yet (PostgreSQL's sequences move on with every preview)
        changes = [asdict(c) | {"row_id": None} if c.kind == "added" else asdict(c) for c in self.changes]
        data = changes, [f.code for f in self.missing]
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def preview(session: Session, case_id: str, *, rules_dir: Path) -> AcceptPreview:
    """What accepting the case would do; an IntakeError when it cannot be accepted now."""
    from intake.secretariat import register  # the register and its checks, as actions loads them

    case = actions.get_case(session, case_id)
    if case.merged_into is not None or "accepted" not in actions.TRANSITIONS.get(case.status, ()):
        raise IntakeError(
            f"{case_id} cannot be accepted from its status", label="not_acceptable", case=case_id
        )
    before, after = register.preview_case(session, case, rules_dir=rules_dir)
    return AcceptPreview(
        case_id=case_id,
        status=case.status,
        changes=register.diff(before, after),
        missing=[MissingItem(f.code, f.message_ja or f.code) for f in actions.open_missing(session, case_id)],
        unauthenticated=_unauthenticated(session, case),
        asking_replies=asking_replies(session, case_id),
    )


def _unauthenticated(session: Session, case: Case) -> bool:
    query = select(Finding.id).where(
        Finding.case_id == case.id,
        Finding.code == "sender_not_authenticated",
        Finding.open == True,  # noqa: E712
    )
    return case.kind in actions.REGISTER_KINDS and session.exec(query).first() is not None


def asking_replies(session: Session, case_id: str) -> list[PendingReply]:
    """Replies of the case not sent yet that ask the sender for more (:data:`ASKING_TEMPLATES`)."""
    query = select(OutboxReply).where(
        OutboxReply.case_id == case_id,
        col(OutboxReply.state).in_(UNSENT),
        col(OutboxReply.template).in_(sorted(ASKING_TEMPLATES)),
    )
    replies = session.exec(query.order_by(col(OutboxReply.id)))
    return [PendingReply(r.id or 0, r.subject, r.to_addr, r.state) for r in replies]


def last_acceptance(session: Session, case_id: str) -> AuditEntry | None:
    """The entry of the case's acceptance in force: the newest, unless it was undone."""
    query = select(AuditEntry).where(
        AuditEntry.case_id == case_id, col(AuditEntry.action).in_((actions.ACCEPTANCE, UNDONE))
    )
    newest = session.exec(query.order_by(col(AuditEntry.id).desc())).first()
    return newest if newest is not None and newest.action == actions.ACCEPTANCE else None


def undoable(session: Session, case: Case) -> bool:
    """Whether the desk offers 受理を取り消す: an accepted case with the record of its acceptance."""
    return case.status == "accepted" and last_acceptance(session, case.id) is not None


@dataclass
class Undone:
    case_id: str
    status: str  # the status the case is back in
    changes: list  # register.RowChange: what putting the rows back changed


def undo(session: Session, case_id: str, *, by: str, rules_dir: Path) -> Undone:
    """Take the case's acceptance back (see the module's description); refused in Japanese."""
    from intake.secretariat import register

    case = actions.get_case(session, case_id)
    if case.status != "accepted":
        raise IntakeError(f"{case_id} is not accepted", label="undo_not_accepted", case=case_id)
    entry = last_acceptance(session, case_id)
    record = _record(entry)
    if entry is None or record is None:
        raise IntakeError(
            f"{case_id}: no record of its acceptance is left", label="undo_no_record", case=case_id
        )
    before, after = record["register"]["before"], record["register"]["after"]
    ids = {int(k) for k in (*before.get("organisation", {}), *after.get("organisation", {}))}
    if not register.same_rows(register.snapshot(session, ids), after):
        raise IntakeError(
            f"{case_id}: the register rows changed since the acceptance",
            label="undo_register_changed",
            case=case_id,
        )
    register.restore(session, before, after)
    previous = record["from"]
    case.status, case.updated_at = previous, utcnow()
    case.due_at = datetime.fromisoformat(record["due_at"]) if record.get("due_at") else None
    session.add(case)
    changes = register.diff(after, before)
    audit.record(
        session,
        case_id=case_id,
        by=by,
        action="status",
        detail={"from": "accepted", "to": previous, "note": accept_text("undo_note", rules_dir)},
    )
    summary = [{"table": c.table, "id": c.row_id, "change": c.kind} for c in changes]
    audit.record(
        session, case_id=case_id, by=by, action=UNDONE, detail={"acceptance": entry.id, "restored": summary}
    )
    return Undone(case_id, previous, changes)


def _record(entry: AuditEntry | None) -> dict | None:
    """The acceptance's record, if it is whole (a purge or an erasure may have masked it)."""
    return None if entry is None else _whole(entry.detail)


def _whole(detail: str) -> dict | None:
    try:
        data = json.loads(detail)
        register = data["register"]
        if (
            isinstance(data["from"], str)
            and isinstance(register["before"], dict)
            and isinstance(register["after"], dict)
        ):
            return data
    except (ValueError, KeyError, TypeError):
        pass
    return None


def change_table(changes: list, rules_dir: Path) -> list[dict[str, str]]:
    """The register's change as staff read it: one line per field — the row (its table, name and
    number), added / changed / removed, the field, before and after — in Japanese."""
    lines = []
    for change in changes:
        number = "" if change.kind == "added" else f"（{change.row_id}）"  # an added row has none yet
        row = f"{accept_text(change.table, rules_dir)} {change.label}{number}"
        for item in change.fields:
            lines.append(
                {
                    "row": row,
                    "kind": accept_text(change.kind, rules_dir),
                    "field": accept_label("fields", item.name, rules_dir),
                    "before": "" if change.kind == "added" else _value(item.name, item.before, rules_dir),
                    "after": "" if change.kind == "removed" else _value(item.name, item.after, rules_dir),
                }
            )
    return lines


def _value(name: str, value: object, rules_dir: Path) -> str:
    if value is None or value == "":
        return accept_text("empty", rules_dir)
    if isinstance(value, bool):
        return accept_text("yes" if value else "no", rules_dir)
    if name == "status":
        return accept_label("person_status", str(value), rules_dir)
    return str(value)


def history_detail(action: str, detail: str, rules_dir: Path) -> str:
    """An audit entry's detail as a case's history shows it: an acceptance's record of the register
    rows (kept whole for undoing it) is summed up in a line, so is what its undo restored and the
    missing items an acceptance overrode (named as the queue names them); any other detail is left
    as it is."""
    from intake.secretariat import register

    if action == UNDONE:
        restored = _json_object(detail).get("restored")
        return accept_text("undone_history", rules_dir, rows=len(restored)) if restored else detail
    if action == OVERRIDE:
        codes = _json_object(detail).get("findings") or []
        return accept_text(
            "override_history", rules_dir, items="、".join(short_label(c, rules_dir) for c in codes)
        )
    if action != actions.ACCEPTANCE:
        return detail
    record = _whole(detail)
    if record is None:
        return detail
    rows = record["register"]
    status = status_label(record["from"], rules_dir)
    return accept_text(
        "history", rules_dir, status=status, rows=len(register.diff(rows["before"], rows["after"]))
    )


def _json_object(detail: str) -> dict:
    try:
        found = json.loads(detail)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
