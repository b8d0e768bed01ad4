"""``parse_message``: raw RFC 5322 bytes in, a :class:`ParsedMessage` out.

The stdlib parser runs with a compat32 policy (it never raises on broken mail and records what it
had to repair as defects); header values are read raw and decoded by :mod:`intake.mail.decode`.
Limits are checked on the raw bytes and then on the MIME tree before any payload is decoded.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import email
import quopri
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime

from intake import budget
from intake.errors import LimitExceeded, MessageError
from intake.mail.body import BodyCollector, is_forward_file
from intake.mail.containers import AttachedMessage, container_kind, inner_index, open_container
from intake.mail.decode import decode_header_value
from intake.mail.filenames import attachment_filename, decode_param
from intake.mail.structure import FORWARD_TYPES, Limits, Node, check_raw, depth_error, over_size, walk

__all__ = ["AttachedMessage", "Limits", "ParsedAttachment", "ParsedMessage", "parse_message"]

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
    problem: str | None = None  # a container (winmail.dat, .msg, .eml) that could not be opened: why
    container: str | None = None  # the container it was found in (its file name), None for a MIME part


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
    #: whole messages sent as attachments (message/rfc822, .eml, Outlook .msg): evidence to show,
    #: never the sender's own words: their text is not in ``body_text``
    attached_messages: tuple[AttachedMessage, ...] = ()

    def header(self, name: str) -> str | None:
        """The first decoded value of header ``name`` (case-insensitive), or None."""
        key = name.lower()
        for header_name, value in self.headers:
            if header_name == key:
                return value
        return None


def parse_message(raw: bytes, *, limits: Limits = Limits(), _depth: int = 0) -> ParsedMessage:
    """Parse one message; raises LimitExceeded over a limit, MessageError when it is not mail.
    Files inside Outlook containers and attached .eml files are attachments too (numbered by
    :func:`~intake.mail.containers.inner_index`); the messages attached are ``attached_messages``."""
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
    bodies: dict[int | None, BodyCollector] = {None: BodyCollector()}
    attachments: list[ParsedAttachment] = []
    for node in nodes:
        budget.check("decoding the message's parts")
        body = bodies.setdefault(node.forward_root, BodyCollector())
        try:
            _visit(node, limits, body, attachments, defects)
        except Exception as exc:  # a broken part must not lose the message
            defects.append(_located(node.index, f"could not be read ({type(exc).__name__}: {exc})"))
    attached = _mime_attached(nodes, bodies, attachments)
    attachments, opened = _open_containers(attachments, limits, defects, _depth)
    defects = _stdlib_defects(nodes) + defects
    parsed = _assemble(msg, nodes, bodies[None], attachments, defects)
    return replace(parsed, attached_messages=tuple(sorted([*attached, *opened], key=lambda m: m.index)))


def _mime_attached(
    nodes: list[Node], bodies: dict[int | None, BodyCollector], attachments: list[ParsedAttachment]
) -> list[AttachedMessage]:
    """The message/rfc822 parts, as attached messages with their own text and files."""
    root_of = {node.index: node.forward_root for node in nodes}
    found = []
    for node in nodes:
        if node.opaque or node.part.get_content_type() not in FORWARD_TYPES:
            continue
        inner = next((c for c in node.part.get_payload() if isinstance(c, Message)), None)
        if not isinstance(node.part.get_payload(), list) or inner is None:
            continue
        if _encoded(node.part):  # base64 around a whole message: read as an .eml file instead
            attachments.append(_encoded_message(node, inner))
            continue
        names = tuple(a.filename or "(file)" for a in attachments if root_of.get(a.index) == node.index)
        found.append(_attached(inner, node.index, None, bodies.get(node.index), names))
    return found


def _encoded(part: Message) -> bool:
    return str(part.get("content-transfer-encoding", "")).strip().lower() in ("base64", "quoted-printable")


def _encoded_message(node: Node, inner: Message) -> ParsedAttachment:
    """A message/rfc822 part sent base64- or QP-encoded (against RFC 2046, yet mailers do): the
    parser took the encoded text for a message; decoded, it is read like an attached .eml."""
    encoding = str(node.part.get("content-transfer-encoding")).strip().lower()
    text = inner.as_bytes()
    data = base64.b64decode(text, validate=False) if encoding == "base64" else quopri.decodestring(text)
    name = attachment_filename(node.part)
    return ParsedAttachment(node.index, name, "message/rfc822", data, len(data), node.forwarded, None)


def _attached(
    inner: Message, index: int, filename: str | None, body: BodyCollector | None, names: tuple[str, ...]
) -> AttachedMessage:
    date = None
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        date = parsedate_to_datetime(str(inner.get("date"))) if inner.get("date") else None
    return AttachedMessage(
        index=index,
        filename=filename,
        from_text=decode_header_value(inner.get("from")),
        date=date,
        subject=decode_header_value(inner.get("subject")),
        body=body.text() if body else "",
        attachments=names,
    )


def _open_containers(
    attachments: list[ParsedAttachment], limits: Limits, defects: list[str], depth: int
) -> tuple[list[ParsedAttachment], list[AttachedMessage]]:
    """Every attachment, followed by the files found inside it when it is a container."""
    out: list[ParsedAttachment] = []
    messages: list[AttachedMessage] = []
    for part in attachments:
        kind = None if part.rejected else container_kind(part.filename, part.content_type, part.payload)
        if kind is None and not part.rejected and _is_eml(part):
            kind = "eml"
        if kind is None:
            out.append(part)
            continue
        budget.check("opening a container")
        if kind == "eml":
            files, found, problem = _open_eml(part, limits, depth)
        else:
            opened = open_container(
                kind, part.payload, index=part.index, filename=part.filename, limits=limits
            )
            files = [
                _inner(part, f.index, f.filename, f.payload, f.size, f.rejected, kind) for f in opened.files
            ]
            found, problem = list(opened.messages), opened.problem
        if problem:
            defects.append(_located(part.index, problem))
        out.append(replace(part, problem=problem))
        out.extend(files)
        messages.extend(found)
    return out, messages


def _inner(
    part: ParsedAttachment,
    index: int,
    filename: str | None,
    payload: bytes,
    size: int,
    rejected: str | None,
    kind: str,
) -> ParsedAttachment:
    """A file found inside the container ``part``: a TNEF file's files are the message's own,
    an attached message's files are forwarded."""
    forwarded = part.forwarded or kind != "tnef"
    container = part.filename or f"attachment {part.index}"
    ctype = "application/octet-stream"
    return ParsedAttachment(index, filename, ctype, payload, size, forwarded, rejected, container=container)


def _is_eml(part: ParsedAttachment) -> bool:
    return part.content_type in FORWARD_TYPES or (part.filename or "").lower().endswith(".eml")


def _open_eml(
    part: ParsedAttachment, limits: Limits, depth: int
) -> tuple[list[ParsedAttachment], list[AttachedMessage], str | None]:
    """An .eml sent as a file: read as a message of its own (nested no deeper than max_depth)."""
    if depth >= limits.max_depth:
        return [], [], f"attached messages nest more than {limits.max_depth} deep (limits.max_depth)"
    try:
        inner = parse_message(part.payload, limits=limits, _depth=depth + 1)
    except (MessageError, LimitExceeded) as exc:
        return [], [], f"the attached message could not be read ({exc})"
    files = [
        _inner(part, inner_index(part.index, n), a.filename, a.payload, a.size, a.rejected, "eml")
        for n, a in enumerate(inner.attachments, start=1)
    ]
    names = tuple(a.filename or "(file)" for a in inner.attachments)
    own = AttachedMessage(
        index=part.index,
        filename=part.filename,
        from_text=" ".join(
            x for x in (inner.from_name, f"<{inner.from_addr}>" if inner.from_addr else "") if x
        ),
        date=inner.date,
        subject=inner.subject,
        body=inner.body_text,
        attachments=names,
    )
    return files, [own], None


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
