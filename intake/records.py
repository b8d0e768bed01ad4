"""Tables for what is read from cases and what staff keep: forms, the member register, incident
confirmations, passwords phoned in ahead, and the outbox of replies.

Japanese terms: 加入申込書 membership application; 事務従事者登録届 staff registration; 法人番号
corporate number; 区分 category; 分野 sector; 参加区分 participation class; 構成員名簿への登載
publication in the public member roster (Q16).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from intake.models import utcnow


def _text(default: str = "") -> Column:
    return Column(Text, nullable=False, default=default)


class ApplicationForm(SQLModel, table=True):
    """One 加入申込書 as read from an attachment; choices hold the option's Japanese text or None."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    attachment_id: int = Field(foreign_key="attachment.id", index=True)
    submitted_on: str | None = None
    application_kind: str | None = None
    org_name: str | None = None
    org_name_kana: str | None = None
    corporate_number: str | None = None
    department: str | None = None
    address: str | None = None
    representative: str | None = None
    category: str | None = None
    sector: str | None = None
    participation: str | None = None
    receive_secrets: str | None = None
    early_warning_service: str | None = None
    roster_publication: str | None = None
    poc_name: str | None = None
    poc_name_kana: str | None = None
    poc_title: str | None = None
    poc_phone: str | None = None
    poc_email: str | None = None
    detail_json: str = Field(default="{}", sa_column=_text("{}"))  # originals, ticked boxes, problems
    read_at: datetime = Field(default_factory=utcnow)


class StaffEntry(SQLModel, table=True):
    """One person block (事務従事者N) of a 事務従事者登録届."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    attachment_id: int = Field(foreign_key="attachment.id", index=True)
    position: int  # 1 for 事務従事者１, in document order
    org_name: str | None = None
    name: str | None = None
    name_kana: str | None = None
    department: str | None = None
    title: str | None = None
    phone: str | None = None
    mobile: str | None = None
    email: str | None = None
    application_type: str | None = None  # 新規 | 継続 | 廃止
    system_registration: str | None = None  # 要 | 不要
    poc: str | None = None  # する | しない
    detail_json: str = Field(default="{}", sa_column=_text("{}"))


class Organisation(SQLModel, table=True):
    """An organisation of the member register (imported, or created by an accepted application)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(index=True)  # NFKC, no white space, legal-form abbreviations expanded
    corporate_number: str | None = Field(default=None, index=True)
    department: str | None = None
    category: str | None = None
    sector: str | None = None
    participation: str | None = None
    roster_publication: bool = False
    poc_email: str | None = None
    is_member: bool = True
    updated_at: datetime = Field(default_factory=utcnow)


class RegisteredPerson(SQLModel, table=True):
    """A person registered for an organisation (事務従事者); removals are remembered, not deleted."""

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str
    name_key: str = Field(index=True)
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    system_registration: str | None = None
    poc: str | None = None
    status: str = "active"  # active | removed
    removed_at: datetime | None = None
    source: str = ""  # "import" or the case id that registered it
    updated_at: datetime = Field(default_factory=utcnow)


class IncidentRecord(SQLModel, table=True):
    """Q24 確認①②③ for an incident case: the reporter's request, kept apart from staff's decision (Q22)."""

    case_id: str = Field(foreign_key="case.id", primary_key=True)
    secret_designation: str | None = None  # requested | not_requested
    secret_detail: str | None = None
    sharing_scope: str | None = None  # the Council phrase as written
    tlp: str | None = None  # RED | AMBER+STRICT | AMBER | GREEN | CLEAR
    external_coordination: str | None = None  # requested | not_requested
    coordination_detail: str | None = None
    decided_secret: str | None = None  # staff's decision: secret | not_secret
    decided_scope: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class ExpectedPassword(SQLModel, table=True):
    """A password phoned in before its mail: encrypted with the key file, used once, then deleted."""

    id: int | None = Field(default=None, primary_key=True)
    sender: str | None = Field(default=None, index=True)
    org_key: str | None = Field(default=None, index=True)
    token: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    created_by: str = ""


class OutboxReply(SQLModel, table=True):
    """A reply written in the same transaction as the case change that caused it, sent later."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    mailbox: str
    template: str  # checklist | acknowledgement | out_of_period | word_required | encryption_required …
    to_addr: str = Field(index=True)
    subject: str
    message_id: str = Field(index=True)  # ours, stable across retries
    in_reply_to: str = ""
    references: str = Field(default="", sa_column=_text())
    body: str = Field(sa_column=_text())
    state: str = Field(default="queued", index=True)  # queued | held | sent | failed | cancelled
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    server_reply: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
