"""Cases built straight in the database for the staff, register and export tests.

``CaseBuilder(engine)`` inserts a case with one incoming message; ``application`` and ``staff`` add
an attachment holding a read form (ApplicationForm / StaffEntry rows), as the pipeline would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from intake.cases.formrows import column
from intake.db.tables import ApplicationForm, Attachment, Case, Finding, IncidentRecord, Message, StaffEntry
from support.samples import application, flat
from support.samples import person as sample_person

#: A complete application as its database row holds it (``poc_name`` …), from the one sample.
APPLICATION_DEFAULTS = {
    column(key): value
    for key, value in flat(application(sector="情報通信", roster_publication="登載する")).items()
    if key not in ("org_name", "corporate_number", "department")
}


def person(name: str, kind: str, **changes: Any) -> dict:
    """One 事務従事者 block as a StaffEntry row holds it (:func:`support.samples.person`)."""
    return {column(k): v for k, v in sample_person(name, kind, **changes).items()}


@dataclass
class CaseBuilder:
    engine: Engine
    prefix: str = "KYOGIKAI"
    count: int = 0

    def case(self, kind: str, *, status: str = "ready_for_review", org: str | None = None, **extra) -> str:
        """A case with one incoming message; returns its id."""
        self.count += 1
        case_id = f"{self.prefix}-2026-{self.count:04d}"
        received = datetime(2026, 10, 5, 1, 0, tzinfo=UTC) + timedelta(hours=self.count)
        mailbox = "anken" if kind == "incident_report" else "kyogikai"
        with Session(self.engine) as session:
            session.add(
                Case(
                    id=case_id, mailbox=mailbox, kind=kind, status=status, org_name=org,
                    sender=extra.get("sender", "sender@example.co.jp"),
                    subject=extra.get("subject", f"件名 {self.count}"), received_at=received, updated_at=received,
                )
            )  # fmt: skip
            session.add(Message(case_id=case_id, mailbox=mailbox, sha256=_digest(case_id), subject="s"))
            session.commit()
        return case_id

    def _attachment(self, session: Session, case_id: str, document: str) -> int:
        message = session.exec(select(Message).where(Message.case_id == case_id)).first()
        attachment = Attachment(
            case_id=case_id, message_pk=message.id, part_index=2, filename=f"{document}.docx",
            format="docx", encrypted=True, state="decrypted", document=document,
        )  # fmt: skip
        session.add(attachment)
        session.flush()
        return attachment.id

    def application(self, case_id: str, org_name: str, **fields) -> None:
        """A read 加入申込書 on the case (defaults: a complete one that chose 登載する)."""
        with Session(self.engine) as session:
            attachment_id = self._attachment(session, case_id, "application")
            values = APPLICATION_DEFAULTS | {"org_name": org_name} | fields
            session.add(ApplicationForm(case_id=case_id, attachment_id=attachment_id, **values))
            session.commit()

    def staff(self, case_id: str, org_name: str, people: list[dict]) -> None:
        """A read 事務従事者登録届 on the case, one StaffEntry per person block."""
        with Session(self.engine) as session:
            attachment_id = self._attachment(session, case_id, "staff_registration")
            for position, block in enumerate(people, start=1):
                session.add(
                    StaffEntry(
                        case_id=case_id,
                        attachment_id=attachment_id,
                        position=position,
                        org_name=org_name,
                        **block,
                    )
                )
            session.commit()

    def finding(self, case_id: str, code: str, *, open: bool = True) -> None:
        with Session(self.engine) as session:
            session.add(Finding(case_id=case_id, code=code, severity="missing", open=open))
            session.commit()

    def incident(self, case_id: str, **request) -> None:
        with Session(self.engine) as session:
            session.add(IncidentRecord(case_id=case_id, **request))
            session.commit()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
