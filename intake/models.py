"""The database tables.

Times are aware datetimes stored in UTC and shown in Japan time (JST, UTC+9).
The archive of raw messages is the only copy of message content: tables keep what was read from it
(headers, states, extracted fields), never a body or a password.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Case(SQLModel, table=True):
    """One submission or report: the first message and everything that answers it."""

    id: str = Field(primary_key=True)  # e.g. KYOGIKAI-2026-0001
    mailbox: str = Field(index=True)
    kind: str = Field(index=True)  # membership_application | staff_registration | incident_report | other
    status: str = Field(index=True, default="new")
    sender: str = ""
    sender_name: str = ""
    org_name: str | None = None
    subject: str = ""
    forwarded: bool = False
    received_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = None  # the one acknowledgement (受付完了) was queued


class CaseCounter(SQLModel, table=True):
    """The last case number given per case prefix and year."""

    prefix: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class Message(SQLModel, table=True):
    """A message of a case, as read from its archived raw bytes (``sha256``)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    mailbox: str = Field(index=True)
    direction: str = "in"  # in | out
    message_id: str | None = Field(default=None, index=True)
    in_reply_to: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    references: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sha256: str = Field(index=True)
    size: int = 0
    subject: str = ""
    from_addr: str = Field(default="", index=True)
    from_name: str = ""
    date: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
    no_reply_reason: str | None = None
    forwarded: bool = False
    password_in_text: bool = False  # the text carries a password (never stored, never used)
    source_ref: str = ""  # where it was read: imap:FOLDER:UIDVALIDITY:UID or maildir:KEY


class Attachment(SQLModel, table=True):
    """A file attached to a message; its bytes stay in the archived message (``part_index``)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    part_index: int
    filename: str | None = None
    content_type: str = ""
    size: int = 0
    sha256: str = ""
    format: str = "other"  # docx | doc | pdf | zip | xlsx | other
    encrypted: bool = False
    macro: bool = False
    state: str = "plain"  # password_pending | decrypted | plain | rejected | failed
    document: str | None = None  # application | staff_registration | None
    detail: str = ""  # plain words on what was found or what went wrong
    attempts: int = 0


class Finding(SQLModel, table=True):
    """A rule's verdict on a case; open until the case no longer raises it."""

    __table_args__ = (UniqueConstraint("case_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    code: str
    severity: str  # missing | warning | info
    message_ja: str = ""
    message_en: str = ""
    open: bool = True
    opened_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    by: str = ""
    text: str = Field(sa_column=Column(Text, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Append-only record of what staff and the product did to a case."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    by: str = ""
    case_id: str | None = Field(default=None, index=True)
    action: str
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class QuarantineEntry(SQLModel, table=True):
    """A message that could not be processed: its raw bytes are archived, the error says why."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(index=True)
    source_ref: str = ""
    sha256: str
    size: int = 0
    error: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    state: str = Field(default="open", index=True)  # open | reprocessed
    case_id: str | None = None
    resolved_at: datetime | None = None


class SourceCursor(SQLModel, table=True):
    """How far an IMAP folder has been read: (UIDVALIDITY, last UID processed)."""

    mailbox: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    uidvalidity: int
    last_uid: int = 0


class MaildirSeen(SQLModel, table=True):
    """Maildir messages already processed, by their unique file name (without flags)."""

    mailbox: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
