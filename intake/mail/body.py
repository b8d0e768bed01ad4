"""The text of a message: its text parts in order, text/plain preferred over the HTML alternative.
The text of an attached message (message/rfc822) is collected apart from the sender's own
(:mod:`intake.mail.parse`): it is evidence, never the sender's words."""

from __future__ import annotations

import re
from typing import NamedTuple

from intake.mail.decode import decode_text
from intake.mail.html import html_to_text
from intake.mail.structure import Node

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_FORWARD_SUFFIXES = (".eml", ".msg")
_FORWARD_TYPES = frozenset({"message/rfc822", "message/global", "application/vnd.ms-outlook"})


class _Piece(NamedTuple):
    alternative: int | None
    kind: str  # "plain" or "html"
    text: str


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def is_forward_file(filename: str | None, content_type: str) -> bool:
    """Whether an attachment is a whole message (an .eml / Outlook .msg forwarded as attachment)."""
    if content_type in _FORWARD_TYPES:
        return True
    return filename is not None and filename.lower().endswith(_FORWARD_SUFFIXES)


class BodyCollector:
    """Collects text parts as the walk meets them and joins them at the end."""

    def __init__(self) -> None:
        self._pieces: list[_Piece] = []

    def add_part(self, node: Node, ctype: str, payload: bytes) -> str | None:
        """Add a text/plain or text/html part; returns a note when its charset label was wrong."""
        charset = node.part.get_content_charset()
        if charset is None and ctype == "text/html":
            match = _META_CHARSET.search(payload, 0, 4096)
            charset = match.group(1).decode("ascii") if match else None
        decoded = decode_text(payload, charset)
        text = _newlines(decoded.text)
        if ctype == "text/html":
            text = html_to_text(text)
        self._pieces.append(_Piece(node.alternative, "html" if ctype == "text/html" else "plain", text))
        if decoded.clean:
            return None
        label = f"labelled {charset!r}" if charset else "without a charset label"
        return f"text {label} was decoded as {decoded.codec}"

    def text(self) -> str:
        """All collected text; an HTML part is dropped when its alternative has a text/plain part."""
        with_plain = {p.alternative for p in self._pieces if p.kind == "plain" and p.text.strip()}
        kept = [
            p.text.strip()
            for p in self._pieces
            if p.text.strip()
            and not (p.kind == "html" and p.alternative is not None and p.alternative in with_plain)
        ]
        return "\n\n".join(kept)
