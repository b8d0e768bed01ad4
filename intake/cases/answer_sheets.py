"""A reporter's own answer document (回答書): answers to 確認①②③ typed into an attached Word or
text file instead of the body, read like the body's new text.

An attachment is a 回答書 when the sender attached it themselves (not inside a forwarded message),
it is a ``.docx`` or ``.txt`` that opens as it is (an encrypted file is not one: it is a form
waiting for its password), it is not one of the Council's forms (``rules/forms``), and it names at
least one of our items with 確認N or the item's name (「確認①：不要」, 「秘密指定の有無 | 不要」) —
a report's own numbered steps (「①リンクをクリック」) do not make a 回答書. Its text comes first
in the text read for answers (the body's quoted history must not swallow it), within
``[limits] max_text_chars`` like the body.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from intake import budget
from intake.checks.answers.mailtext import lines_of
from intake.checks.answers.marks import marks_in
from intake.checks.rules import load_rules
from intake.config import Config
from intake.documents import ContainerLimits
from intake.errors import DocumentError, LimitExceeded
from intake.forms.docxml import Block, Paragraph
from intake.forms.extract import identify, read_docx_body
from intake.mail import ParsedAttachment, ParsedMessage

_TEXT_ENCODINGS = ("utf-8-sig", "cp932", "iso-2022-jp", "euc-jp")  # what Japanese Windows and mailers write
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def text_for_answers(parsed: ParsedMessage, config: Config, *, forms: Collection[int] = ()) -> str:
    """The text a message's answers are read from: its 回答書 (if any), then its body. ``forms``:
    the attachments (by part index) already read as one of the Council's forms, none of which is
    a 回答書 (they are not opened again)."""
    attachments = [part for part in parsed.attachments if part.index not in forms]
    sheets = answer_sheets(attachments, config=config)
    return "\n\n".join([*sheets, parsed.body_text]) if sheets else parsed.body_text


def answer_sheets(attachments: Iterable[ParsedAttachment], *, config: Config) -> list[str]:
    """The texts of the 回答書 among a message's attachments, in order."""
    room = config.limits.max_text_chars
    found = []
    for part in attachments:
        if room <= 0:
            break
        budget.check("reading an answer document")
        text = _sheet_text(part, config)
        if text and _names_our_items(text):
            found.append(text[:room])
            room -= len(found[-1])
    return found


def _sheet_text(part: ParsedAttachment, config: Config) -> str | None:
    if part.forwarded or part.rejected or not part.payload:
        return None
    name = (part.filename or "").lower()
    if name.endswith(".txt") or (not name and part.content_type == "text/plain"):
        return _plain_text(part.payload[: config.limits.max_text_chars * 4])
    if name.endswith(".docx") or part.content_type == _DOCX:
        return _docx_text(part.payload, config)
    return None


def _plain_text(data: bytes) -> str | None:
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _docx_text(data: bytes, config: Config) -> str | None:
    """A plain .docx's text, a table row on one line (「確認① | 不要」); None when it does not open
    (an encrypted form, a broken file, over ``[limits]``) or is one of the Council's forms."""
    try:
        body = read_docx_body(data, limits=ContainerLimits.from_config(config.limits))
    except (DocumentError, LimitExceeded, RecursionError):
        return None
    if identify(body.blocks, load_rules(config.rules_path).specs) is not None:
        return None  # a Council form is read as a form, never as answers
    return "\n".join(_lines(body.blocks))


def _lines(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out += block.text.splitlines() or [""]
            continue
        for row in block.rows:
            out.append(" | ".join(" ".join(cell.text.split()) for cell in row.cells))
            for cell in row.cells:
                out += _lines(list(cell.tables))
    return out


def _names_our_items(text: str) -> bool:
    """Some line starts with 確認N or an item's name — not a number alone."""
    return any(
        mark.item is not None and not mark.weak
        for line in lines_of(text)
        if line.depth == 0
        for mark in marks_in(line.text)[:1]
    )
