"""Reading the reporter's answers to Q24 確認①②③ from incident mail.

Our replies carry :data:`CONFIRMATION_BLOCK`, a fill-in block; the reporter answers after each
「：」 (or on the next line), in a new message or on the quoted block itself (「> 確認①…：不要」),
or retypes the items in a house style (「【確認1】秘密指定の要否：…」, 「① 不要」, a table row): every
line starting with an item mark (:mod:`.marks`) is an answer line. Free text counts too
(「被害組織名は秘密にしてほしい」, "[TLP:AMBER]" in the subject, "no coordination needed"). Per
message, from weakest to strongest: answers on quoted lines, the subject, free text, answers on the
sender's own lines. Later messages override earlier ones. A TLP label answers the sharing scope
only, never the secret designation (Q21: separate axes).

An answer line that cannot be read is never guessed: the item stays unanswered (so it is asked
again) and the line is kept in ``IncidentAnswers.unclear`` for staff, until a clear answer to the
item comes after it. An unclear line never undoes a clear answer given before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from intake.checks.answers import meaning as a
from intake.checks.answers import vocab as v
from intake.checks.answers import words
from intake.checks.answers.mailtext import (
    Line,
    is_separator,
    lines_of,
    mask_addresses,
    nfkc,
    paragraphs,
    sentences,
    strip_hints,
)
from intake.checks.answers.marks import BY_NUMBER, Mark, marks_in
from intake.checks.facts import IncidentAnswers

CONFIRMATION_BLOCK = """\
━━━━━━━━━━━━ ご回答欄 ━━━━━━━━━━━━
このメールにご返信のうえ、各項目の「：」の後にご記入ください。
確認①（秘密指定の有無）：
確認②（情報の共有範囲）：
確認③（協議会事務局外への対応調整の要否）：
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
"""

_TEMPLATE = frozenset("".join(nfkc(x).split()) for x in CONFIRMATION_BLOCK.splitlines() if x.strip())
_JOINER = re.compile(r"(?:\s|[、,・&/]|と|及び|および|and)*", re.IGNORECASE)  # 「確認①と②：不要」
_FOREIGN_LABEL = re.compile(r"(?!TLP)[^\s:、。,]{1,12}\s*:", re.IGNORECASE)  # 「発生日時：」, not 「TLP:」
_LEADING = re.compile(r"^[\s:|→⇒>=―\-─~/、,・]+")


@dataclass(frozen=True)
class _Answer:
    item: int  # 1, 2, 3
    text: str  # what is read
    detail: str  # the whole wording, kept for staff (「秘密指定は不要です」 keeps the item's name)
    line: str  # the line as written (and the next one, when the answer is there): shown when unclear
    depth: int
    weak: bool  # marked by a number alone
    rest: str = ""  # the sentences after the answer's first one: read as free text


def block_answers(lines: list[Line]) -> tuple[list[_Answer], set[int]]:
    """Every item answer in the text, and the indexes of the lines they used."""
    found: list[_Answer] = []
    used: set[int] = set()
    marked = {i: marks_in(line.text) for i, line in enumerate(lines)}
    ours = _our_lists(lines, marked)
    for i, marks in marked.items():
        marks = [m for m in marks if m.item is not None and (not m.weak or _ours(lines[i], m, ours))]
        if marks:
            used.add(i)
            found += _line_answers(lines, i, marks, used)
    return found, used


def _our_lists(lines: list[Line], marked: dict[int, list[Mark]]) -> set[int]:
    """The quoting depths at which a number alone (「(1)」「②」) marks our items: not where the text
    numbers its own paragraphs past three (「(4) 今後の対応」)."""
    own_numbering = {
        lines[i].depth for i, marks in marked.items() for m in marks if m.weak and m.item is None
    }
    return {line.depth for line in lines} - own_numbering


def _ours(line: Line, mark: Mark, depths: set[int]) -> bool:
    """A number alone marks our item: in a list of ours, and not before a label of the report's own
    (「(1) 発生日時：10月5日」)."""
    return line.depth in depths and not _FOREIGN_LABEL.match(line.text, mark.answer)


def _line_answers(lines: list[Line], i: int, marks: list[Mark], used: set[int]) -> list[_Answer]:
    """The answers of one line's marks; marks with nothing between them share the answer after
    them, and a line ending in a mark takes its answer from the next line."""
    text = lines[i].text
    ends = [m.start for m in marks[1:]] + [len(text)]
    answers = [_clean(text[m.answer : end]) for m, end in zip(marks, ends, strict=True)]
    details = [_clean(text[m.detail : end]) for m, end in zip(marks, ends, strict=True)]
    shown = lines[i].raw or text
    if not answers[-1] and (below := _next_line(lines, i, used)):
        answers[-1] = details[-1] = below
        shown = f"{shown} {lines[i + 1].raw or below}"
    for k in range(len(marks) - 2, -1, -1):
        if _JOINER.fullmatch(answers[k]):
            answers[k], details[k] = answers[k + 1], details[k + 1]
    return [
        _Answer(m.item or 0, _first(answer), detail, shown[:200], lines[i].depth, m.weak, _after(answer))
        for m, answer, detail in zip(marks, answers, details, strict=True)
    ]


def _first(text: str) -> str:
    """An answer is its first sentence (「不要です。TLP:GREENでお願いします。」 answers one item, and
    the rest is free text)."""
    return next(iter(sentences(text)), "")


def _after(text: str) -> str:
    return " ".join(sentences(text)[1:])


def _clean(text: str) -> str:
    return _LEADING.sub("", strip_hints(text)).rstrip(" \t|、,・").strip()


def _next_line(lines: list[Line], i: int, used: set[int]) -> str:
    """An answer written on the line below its item."""
    if i + 1 >= len(lines):
        return ""
    nxt = lines[i + 1]
    if nxt.depth != lines[i].depth or not nxt.text or is_separator(nxt.text) or marks_in(nxt.text):
        return ""
    if "".join(nxt.text.split()) in _TEMPLATE:
        return ""
    used.add(i + 1)
    return _clean(nxt.text)


class _Merged:
    """The answers so far; each update overrides what it answers. Lines that answer an item in
    words we cannot read are kept for staff until a clear answer to that item comes after them."""

    def __init__(self) -> None:
        self.secret: tuple[str, str | None] | None = None
        self.scope: str | None = None
        self.tlp: str | None = None
        self.coord: tuple[str, str | None] | None = None
        self.unclear: dict[int, list[str]] = {1: [], 2: [], 3: []}

    def secret_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.secret = (found[0], found[1])
            self.unclear[1].clear()

    def scope_(self, found: tuple[str | None, str | None]) -> None:
        phrase, tlp = found
        if tlp:
            self.tlp = tlp
        if phrase:
            self.scope = phrase
        elif tlp and (self.scope is None or self.scope.startswith("TLP:")):
            self.scope = f"TLP:{tlp}"  # a TLP label answers 確認② but keeps an earlier Council phrase
        if phrase or tlp:
            self.unclear[2].clear()

    def coord_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.coord = (found[0], found[1])
            self.unclear[3].clear()

    def answered(self, item: int) -> bool:
        return (self.secret, self.scope, self.coord)[item - 1] is not None

    def free(self, sentence: str) -> None:
        """One sentence of free text (or a subject)."""
        if v.DISCLAIMER.search(sentence):
            return
        sentence = mask_addresses(sentence)
        if a.all_not_needed(sentence):
            self.secret_((a.NOT_REQUESTED, sentence))
            self.scope_((a.NO_RESTRICTION, None))
            self.coord_((a.NOT_REQUESTED, sentence))
        self.secret_(a.secret_free(sentence))
        self.scope_(a.scope_free(sentence))
        self.coord_(a.coordination_free(sentence))

    def block(self, found: list[_Answer]) -> None:
        """Block answers: for each item, the first one that means something; failing that, the
        lines that tried to answer it are noted as unclear."""
        appliers = {1: self.secret_, 2: self.scope_, 3: self.coord_}
        for item, apply in appliers.items():
            answers = [x for x in found if x.item == item]
            meant = next((m for m in map(_meaning, answers) if m[0] or m[1]), None)
            if meant:
                apply(meant)
                continue
            for x in answers:
                if self._unclear(x, found):
                    self.unclear[item] += [] if x.line in self.unclear[item] else [x.line]

    def _unclear(self, answer: _Answer, found: list[_Answer]) -> bool:
        """An answer we could not read, worth showing staff: not a mere closing or question; a
        number alone only in a list whose other numbers we could read; a quoted line only while
        the item is unanswered (quoted text is older, and weaker)."""
        if a.says_nothing(answer.text):
            return False
        if answer.weak and not any(
            x.weak and x.depth == answer.depth and any(_meaning(x)) for x in found if x is not answer
        ):
            return False
        return answer.depth == 0 or not self.answered(answer.item)

    def result(self) -> IncidentAnswers:
        return IncidentAnswers(
            secret_designation=self.secret[0] if self.secret else None,
            secret_detail=self.secret[1] if self.secret else None,
            sharing_scope=self.scope,
            tlp=self.tlp,
            external_coordination=self.coord[0] if self.coord else None,
            coordination_detail=self.coord[1] if self.coord else None,
            unclear=tuple(
                (BY_NUMBER[item].code, line) for item, lines in self.unclear.items() for line in lines
            ),
        )


def _meaning(answer: _Answer) -> tuple[str | None, str | None]:
    """What one block answer says: (verdict, detail) for 確認①③, (scope, TLP) for 確認②."""
    if answer.item == 2:
        return a.scope_answer(answer.text)
    verdict = (a.secret_answer if answer.item == 1 else a.coordination_answer)(answer.text)[0]
    return (verdict, answer.detail[:200]) if verdict else (None, None)


def _message(merged: _Merged, text: str, subject: str) -> None:
    lines = lines_of(text)
    found, used = block_answers(lines)
    quoted = sorted((x for x in found if x.depth > 0), key=lambda x: x.depth)
    merged.block(quoted)
    merged.free(strip_hints(nfkc(subject or "")))
    skip = used | {i for i, line in enumerate(lines) if "".join(line.text.split()) in _TEMPLATE}
    rests = dict.fromkeys(x.rest for x in found if x.depth == 0 and x.rest)
    for paragraph in [*paragraphs(lines, skip), *rests]:
        for sentence in sentences(paragraph):
            merged.free(sentence)
    merged.block([x for x in found if x.depth == 0])


def read_confirmations(
    texts: list[str], subjects: list[str], *, rules_dir: Path | None = None
) -> IncidentAnswers:
    """The reporter's answers to 確認①②③ over the incoming messages of a case, oldest first
    (``texts[i]`` and ``subjects[i]`` belong to the same message); ``rules_dir``: whose
    ``answers.toml`` names the items (the shipped one by default)."""
    merged = _Merged()
    with words.using(rules_dir):
        for text, subject in zip_longest(texts, subjects, fillvalue=""):
            _message(merged, text or "", subject or "")
    return merged.result()
