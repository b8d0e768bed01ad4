"""``filename_format``: the file name asked for by Q3 ① and Q14 ①.

``yymmdd_協議会加入申込書（組織・団体名）.docx`` or ``yymmdd_事務従事者登録届（組織・団体名）.docx``:
yymmdd is the date of submission (西暦下2桁 = last two digits of the year, then month and day),
and must be a real date; the organisation stands in full-width brackets （ ）. Half-width brackets
are accepted with a warning (variant ``half_width_brackets``). Names are compared after NFKC, so a
full-width underscore or digits pass.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from intake.checks.attachments import current_word_files
from intake.checks.base import CheckContext, RuleFinding, check, join
from intake.checks.facts import AttachmentFacts, CaseFacts
from intake.checks.rules_data import RulesData

_SHAPE = re.compile(r"^(?P<date>\d{6})_(?P<doc>[^(]+)\((?P<org>.+)\)\.(?P<ext>[A-Za-z]+)$")
_EXPECTED = "yymmdd_{word}（組織・団体名）.docx"


def expected_name(document: str | None, data: RulesData) -> str:
    """The pattern to show the sender; both forms' when the document is not known."""
    docs = [document] if document is not None and document in data.documents else sorted(data.documents)
    return join([_EXPECTED.format(word=data.documents[d].file_word) for d in docs], " / ")


def filename_problem(att: AttachmentFacts, data: RulesData) -> str | None:
    """What is wrong with the name (plain English), or None when it follows the format."""
    name = unicodedata.normalize("NFKC", (att.filename or "").strip())
    match = _SHAPE.match(name)
    if not match:
        return "not of the form yymmdd_<form name>(<organisation>).docx"
    if not _real_date(match.group("date")):
        return f"{match.group('date')} is not a real date (yymmdd)"
    words = {d: info.file_word for d, info in data.documents.items()}
    wanted = [words[att.document]] if att.document in words else list(words.values())
    if match.group("doc") not in wanted:
        return f"form name {match.group('doc')!r} should be {' or '.join(wanted)!r}"
    org = "".join(match.group("org").split())
    if not org or any(p in org for p in data.filename_placeholders):
        return "the organisation name in brackets is missing or still the template's"
    ext = match.group("ext").lower()
    if ext not in ("docx", "doc") or (ext == "doc" and att.format != "doc"):
        return f".{ext}: a Word file's name ends in .docx"
    return None


def _real_date(yymmdd: str) -> bool:
    try:
        date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def half_width_brackets(filename: str) -> bool:
    """The organisation's opening bracket (the first one) was typed half-width: 「(」, not 「（」."""
    found = re.search(r"[(（]", filename)
    return found is not None and found.group() == "("


@check(
    "filename_format",
    "File name must be yymmdd_協議会加入申込書（組織・団体名）.docx or yymmdd_事務従事者登録届（組織・団体名）.docx.",
)
def filename_format(facts: CaseFacts, ctx: CheckContext) -> list[RuleFinding]:
    wrong: list[tuple[AttachmentFacts, str]] = []
    half: list[AttachmentFacts] = []
    for att in current_word_files(facts):
        problem = filename_problem(att, ctx.data)
        if problem:
            wrong.append((att, problem))
        elif half_width_brackets(att.filename or ""):
            half.append(att)
    if wrong:
        return [
            ctx.finding(
                "filename_format",
                {
                    "filename": join([a.filename or f"attachment {a.id}" for a, _ in wrong]),
                    "expected": join([expected_name(a.document, ctx.data) for a, _ in wrong], " / "),
                    "problem": join([p for _, p in wrong], "; "),
                },
            )
        ]
    if half:
        return [
            ctx.finding(
                "filename_format",
                {
                    "filename": join([a.filename or "" for a in half]),
                    "expected": join([expected_name(a.document, ctx.data) for a in half], " / "),
                    "problem": "half-width brackets (accepted)",
                },
                variant="half_width_brackets",
            )
        ]
    return []
