"""The database tables: the one place the schema is declared (migrations follow it).

Times are aware datetimes stored in UTC and shown in Japan time (JST, UTC+9).
The archive of raw messages is the only copy of message content: tables keep what was read from it
(headers, states, extracted fields), never a body or a password.

Cases and their messages come first; then what is read from cases and what staff keep: forms, the
member register, incident confirmations, passwords phoned in ahead, and the outbox of replies.
Japanese terms: 加入申込書 membership application; 事務従事者登録届 staff registration (事務従事者:
a person registered to handle the Council's secret information); 法人番号 corporate number; 区分
category; 分野 sector; 参加区分 participation class; 構成員名簿への登載 publication in the public
member roster (Q16).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from intake import clock

# IMAP's UIDVALIDITY and UIDs are unsigned 32-bit (up to 4 294 967 295): SQLite's INTEGER holds them,
# PostgreSQL's stops at 2 147 483 647, so there they are BIGINT.
UINT32 = Integer().with_variant(BigInteger(), "postgresql")


def utcnow() -> datetime:
    """:func:`intake.clock.utcnow`, looked up at each call."""
    return clock.utcnow()


class Case(SQLModel, table=True):
    """One submission or report: the first message and everything that answers it."""

    # The queue, newest first, read straight off an index — its page, its counts, per status and per
    # owner too; the overdue cases (due before today) off their own, to stand at the top of the page.
    __table_args__ = (
        Index("ix_case_queue", "robot", "received_at", "id"),
        Index("ix_case_queue_status", "robot", "status", "received_at", "id"),
        Index("ix_case_queue_owner", "robot", "owner", "received_at", "id"),
        Index("ix_case_due", "robot", "due_at"),
    )
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
    robot: bool = False  # opened by a robot's mail that answers nothing of ours (indexed: ix_case_queue)
    purged_at: datetime | None = None  # its personal data removed past retention: only the skeleton is left
    owner: str | None = None  # 担当者: the desk user (DeskUser.name) who handles it; None: nobody yet
    # The business day it should leave its status by, as 00:00 JST of that day (intake.cases.sla):
    # overdue once that day has passed; None in a final status or where no days are set.
    due_at: datetime | None = None
    # merged by staff into this case (status closed): its records moved there, mail to it goes there
    merged_into: str | None = Field(default=None, index=True)


class CaseCounter(SQLModel, table=True):
    """The last case number given per case prefix and year."""

    prefix: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    last: int = 0


class Message(SQLModel, table=True):
    """A message of a case, as read from its archived raw bytes (``sha256``)."""

    # Read once from each place (imap:FOLDER:UIDVALIDITY:UID, graph:FOLDER:ID): the last guard when
    # instances share a PostgreSQL database (intake/db/locks.py). The duplicate checks read one
    # row off an index of their own: the same bytes, the same Message-ID from the same sender.
    __table_args__ = (
        Index(
            "ux_message_source",
            "mailbox",
            "source_ref",
            unique=True,
            sqlite_where=text("source_ref LIKE 'imap:%' OR source_ref LIKE 'graph:%'"),
            postgresql_where=text("source_ref LIKE 'imap:%' OR source_ref LIKE 'graph:%'"),
        ),
        Index("ix_message_same_bytes", "mailbox", "sha256"),
        Index("ix_message_same_id", "mailbox", "message_id", "from_addr"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    mailbox: str  # indexed first in ix_message_same_bytes and ix_message_same_id
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
    source_ref: str = ""  # where it was read: imap:FOLDER:UIDVALIDITY:UID, graph:FOLDER:ID or maildir:KEY
    purged_at: datetime | None = None  # its archived bytes and personal fields removed (retention, erasure)


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
    format: str = "other"  # docx | doc | pdf | zip | xlsx | image | other
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
    """How far an IMAP folder has been read: (UIDVALIDITY, last UID processed), and up to which UID
    every processed message is known to carry its mark — so a poll with nothing new looks for
    unmarked messages only above it, whatever the size of the folder."""

    mailbox: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    uidvalidity: int = Field(sa_type=UINT32)
    last_uid: int = Field(default=0, sa_type=UINT32)
    marked_uid: int = Field(default=0, sa_type=UINT32)


class GraphSyncState(SQLModel, table=True):
    """How far a Graph mailbox's folder has been read: ``delta_link``, where the next round of the
    delta query starts, and ``repair_link``, where the last round started (the next poll lists
    from there, so a message stored but not yet marked when intake stopped gets its mark). Both
    are written in the transaction that stores the round's last message."""

    mailbox: str = Field(primary_key=True)
    folder: str = Field(primary_key=True)
    delta_link: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    repair_link: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    updated_at: datetime = Field(default_factory=utcnow)


class MaildirSeen(SQLModel, table=True):
    """Maildir messages already processed, by their unique file name (without flags)."""

    mailbox: str = Field(primary_key=True)
    key: str = Field(primary_key=True)


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
    """A reply written in the same transaction as the case change that caused it, sent later.
    ``to_addr`` is kept in lower case, so the per-sender cap reads it off the recipient's index
    and the already-replied check off ``ix_outboxreply_replied`` (in_reply_to, to_addr, template).

    A reply staff wrote (``author`` is the desk user or operator; None for an automatic one) may
    carry Cc recipients and files: then the whole message is built once, when it is written, and
    kept in the archive (``raw_sha256``), so every retry sends the same bytes."""

    __table_args__ = (
        Index("ix_outboxreply_recipient", "to_addr", "created_at"),
        Index("ix_outboxreply_replied", "in_reply_to", "to_addr", "template"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = Field(
        default=None, foreign_key="case.id", index=True
    )  # None: internal mail (digest)
    mailbox: str
    template: str  # checklist | acknowledgement | out_of_period | word_required | encryption_required …
    to_addr: str
    subject: str
    message_id: str = Field(index=True)  # ours, stable across retries
    in_reply_to: str = ""
    references: str = Field(default="", sa_column=_text())
    body: str = Field(sa_column=_text())
    state: str = Field(default="queued", index=True)  # queued | held | sent | failed | cancelled | bounced
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    server_reply: str | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
    author: str | None = None  # who wrote a staff reply; None: an automatic reply
    cc: str = Field(default="", sa_column=_text())  # staff replies: addresses, comma-separated
    raw_sha256: str | None = None  # staff replies with files: the message as built, in the archive


class DeskUser(SQLModel, table=True):
    """A secretariat operator who signs in to the web desk (``intake user add``); never a person
    of a member organisation. Only a scrypt hash of the password is kept."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    password_hash: str
    disabled: bool = False
    email: str | None = None  # where the daily digest of overdue and due cases goes (optional)
    created_at: datetime = Field(default_factory=utcnow)
    password_changed_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class DigestSent(SQLModel, table=True):
    """The daily digest queued for a desk user on a JST day: at most one each (the primary key
    holds even when two schedulers race or the service restarts)."""

    user_name: str = Field(primary_key=True)
    day: str = Field(primary_key=True)  # YYYY-MM-DD, JST
    reply_id: int | None = Field(default=None, foreign_key="outboxreply.id")
    created_at: datetime = Field(default_factory=utcnow)


class DeskSession(SQLModel, table=True):
    """A signed-in desk session. The browser's cookie carries a random token; only its SHA-256 is
    kept here, so the table never holds what would let someone sign in. A session ends when its row
    is deleted: at sign-out, a password change, a disabled account, or once it is idle or too old."""

    token_hash: str = Field(primary_key=True)  # hex SHA-256 of the cookie's token
    user_id: int = Field(foreign_key="deskuser.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class SignInAttempts(SQLModel, table=True):
    """Sign-in attempts counted per account and per client address in a window, so a burst from
    many desk processes at once is counted exactly. ``key`` is a SHA-256 of ``account:NAME`` or
    ``address:IP``: a name typed at the sign-in page (sometimes a password) is never kept."""

    key: str = Field(primary_key=True)
    window_start: datetime = Field(default_factory=utcnow)
    attempts: int = 0


class ServerHealth(SQLModel, table=True):
    """How each mail server answered last: one row per mailbox (``mailbox:anken``) and for ``smtp``.

    ``state`` is ``ok``, ``failing`` (unreachable, cut off) or ``auth_failing`` (the login or its
    OAuth2 token was refused); ``failing_since`` is when the current run of failures began. The
    queue, ``intake status`` and the desk show every server that is not ``ok`` at the top.
    """

    name: str = Field(primary_key=True)
    auth_kind: str = "password"
    state: str = "ok"
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error_at: datetime | None = None
    failing_since: datetime | None = None
    token_expires_at: datetime | None = None
    backlog: int | None = None  # messages the last poll found but left for the next (stopped early)


class MessageSecurity(SQLModel, table=True):
    """Who sent a message and how it was protected (one row per incoming message that had anything
    to say): the sender authentication verdict (``pass`` / ``fail`` / ``unknown``, from our own
    servers' Authentication-Results and DKIM checked here), the protection (``pgp_mime`` /
    ``inline_pgp`` / ``smime``), whether it was decrypted, and its signature (``good`` / ``bad`` /
    ``unknown_key``) with the signer's address. Never a key, a passphrase or decrypted content."""

    message_pk: int = Field(foreign_key="message.id", primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    auth: str = "unknown"
    auth_detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    scheme: str = ""
    encrypted: bool = False
    decrypted: bool = False
    signature: str = ""
    signer: str = ""
    signer_matches: bool | None = None
    problem: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class PasswordOffer(SQLModel, table=True):
    """A mail carrying a password, offered on a case whose attachment waits for one, when it could
    not be placed in a single case by itself (several of the organisation's cases wait). Staff open
    the attachment with it; the password stays in the archived message and is read from there."""

    __table_args__ = (UniqueConstraint("message_pk", "case_id", name="uq_passwordoffer_message_case"),)
    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    case_id: str = Field(foreign_key="case.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class SearchEntry(SQLModel, table=True):
    """One document of the search index (:mod:`intake.db.search`): the text of one record — a
    case's subject and names, a message's text, a form, a register organisation, a note, a reply —
    as searched (NFKC, case-folded, a password never in it), keyed by where it came from
    (``source``, ``source_id``) and carrying the case it belongs to (none for an organisation).

    ``grams`` lists the text's distinct characters (on PostgreSQL its pairs too), each between
    spaces (`` a b 林 ``): what a short query is looked up by, since a trigram index cannot narrow
    one or two characters; ``text`` ends with a space (:func:`intake.db.search.text.stored`). On
    SQLite the full-text table ``searchentry_fts`` (FTS5, trigram) indexes both columns and is kept
    by triggers; on PostgreSQL, GIN indexes (pg_trgm) on both do. Neither is part of this
    metadata (:data:`intake.db.search.OUTSIDE_METADATA`)."""

    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_searchentry_source"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str  # case | message | application | staff | organisation | note | reply
    source_id: str  # the record's id (a case's own id for "case")
    case_id: str | None = Field(default=None, index=True)
    text: str = Field(sa_column=_text())
    grams: str = Field(sa_column=_text())
