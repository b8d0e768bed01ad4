"""One reply: its subject, threading headers and body, and the e-mail message built from it.

The body comes from a Jinja2 template in ``<rules_dir>/templates/<name>.j2`` that staff may edit.
Templates are plain text (no HTML escaping) and strict: a variable the template uses but the caller
did not give is an error, never a silent blank. Every template receives ``case_id`` (the 受付番号,
reception number, e.g. ``KYOGIKAI-2026-0042``), ``mailbox_address`` and ``sender_name`` (may be
empty) besides its own context; the filter ``jdate`` writes a date as 2026年12月3日（木）.

Message-IDs are kept bare (no angle brackets), like ``Message.message_id``; the brackets are added
when the e-mail is built. Our Message-ID is made once, when the reply is composed, so every retry
of the same reply carries the same one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path

import jinja2

from intake.archive import Archive
from intake.clock import JST
from intake.config import Config
from intake.db.tables import OutboxReply
from intake.errors import IntakeError
from intake.replies.calendar import format_jdate

MAX_REFERENCES = 20  # the first id and the latest ones are kept (RFC 5322 §3.6.4 allows trimming)
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Reply prefixes of English, German, Nordic and Japanese mailers, half- or full-width: Re: RE: Ｒｅ：
# Re[2]: AW: SV: 返信: …; repeated ones are all removed before our single "Re: ".
_REPLY_PREFIX = re.compile(
    r"^(?:(?:re|ｒｅ|aw|sv|antw|返信)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*)+", re.IGNORECASE
)
_ANGLED = re.compile(r"<([^<>\s]+)>")


class ReplyTemplateError(IntakeError):
    """A reply template is missing, malformed, or needs a variable that was not given."""


@dataclass(frozen=True, kw_only=True)
class ComposedReply:
    subject: str
    message_id: str  # bare, on our domain
    in_reply_to: str  # bare, or ""
    references: tuple[str, ...]  # bare, oldest first
    body: str


def compose_reply(
    *,
    case_id: str,
    mailbox_address: str,
    to_addr: str,
    original_subject: str,
    in_reply_to: str | None,
    references: str | Iterable[str] | None,
    template: str,
    context: Mapping[str, object],
    rules_dir: Path,
    domain: str | None = None,
    check_recipient: bool = True,
) -> ComposedReply:
    """Compose a reply to the message ``in_reply_to`` (whose own References are ``references``).

    ``domain`` defaults to the domain of ``mailbox_address``; ``to_addr`` is checked (unless the
    caller holds the reply for staff because it is not a usable address), not rendered.
    """
    if check_recipient:
        recipient_address(to_addr)
    parent, chain = thread_headers(in_reply_to, references)
    values = {"case_id": case_id, "mailbox_address": mailbox_address, "sender_name": "", **context}
    return ComposedReply(
        subject=reply_subject(original_subject, case_id),
        message_id=new_message_id(case_id, domain or _domain_of(mailbox_address)),
        in_reply_to=parent,
        references=chain,
        body=render_template(rules_dir, template, values),
    )


def thread_headers(
    in_reply_to: str | None, references: str | Iterable[str] | None
) -> tuple[str, tuple[str, ...]]:
    """In-Reply-To and References of a reply to the message ``in_reply_to`` (whose own References
    are ``references``): bare ids, the chain trimmed as RFC 5322 allows."""
    parent = _bare_ids(in_reply_to)[:1]
    chain = _trim(_bare_ids([*_bare_ids(references), *parent]))
    return (parent[0] if parent else ""), tuple(chain)


def recipient_address(to_addr: str) -> str:
    """``to_addr`` as one recipient, written as the To header needs it. A quoted local part may hold
    ``<``, ``>`` or ``"`` and is still one person's address (RFC 5322 3.4.1); the dotted local parts
    of Japanese mobile carriers' older addresses (「taro..yamada@」, 「.taro@」) break the RFC but
    are real mailboxes and are kept as they are. ValueError when it is not exactly one address."""
    if not to_addr or any(c in to_addr for c in "\r\n\0"):
        raise ValueError(f"not a single recipient address: {to_addr!r}")
    if _CARRIER_DOTS.fullmatch(to_addr):
        return to_addr
    try:
        address = Address(addr_spec=to_addr)
    except (ValueError, IndexError, TypeError, HeaderParseError):
        raise ValueError(f"not a single recipient address: {to_addr!r}") from None
    if not address.username or not address.domain:
        raise ValueError(f"not a single recipient address: {to_addr!r}")
    return str(address)


# An unquoted local part of atom characters and dots in any order, as carriers allowed them.
_CARRIER_DOTS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def reply_subject(original: str, case_id: str) -> str:
    """``Re: <original> [<CASE-ID>]`` with one "Re:" and one case tag, whatever the original had."""
    text = " ".join((original or "").split())  # no CR/LF, no runs of blanks
    tag = f"[{case_id}]"
    text = re.sub(re.escape(tag), " ", text, flags=re.IGNORECASE)
    text = " ".join(text.split())
    while (stripped := _REPLY_PREFIX.sub("", text).strip()) != text:
        text = stripped
    return f"Re: {text} {tag}" if text else f"Re: {tag}"


def new_message_id(case_id: str, domain: str) -> str:
    """A fresh, bare Message-ID on our own domain, naming the case for people reading headers."""
    local = re.sub(r"[^A-Za-z0-9-]", "", case_id).lower() or "reply"
    return f"{local}.{secrets.token_hex(10)}@{domain.lower()}"


def render_template(
    rules_dir: Path, template: str, context: Mapping[str, object], *, folder: str = "templates"
) -> str:
    """Render ``<rules_dir>/<folder>/<template>.j2``; blank-line runs are folded, lines trimmed.
    ``folder`` is ``templates/staff`` for the secretariat's own templates."""
    if not _TEMPLATE_NAME.match(template):
        raise ReplyTemplateError(f"not a reply template name: {template!r}")
    secret = [key for key in context if "password" in key.lower()]
    if secret:
        raise ValueError(f"a reply never carries a password: remove {', '.join(secret)} from the context")
    env = template_environment(str(Path(rules_dir) / folder))
    try:
        text = env.get_template(f"{template}.j2").render(**context)
    except jinja2.TemplateNotFound as exc:
        raise ReplyTemplateError(f"reply template {exc.name} not found under {rules_dir}/{folder}") from None
    except jinja2.TemplateError as exc:
        raise ReplyTemplateError(f"reply template {folder}/{template}.j2: {exc}") from None
    return _tidy(text)


def to_email_message(reply: OutboxReply, from_addr: str, *, date: datetime | None = None) -> EmailMessage:
    """The e-mail for an outbox reply: threaded, UTF-8 body; an automatic reply is marked as one
    (RFC 3834), a reply staff wrote (``author``) is a person's mail and may have Cc recipients."""
    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = recipient_address(reply.to_addr)
    if reply.cc:
        msg["Cc"] = ", ".join(recipient_address(a) for a in cc_addresses(reply.cc))
    msg["Subject"] = reply.subject
    msg["Date"] = format_datetime((date or datetime.now(JST)).astimezone(JST))
    msg["Message-ID"] = f"<{reply.message_id}>"
    if reply.in_reply_to:
        msg["In-Reply-To"] = f"<{reply.in_reply_to}>"
    refs = _bare_ids(reply.references)
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    if not reply.author:
        # RFC 3834: robots must not answer this; mail of no case (the staff digest) answers nothing
        msg["Auto-Submitted"] = "auto-replied" if reply.case_id else "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"  # the same request to Microsoft Exchange / Outlook
    msg.set_content(reply.body, charset="utf-8", cte="base64")  # 7-bit safe through any relay
    return msg


def message_for(config: Config, reply: OutboxReply, from_addr: str) -> EmailMessage:
    """The e-mail to send: the one built with its files when the reply was written (a staff reply,
    kept in the archive), else built now."""
    if reply.raw_sha256:
        parsed = message_from_bytes(
            Archive(config.storage.archive_dir).load(reply.raw_sha256), policy=default
        )
        assert isinstance(parsed, EmailMessage)
        return parsed
    return to_email_message(reply, from_addr)


def recipients_of(reply: OutboxReply) -> list[str]:
    """Whom the SMTP server delivers a reply to: To, then Cc."""
    return [reply.to_addr, *cc_addresses(reply.cc)]


def cc_addresses(cc: str) -> list[str]:
    """The Cc recipients of a reply, as kept in ``OutboxReply.cc`` (comma-separated)."""
    return [a.strip() for a in cc.split(",") if a.strip()]


def _domain_of(address: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an e-mail address: {address!r}")
    return domain


def _bare_ids(value: str | Iterable[str] | None) -> list[str]:
    """Message-IDs without brackets, in order, once each; anything not printable ASCII is dropped."""
    if not value:
        return []
    tokens = [value] if isinstance(value, str) else list(value)
    found: list[str] = []
    for token in tokens:
        parts = _ANGLED.findall(token) or token.split()
        for part in parts:
            part = part.strip("<>")
            if part and part.isascii() and part.isprintable() and part not in found:
                found.append(part)
    return found


def _trim(ids: list[str]) -> list[str]:
    return ids if len(ids) <= MAX_REFERENCES else [ids[0], *ids[-(MAX_REFERENCES - 1) :]]


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept) + "\n"


@lru_cache(maxsize=8)
def template_environment(folder: str) -> jinja2.Environment:
    """The Jinja2 environment of one folder of reply templates: strict, plain text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder, encoding="utf-8"),  # re-reads a template staff edited
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text mail, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["jdate"] = format_jdate
    return env
