"""Limits, and the walk over a message's MIME tree that enforces them before any payload is decoded.

The walk visits parts in exactly the order of ``Message.walk()`` (so an attachment's index finds
the same part again from the raw bytes), but with an explicit stack: a hostile, endlessly nested
message can neither exhaust the Python stack nor make us decode anything before it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from email.message import Message
from typing import TYPE_CHECKING

from intake.errors import LimitExceeded

if TYPE_CHECKING:
    from intake.config import LimitsConfig

MIB = 1024 * 1024

#: message/* types whose payload is a whole message: their parts count as forwarded.
FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})

_BOUNDARY_EVENT = re.compile(
    rb"""\bboundary[ \t]*=[ \t]*(?:"([^"\r\n]+)"|([^\s;"]+))  # a multipart declares its boundary
    | ^--([^\r\n]+?)[ \t]*\r?$  # a delimiter line""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


@dataclass(frozen=True)
class Limits:
    """What a single message may cost; each key is named in the error when passed."""

    max_message_bytes: int = 30 * MIB
    max_attachment_bytes: int = 20 * MIB
    max_parts: int = 200
    max_depth: int = 20
    max_header_line_bytes: int = 64 * 1024

    @classmethod
    def from_config(cls, limits: LimitsConfig) -> Limits:
        """The ``[limits]`` of the configuration."""
        return cls(
            max_message_bytes=int(limits.max_message_mb * MIB),
            max_attachment_bytes=int(limits.max_attachment_mb * MIB),
            max_parts=limits.max_parts,
            max_depth=limits.max_depth,
            max_header_line_bytes=int(limits.max_header_line_kb * 1024),
        )


@dataclass(frozen=True, slots=True)
class Node:
    """One MIME part as the walk meets it."""

    index: int  # position in Message.walk() order
    part: Message
    depth: int  # 0 for the top message
    forwarded: bool  # inside a message/rfc822 part
    opaque: bool  # inside a message/* part that is not a whole message (delivery-status, partial, …)
    alternative: int | None  # index of the nearest multipart/alternative ancestor
    parent_type: str | None
    forward_root: int | None = None  # index of the nearest message/rfc822 ancestor (an attached message)


def format_size(size: int) -> str:
    """A byte count for people: ``45.0 MB``, ``12.3 KB`` or ``17 bytes``."""
    if size >= MIB:
        return f"{size / MIB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def format_limit(size: int) -> str:
    """A limit for people: whole megabytes without decimals (``30 MB``)."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MB"
    return format_size(size)


def over_size(what: str, size: int, limit: int, key: str) -> str:
    """The plain English reason for a size over its limit."""
    return f"{what} is {format_size(size)}, over the {format_limit(limit)} limit (limits.{key})"


def depth_error(limits: Limits) -> LimitExceeded:
    """The error for a message nested deeper than ``limits.max_depth``."""
    return LimitExceeded(
        f"message nests MIME parts more than {limits.max_depth} levels deep, over the limit (limits.max_depth)"
    )


def check_raw(raw: bytes, limits: Limits) -> None:
    """Refuse, before parsing, a message over the size limit, with a header line longer than any
    mail program writes, or with multipart nesting that is obviously deeper than allowed (the
    stdlib parser's cost grows with the square of that depth)."""
    if len(raw) > limits.max_message_bytes:
        raise LimitExceeded(over_size("message", len(raw), limits.max_message_bytes, "max_message_mb"))
    _check_header_lines(raw, limits.max_header_line_bytes)
    if (
        raw.lower().count(b"boundary") > limits.max_depth
        and _multipart_depth(raw, limits.max_depth) > limits.max_depth
    ):
        raise depth_error(limits)


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _check_header_lines(raw: bytes, limit: int) -> None:
    """RFC 5322 lines stop at 998 characters; a header line of ``limit`` bytes is hostile."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    if len(head) <= limit:
        return
    longest = max(len(line) for line in head.split(b"\n"))
    if longest > limit:
        raise LimitExceeded(over_size("a header line", longest, limit, "max_header_line_kb"))


def _multipart_depth(raw: bytes, cap: int) -> int:
    """Estimate the multipart nesting depth (stopping above ``cap``) from boundary declarations and
    delimiter lines: a delimiter of an open boundary ends every part opened inside it."""
    stack: list[bytes] = []
    for match in _BOUNDARY_EVENT.finditer(raw):
        declared, delimiter = match.group(1) or match.group(2), match.group(3)
        if declared:
            stack.append(declared)
            if len(stack) > cap:
                break
        elif delimiter in stack:
            del stack[stack.index(delimiter) + 1 :]
        elif delimiter.endswith(b"--") and delimiter[:-2] in stack:
            del stack[stack.index(delimiter[:-2]) :]
    return len(stack)


def walk(msg: Message, limits: Limits) -> list[Node]:
    """Every part of ``msg`` in ``Message.walk()`` order; raises LimitExceeded on too many parts or
    too deep a nesting, before the caller decodes anything."""
    nodes: list[Node] = []
    for node in _iterate(msg):
        if node.index >= limits.max_parts:
            raise LimitExceeded(
                f"message has more than {limits.max_parts} MIME parts, over the limit (limits.max_parts)"
            )
        if node.depth > limits.max_depth:
            raise depth_error(limits)
        nodes.append(node)
    return nodes


def _iterate(msg: Message) -> Iterator[Node]:
    stack = [Node(0, msg, 0, False, False, None, None)]
    index = 0
    while stack:
        node = replace(stack.pop(), index=index)
        index += 1
        yield node
        part = node.part
        if not part.is_multipart():
            continue
        ctype = part.get_content_type()
        children = [child for child in part.get_payload() if isinstance(child, Message)]
        forwarded = node.forwarded or ctype in FORWARD_TYPES
        root = node.index if ctype in FORWARD_TYPES else node.forward_root
        opaque = node.opaque or (ctype.startswith("message/") and ctype not in FORWARD_TYPES)
        alternative = node.index if ctype == "multipart/alternative" else node.alternative
        depth = node.depth + 1
        for child in reversed(children):
            stack.append(Node(0, child, depth, forwarded, opaque, alternative, ctype, root))


_PROTECTION = re.compile(
    rb"application/pgp-encrypted|multipart/signed|pkcs7-mime|-----BEGIN PGP |\.pgp|\.gpg", re.I
)


def may_be_protected(raw: bytes) -> bool:
    """Whether ``raw`` may be signed or encrypted (:func:`intake.mail.crypto.open_protected` opens
    it); when not, it is read as it is."""
    return _PROTECTION.search(raw) is not None
