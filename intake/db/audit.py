"""The audit log: what staff and the product did to a case, only ever appended to.

:func:`record` is the one way an entry is written. :func:`guard`, which
:func:`~intake.db.engine.make_engine` installs on every engine it makes, refuses any UPDATE or
DELETE of the table, whoever sends it (the ORM, or SQL written by hand) — with one exception:
:func:`redact`, by which a person's data past retention or erased on request (APPI) leaves an
entry's ``detail``. The entry itself (when, who, what, which case) stays, and the redaction is
itself recorded by its caller.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine, event, update
from sqlmodel import Session

from intake.db.tables import AuditEntry
from intake.errors import IntakeError

REDACTION = "intake_audit_redaction"
_CHANGE = re.compile(r'\s*(?:UPDATE|DELETE\s+FROM)\s+"?auditentry"?(?:\s|$)', re.IGNORECASE)


def record(
    session: Session, *, by: str, action: str, case_id: str | None = None, detail: str | dict = ""
) -> AuditEntry:
    """Append one entry in the caller's transaction (a dict detail is stored as JSON)."""
    text = json.dumps(detail, ensure_ascii=False) if isinstance(detail, dict) else detail
    entry = AuditEntry(by=by, case_id=case_id, action=action, detail=text)
    session.add(entry)
    return entry


def redact(session: Session, entry_id: int, detail: str) -> None:
    """Replace one entry's ``detail`` (a person's data masked); nothing else of it changes."""
    statement = update(AuditEntry).where(AuditEntry.id == entry_id).values(detail=detail)  # type: ignore[arg-type]
    session.execute(statement, execution_options={REDACTION: True})


def guard(engine: Engine) -> None:
    """Make the audit table append-only on ``engine``."""
    event.listen(engine, "before_cursor_execute", _refuse_changes)


def _refuse_changes(_conn, _cursor, statement: str, _parameters, context, _executemany) -> None:
    if _CHANGE.match(statement) and not _redacting(statement, context):
        raise IntakeError("the audit log is append-only: entries cannot be changed or deleted")


def _redacting(statement: str, context) -> bool:
    """An UPDATE sent by :func:`redact` (never a DELETE)."""
    redaction = context is not None and context.execution_options.get(REDACTION, False)
    return redaction and statement.lstrip().upper().startswith("UPDATE")
