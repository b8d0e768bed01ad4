"""``parse_message``: raw RFC 5322 bytes in, a :class:`ParsedMessage` out.

The stdlib parser runs with a compat32 policy (it never raises on broken mail and records what it
had to repair as defects); header values are read raw and decoded by :mod:`intake.mail.decode`.
Limits are checked on the raw bytes and then on the MIME tree before any payload is decoded.
"""

from __future__ import annotations

import codecs
import email
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime

from intake import budget
from intake.errors import MessageError
from intake.mail.body import BodyCollector, forward_banner, is_forward_file
from intake.mail.decode import decode_header_value
from intake.mail.filenames import attachment_filename, decode_param
from intake.mail.structure import FORWARD_TYPES, Limits, Node, check_raw, depth_error, over_size, walk

__all__ = ["Limits", "ParsedAttachment", "ParsedMessage", "parse_message"]

_BOM = codecs.BOM_UTF8
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_BODY_TYPES = frozenset({"text/plain", "text/html"})


class _RawHeaders(Compat32):
    """compat32, except that header values are handed back exactly as parsed (8-bit bytes as
    surrogate escapes) instead of being replaced by U+FFFD, so raw 8-bit names can be decoded."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_POLICY = _RawHeaders()


@dataclass(frozen=True)
class ParsedAttachment:
    index: int  # position in msg.walk() order of the top message
    filename: str | None  # decoded, path components stripped; None if the part has no name
    content_type: str  # lower-case
    payload: bytes  # transfer-decoded bytes (b"" when rejected)
    size: int  # size of the decoded payload (or the estimate when rejected)
    forwarded: bool  # found inside a message/rfc822 part
    rejected: str | None  # plain English reason when over a limit


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_addr: str
    from_name: str
    to_addrs: tuple[str, ...]
    date: datetime | None
    body_text: str
    attachments: tuple[ParsedAttachment, ...]
    forwarded: bool
    headers: tuple[tuple[str, str], ...]
    content_type: str
    report_type: str | None
    defects: tuple[str, ...]

    def header(self, name: str) -> str | None:
        """The first decoded value of header ``name`` (case-insensitive), or None."""
        key = name.lower()
        for header_name, value in self.headers:
            if header_name == key:
                return value
        return None


def parse_message(raw: bytes, *, limits: Limits = Limits()) -> ParsedMessage:
    """Parse one message; raises LimitExceeded over a limit, MessageError when it is not mail."""
    if not isinstance(raw, bytes):
        raw = bytes(raw)
    check_raw(raw, limits)
    defects: list[str] = []
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
        defects.append("byte order mark before the headers")
    if not raw.strip():
        raise MessageError("message is empty")
    msg = _parse(raw, limits)
    if not msg.keys():
        raise MessageError("not an e-mail message: no header lines were found")
    nodes = walk(msg, limits)
    body = BodyCollector()
    attachments: list[ParsedAttachment] = []
    for node in nodes:
        budget.check("decoding the message's parts")
        try:
            _visit(node, limits, body, attachments, defects)
        except Exception as exc:  # a broken part must not lose the message
            defects.append(_located(node.index, f"could not be read ({type(exc).__name__}: {exc})"))
    defects = _stdlib_defects(nodes) + defects
    return _assemble(msg, nodes, body, attachments, defects)


def _parse(raw: bytes, limits: Limits) -> Message:
    try:
        return email.message_from_bytes(raw, policy=_POLICY)
    except RecursionError as exc:
        raise depth_error(limits) from exc
    except Exception as exc:  # the stdlib parser should never raise; say so if it does
        raise MessageError(f"message could not be parsed ({type(exc).__name__}: {exc})") from exc


def _visit(
    node: Node, limits: Limits, body: BodyCollector, out: list[ParsedAttachment], defects: list[str]
) -> None:
    if node.opaque:
        return
    part = node.part
    if node.index and node.parent_type in FORWARD_TYPES:
        body.add_banner(forward_banner(part))
    ctype = part.get_content_type()
    if part.is_multipart() and not _is_opaque_container(ctype):
        return
    filename = attachment_filename(part)
    if ctype.startswith("multipart/"):  # no usable boundary: the parser kept the whole body as text
        ctype = "text/plain"
    if ctype in _BODY_TYPES and filename is None and part.get_content_disposition() != "attachment":
        note = body.add_part(node, ctype, _payload(part))
        if note:
            defects.append(_located(node.index, note))
        return
    out.append(_attachment(node, ctype, filename, limits))


def _is_opaque_container(ctype: str) -> bool:
    """message/* parts the parser splits up although they are not a whole message (delivery-status)."""
    return ctype.startswith("message/") and ctype not in FORWARD_TYPES


def _payload(part: Message) -> bytes:
    if part.is_multipart():  # an opaque message/* part: keep its text as it was
        return b"".join(child.as_bytes() for child in part.get_payload() if isinstance(child, Message))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _base64_size(part: Message) -> int | None:
    """The decoded size of a base64 part, computed from the encoded text without decoding it."""
    encoded = part.get_payload()
    if (
        not isinstance(encoded, str)
        or str(part.get("content-transfer-encoding", "")).strip().lower() != "base64"
    ):
        return None
    return (len(encoded) - encoded.count("\n") - encoded.count("\r") - encoded.count("=")) * 3 // 4


def _attachment(node: Node, ctype: str, filename: str | None, limits: Limits) -> ParsedAttachment:
    limit = limits.max_attachment_bytes
    estimate = None if node.part.is_multipart() else _base64_size(node.part)
    if estimate is not None and estimate > limit:  # refused without decoding
        reason = over_size("attachment", estimate, limit, "max_attachment_mb")
        return ParsedAttachment(node.index, filename, ctype, b"", estimate, node.forwarded, reason)
    payload = _payload(node.part)
    size = len(payload)
    if size > limit:
        reason = over_size("attachment", size, limit, "max_attachment_mb")
        return ParsedAttachment(node.index, filename, ctype, b"", size, node.forwarded, reason)
    return ParsedAttachment(node.index, filename, ctype, payload, size, node.forwarded, None)


def _located(index: int, text: str) -> str:
    return text if index == 0 else f"part {index}: {text}"


def _defect_words(defect: object) -> str:
    name = type(defect).__name__.removesuffix("Defect")
    return _CAMEL.sub(" ", name).lower()


def _stdlib_defects(nodes: list[Node]) -> list[str]:
    words: list[str] = []
    for node in nodes:
        for defect in getattr(node.part, "defects", ()):
            words.append(_located(node.index, _defect_words(defect)))
    return words


def _message_ids(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    found = _MESSAGE_ID.findall(value)
    return tuple(found) if found else tuple(token for token in value.split() if "@" in token)


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("date header could not be read")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses(values)
    except (TypeError, ValueError, IndexError):
        return []
    return [(name, addr.strip().lower()) for name, addr in pairs if addr and addr.strip()]


def _assemble(
    msg: Message,
    nodes: list[Node],
    body: BodyCollector,
    attachments: list[ParsedAttachment],
    defects: list[str],
) -> ParsedMessage:
    headers = tuple((name.lower(), decode_header_value(value)) for name, value in msg.items())
    sender = _addresses(msg.get_all("from", [])[:1])
    from_name, from_addr = (decode_header_value(sender[0][0]), sender[0][1]) if sender else ("", "")
    message_id = _message_ids(msg.get("message-id"))
    ctype = msg.get_content_type()
    report_type = msg.get_param("report-type") if ctype == "multipart/report" else None
    forwarded = any(n.part.get_content_type() in FORWARD_TYPES for n in nodes) or any(
        is_forward_file(a.filename, a.content_type) for a in attachments
    )
    return ParsedMessage(
        message_id=message_id[0] if message_id else None,
        in_reply_to=_message_ids(msg.get("in-reply-to")),
        references=_message_ids(msg.get("references")),
        subject=decode_header_value(msg.get("subject")),
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=tuple(addr for _name, addr in _addresses(msg.get_all("to", []))),
        date=_date(msg.get("date"), defects),
        body_text=body.text(),
        attachments=tuple(attachments),
        forwarded=forwarded,
        headers=headers,
        content_type=ctype,
        report_type=decode_param(report_type).lower() if report_type else None,
        defects=tuple(dict.fromkeys(defects)),
    )
