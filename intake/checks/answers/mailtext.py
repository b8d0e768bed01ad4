"""Reading a reply's text as its sender wrote it: quoting, reply headers, sentences.

Every line is NFKC-normalised (full-width ＞：（） become > : ( ); a circled number ① ❶ ➀ becomes
「(1)」, so it stays an item mark rather than a bare digit) and carries its segment from
:mod:`intake.mail.segments` — the sender's new text, a quote (of our mail, of someone named, of
nobody named), a forwarded message, a signature — and a ``depth``: 0 for new text, one per ``>``
plus one per reply or forward header above the line.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from intake import budget
from intake.mail.segments import NEW, SIGNATURE, split


@dataclass(frozen=True)
class Line:
    text: str  # NFKC, quote marks and surrounding spaces removed
    depth: int  # 0 = the sender's own text
    raw: str = ""  # as written (not NFKC), quote marks removed: what staff are shown
    kind: str = NEW  # the segment's kind (intake.mail.segments): new | quote | forward | signature
    origin: str = ""  # a quote's: ours | others | unknown


_QUOTE = re.compile(r"^\s*((?:>\s?)+)")
_RAW_QUOTE = re.compile(r"^\s*(?:[>＞]\s?)+")
_HINT = re.compile(r"\(\s*例[^()]*\)")  # 「（例：…）」: a template's example, not an answer
_SEPARATOR = re.compile(r"^[\s\-=_*~・━─＝―‐|:+]+$")  # also a table's 「|---|---|」


def _circled() -> dict[int, str]:
    """① → (1), ❶ ➀ ➊ ⓵ → (1) …: every circled digit or number of Unicode."""
    table = {}
    for code in [*range(0x2460, 0x2500), *range(0x2776, 0x2794), *range(0x3251, 0x32C0)]:
        char = chr(code)
        if "CIRCLED" in unicodedata.name(char, "") and unicodedata.numeric(char, -1) > 0:
            table[code] = f"({int(unicodedata.numeric(char))})"
    return table


_CIRCLED = _circled()


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text.translate(_CIRCLED))


_ADDRESS = re.compile(
    r"(?:https?|ftp)://[!-~]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w.@-])(?:[a-z0-9-]+\.)+[a-z]{2,}(?![\w-])",
    re.IGNORECASE | re.ASCII,
)


def mask_addresses(text: str) -> str:
    """Blank out e-mail addresses, URLs and host names: their letters are never words of an answer
    (「送信元アドレス：billing@invoice-check.example.com」 holds no request to *check* anything)."""
    return _ADDRESS.sub(" ", text)


def strip_hints(text: str) -> str:
    """Drop 「（例：…）」 examples, which quote the very answers the reader looks for."""
    return _HINT.sub("", text)


def is_separator(text: str) -> bool:
    """A line of rules and dashes only (「━━━━」, 「-----」)."""
    return bool(_SEPARATOR.match(text))


def lines_of(text: str, *, subject: str = "", markers: tuple[str, ...] = ()) -> list[Line]:
    """The lines of a mail text with their segment (:mod:`intake.mail.segments`) and quoting depth:
    0 for the sender's new text, one per ``>`` plus one per reply or forward header above."""
    written = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts = split(text, subject=subject, markers=markers)
    out: list[Line] = []
    for i, (line, kind) in enumerate(zip(written, parts.lines, strict=True)):
        if i % 512 == 0:
            budget.check("reading the text")
        content = nfkc(line)
        match = _QUOTE.match(content)
        content = (content[match.end() :] if match else content).strip()
        depth = 1 if kind.kind == SIGNATURE else kind.quotes + kind.headers
        origin = parts.segments[kind.segment].origin
        out.append(Line(content, depth, _RAW_QUOTE.sub("", line).strip(), kind.kind, origin))
    return out


def paragraphs(lines: list[Line], skip: set[int] | None = None) -> list[str]:
    """The sender's own text (depth 0) as paragraphs, hard-wrapped lines joined back (a
    「label：value」 line stays a paragraph of its own). Linear in the text: a paragraph's lines
    are collected and joined once, never copied line by line."""
    skip = skip or set()
    out: list[str] = []
    current: list[str] = []
    for i, line in enumerate(lines):
        if i % 512 == 0:
            budget.check("reading the text")
        if line.depth or i in skip or not line.text or is_separator(line.text):
            _close(current, out)
            continue
        text = strip_hints(line.text)
        if _FIELD_LINE.match(text):  # 「件名：【重要】アカウント確認のお願い」 stands alone
            _close(current, out)
            out.append(text)
            continue
        if _LIST_ITEM.match(text):  # 「(2) 被害：なし」 starts afresh
            _close(current, out)
        current.append(text)
    _close(current, out)
    return out


def _close(current: list[str], out: list[str]) -> None:
    """End the paragraph being collected (if any) and add it to ``out``."""
    if current:
        out.append(_joined(current))
        current.clear()


# A 「label：value」 line (送信元：…, 件名：…, TLP:AMBER): a record, never a sentence wrapped onto the
# next line, so it is not joined with its neighbours.
_FIELD_LINE = re.compile(r"^[^\s:、。,!?]{1,20}\s*:\s*\S")


_LIST_ITEM = re.compile(r"^(?:\(\d{1,2}\)|\d{1,2}[.)](?!\d)|[・■□◆◇●○▶►※*-]\s*)")


def _joined(parts: list[str]) -> str:
    """Join wrapped lines: no space between Japanese characters, one between words."""
    pieces: list[str] = []
    last = ""  # the last character joined so far
    for part in parts:
        if last and last.isascii() and part[:1].isascii():
            pieces.append(" ")
            last = " "
        pieces.append(part)
        last = part[-1:] or last
    return "".join(pieces)


_SENTENCE = re.compile(r"(?<=[。!?])|(?<=[.;])\s+")
_CLAUSE = re.compile(r"[、,]|(?<=が)\s|ですが|けれども|けれど|けど|\bbut\b", re.IGNORECASE)


def sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(paragraph) if s and s.strip()]


def clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(sentence) if c and c.strip()]
