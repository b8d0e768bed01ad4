"""What the checks look at: a case, read-only, as plain values (no database, no I/O).

``intake.cases.refresh`` builds a :class:`CaseFacts` from the database and the archive; every check
is a function of it. Choice fields hold the option's Japanese text, or None unless exactly one
box was ticked; ``ticked`` tells "none" from "several".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class AttachmentFacts:
    id: int
    filename: str | None
    format: str  # docx | doc | pdf | zip | xlsx | image | other
    encrypted: bool
    macro: bool
    state: str  # password_pending | decrypted | plain | rejected | failed
    document: str | None  # application | staff_registration | None (from the title once read, else the name)
    detail: str = ""  # plain English: what was found, or why it could not be read


@dataclass(frozen=True)
class StaffFacts:
    """One person block (事務従事者N) of a staff registration."""

    position: int  # 1-based, in document order
    fields: Mapping[str, str | None]  # every item rules/forms/staff_registration.toml declares
    ticked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FormFacts:
    """One form read from an attachment."""

    attachment_id: int
    filename: str | None
    document: str  # application | staff_registration
    fields: Mapping[
        str, str | None
    ]  # application: the keys of forms.md ("poc.email" …); staff: {"org_name": …}
    ticked: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    problems: Mapping[str, str] = field(default_factory=dict)  # field → what could not be read
    staff: tuple[StaffFacts, ...] = ()
    submitted_on: date | None = None


@dataclass(frozen=True)
class PersonOnFile:
    name: str
    email: str | None
    status: str  # active | removed
    poc: str | None = None  # する | しない


@dataclass(frozen=True)
class RegisterFacts:
    """The organisation as the member register knows it before this case."""

    org_name: str
    corporate_number: str | None
    department: str | None
    poc_email: str | None
    people: tuple[PersonOnFile, ...]  # active and removed
    removed_last_time: tuple[PersonOnFile, ...] = ()  # marked 廃止 in the previous accepted submission


@dataclass(frozen=True)
class MessageFacts:
    sender: str
    subject: str
    text: str  # what is read: the first [limits] max_text_chars characters of the body
    received_at: datetime
    unread_chars: int = 0  # how much of a longer body was kept and shown, but not read


@dataclass(frozen=True)
class IncidentAnswers:
    """Q24 確認①②③ as the reporter answered them (None: not answered, or not clearly)."""

    secret_designation: str | None = None  # requested | not_requested | left_to_secretariat (お任せ)
    secret_detail: str | None = None
    sharing_scope: str | None = None  # the Council phrase, e.g. 協議会構成員限り; 制限なし; 事務局に一任
    tlp: str | None = None  # RED | AMBER+STRICT | AMBER | GREEN | CLEAR
    external_coordination: str | None = None  # requested | not_requested | left_to_secretariat
    coordination_detail: str | None = None
    # Lines that answer an item in words intake cannot read: (the item's finding code, the line),
    # e.g. ("secret_designation", "確認①：社内で検討中です"). Never taken as an answer; staff see them.
    unclear: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReplyFacts:
    """A reply of ours in the outbox: whom it went to and what became of it."""

    id: int
    to_addr: str
    state: str  # queued | held | sent | failed | cancelled | bounced
    created_at: datetime
    detail: str = ""  # for a bounced one: the status and the server's words


@dataclass(frozen=True)
class SecurityFacts:
    """Who sent one message and how it was protected (intake.mail.authenticity, intake.mail.crypto)."""

    message_id: int
    sender: str
    auth: str  # pass | fail | unknown
    auth_detail: str = ""
    scheme: str = ""  # "" | pgp_mime | inline_pgp | smime
    encrypted: bool = False
    decrypted: bool = False
    signature: str = ""  # "" | good | bad | unknown_key
    signer: str = ""
    signer_matches: bool | None = None
    problem: str = ""


@dataclass(frozen=True)
class ScanFacts:
    """What ClamAV said of one file: an attachment as it came, or a file decrypted from it."""

    attachment_id: int
    filename: str  # the attachment's name, or "NAME/FILE" for a file inside it
    signature: str = ""  # what clamd found; "" when the file could not be scanned
    problem: str = ""  # why it was not scanned


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    profile: str  # membership | incident
    sender: str
    received_at: datetime  # of the first message, aware
    messages: tuple[MessageFacts, ...] = ()  # incoming, oldest first
    attachments: tuple[AttachmentFacts, ...] = ()
    forms: tuple[FormFacts, ...] = ()
    register: RegisterFacts | None = None  # the organisation on the register, if it is there
    member: bool = False  # the sender's organisation is a member (incident mailbox: non_member)
    other_departments: tuple[str, ...] = ()  # other departments of the same organisation on file
    recruitment_periods: tuple[tuple[date, date], ...] = ()
    incident: IncidentAnswers | None = None
    own_addresses: frozenset[str] = frozenset()
    replies: tuple[ReplyFacts, ...] = ()  # ours, oldest first
    security: tuple[SecurityFacts, ...] = ()  # per incoming message that had anything to say
    scans: tuple[ScanFacts, ...] = ()  # a file ClamAV found something in, or could not scan
