"""What a delivery report says, and which message it reports on.

A bounce in the standard form (RFC 3464: ``multipart/report; report-type=delivery-status``) has a
``message/delivery-status`` part — per recipient an ``Action`` (``failed``, ``delayed`` …), a
``Status`` (RFC 3463, ``5.1.1``) and usually a ``Diagnostic-Code`` (the server's own words) — and
the original's headers in a ``text/rfc822-headers`` or ``message/rfc822`` part. Many servers (qmail,
older Exim and Sendmail, Japanese carriers, Exchange's text NDRs) write no such parts and quote the
original in the body instead ("--- Below this line is a copy of the message."), with the failure in
prose. :func:`read_delivery_report` reads both: the status and the server's words when it finds them,
and every ``Message-ID`` of a quoted original, by which the report is tied to the mail it concerns.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<!\d)(5[0-5]\d)[ -]")
_PERMANENT_PROSE = re.compile(
    r"wasn't able to deliver|could not be delivered|undeliverable|permanent(?:ly)? (?:error|fail)"
    r"|delivery (?:has )?failed|user unknown|no such user|does not exist|mailbox unavailable"
    r"|配信できません|届けることができません|宛先不明|送信できませんでした",
    re.IGNORECASE,
)
_REPORT_PARTS = ("message/delivery-status", "message/global-delivery-status")
_ORIGINAL_HEADERS = ("text/rfc822-headers", "text/global-headers")
_ORIGINALS = ("message/rfc822", "message/global")
_MAX_TEXT = 256 * 1024  # a report's own words are short; a quoted original may not be


@dataclass(frozen=True)
class DeliveryReport:
    """What a report says about one message: ``failed`` — not delivered for good (a delay is not);
    ``status`` — RFC 3463 ``5.1.1``; ``diagnostic`` — the server's words; ``recipient`` — the address
    that failed; ``original_ids`` — Message-IDs of the reported message (without ``<>``)."""

    failed: bool
    status: str | None
    diagnostic: str | None
    recipient: str | None
    original_ids: tuple[str, ...]

    def summary(self) -> str:
        """``5.1.1 smtp; 550 5.1.1 <x@example.com>: user unknown`` (what staff read)."""
        return " ".join(part for part in (self.status, self.diagnostic) if part) or "delivery failed"


def read_delivery_report(raw: bytes) -> DeliveryReport | None:
    """The report in ``raw``, or None when it holds none (no status part, no quoted original, no
    failure in its words)."""
    message = email.message_from_bytes(raw, policy=compat32)
    fields, ids, texts = _walk(message)
    body = "\n".join(texts)
    ids += [i.strip("<>") for i in _MESSAGE_ID_LINE.findall(body)]
    status = fields.get("status") or _first_status(body)
    diagnostic = fields.get("diagnostic-code") or _prose_diagnostic(body)
    if not (fields or ids or status):
        return None
    action = (fields.get("action") or "").lower()
    failed = action == "failed" or (
        action not in ("delayed", "delivered", "relayed", "expanded")
        and ((status or "").startswith("5") or bool(_PERMANENT_PROSE.search(body)))
    )
    recipient = _address(fields.get("final-recipient") or fields.get("original-recipient"))
    return DeliveryReport(failed, status, _clean(diagnostic), recipient, tuple(dict.fromkeys(ids)))


def _walk(message: Message) -> tuple[dict[str, str], list[str], list[str]]:
    """The failed recipient's fields, the originals' Message-IDs, and the report's own texts."""
    fields: dict[str, str] = {}
    ids: list[str] = []
    texts: list[str] = []
    inside: set[int] = set()  # parts of a returned original: its words are not the report's
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in _REPORT_PARTS and not fields:
            fields = _status_fields(part)
        elif ctype in _ORIGINAL_HEADERS:
            ids += _ids_of(email.message_from_string(_text(part), policy=compat32))
        elif ctype in _ORIGINALS and part.is_multipart():
            originals = [sub for sub in part.get_payload() if isinstance(sub, Message)]
            ids += [i for sub in originals for i in _ids_of(sub)]
            inside |= {id(sub) for original in originals for sub in original.walk()}
        elif ctype == "text/plain" and not part.is_multipart() and id(part) not in inside:
            texts.append(_text(part))
    return fields, ids, texts


def _status_fields(part: Message) -> dict[str, str]:
    """The per-recipient block that failed (else the first one), field names lower-cased."""
    blocks = [b for b in part.get_payload() if isinstance(b, Message)] if part.is_multipart() else []
    recipients = [b for b in blocks[1:] if b.get("final-recipient") or b.get("action")] or blocks[1:]
    chosen = next((b for b in recipients if str(b.get("action", "")).lower() == "failed"), None)
    chosen = chosen or (recipients[0] if recipients else None)
    if chosen is None:
        return {}
    return {name.lower(): " ".join(str(value).split()) for name, value in chosen.items()}


def _ids_of(original: Message) -> list[str]:
    value = original.get("message-id")
    return [m.strip("<>") for m in re.findall(r"<[^<>\s]+>", str(value))] if value else []


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload()).encode("utf-8", "replace")
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload[:_MAX_TEXT].decode(charset, "replace")
    except LookupError:
        return payload[:_MAX_TEXT].decode("utf-8", "replace")


def _first_status(text: str) -> str | None:
    found = _STATUS.search(text)
    return ".".join(found.groups()) if found else None


def _prose_diagnostic(text: str) -> str | None:
    """The server's answer quoted in the prose: the first line with a 5xx reply code."""
    for line in text.splitlines():
        if _REPLY_CODE.search(line):
            return line.strip()
    return None


def _address(value: str | None) -> str | None:
    """``rfc822; taro@example.com`` → ``taro@example.com``."""
    if not value:
        return None
    return value.split(";", 1)[-1].strip().strip("<>").lower() or None


def _clean(text: str | None) -> str | None:
    return " ".join(text.split())[:500] if text else None
