"""Reading the reporter's answers to Q24 確認①②③ from incident mail.

Our replies carry :data:`CONFIRMATION_BLOCK`, a fill-in block; the reporter answers after each
「：」 (or on the next line), in a new message or on the quoted block itself (「> 確認①…：不要」),
or retypes the items in a house style (「【確認1】秘密指定の要否：…」, 「① 不要」, a table row): every
line starting with an item mark (:mod:`.marks`) is an answer line. Free text counts too
(「被害組織名は秘密にしてほしい」, "[TLP:AMBER]" in the subject, "no coordination needed"). Per
message, from weakest to strongest: answers on quoted lines, the subject, free text, answers on the
sender's own lines. Answers come only from the sender's new text (:mod:`intake.mail.segments`),
from an answer typed under a quoted item, and from a quote of our own mail (or of nobody named)
where the reporter typed onto our block — never from someone else's quoted words or a forwarded
message. Ranges and totals (「①～③：不要」「いずれも不要です」) answer each item they cover. Later messages override earlier ones. A TLP label answers the sharing scope
only, never the secret designation (Q21: separate axes).

An answer line that cannot be read is never guessed: the item stays unanswered (so it is asked
again) and the line is kept in ``IncidentAnswers.unclear`` for staff, until a clear answer to the
item comes after it. An unclear line never undoes a clear answer given before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
from intake.checks.answers.marks import BY_NUMBER, Mark, expand_ranges, marks_in
from intake.checks.facts import IncidentAnswers
from intake.mail.ours import CONFIRMATION_BLOCK, OUR_MARKERS
from intake.mail.segments import NEW, OTHERS, QUOTE

_TEMPLATE = frozenset("".join(nfkc(x).split()) for x in CONFIRMATION_BLOCK.splitlines() if x.strip())
_JOINER = re.compile(r"(?:\s|[、,・&/]|と|及び|および|and)*", re.IGNORECASE)  # 「確認①と②：不要」
_FOREIGN_LABEL = re.compile(r"(?!TLP)[^\s:、。,]{1,12}\s*:", re.IGNORECASE)  # 「発生日時：」, not 「TLP:」
_LEADING = re.compile(r"^[\s:|→⇒>=―\-─~/、,・]+")
_TOTAL = re.compile(r"^(?:とも(?:に)?|共に|いずれも|すべて|全て|全部)(?:[\s:、,]|は)*")  # 「①②③とも不要」


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
        marks = [m for m in marks if m.item is not None and (not m.weak or _ours(lines[i], m, marks, ours))]
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


def _ours(line: Line, mark: Mark, marks: list[Mark], depths: set[int]) -> bool:
    """A number alone marks our item: in a list of ours, and not before a label of the report's own
    (「(1) 発生日時：10月5日」; marks right after it, 「(1)(2)(3)：不要」, are not such a label)."""
    answer = mark.answer
    for other in marks:
        if other.start == answer:
            answer = other.answer
    return line.depth in depths and not _FOREIGN_LABEL.match(line.text, answer)


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
    text = _LEADING.sub("", strip_hints(text))
    return _TOTAL.sub("", text).rstrip(" \t|、,・").strip()


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
        self._now: set[int] = set()  # items this message answers
        self._before: dict[int, int] = {}  # how many unclear lines each item had before it

    def start_message(self) -> None:
        self._now = set()
        self._before = {item: len(lines) for item, lines in self.unclear.items()}

    def end_message(self) -> None:
        """A line of this message that could not be read is no warning when another part of the
        same message answers its item (「確認①：上記の通り」 below the prose that says it)."""
        for item in self._now:
            del self.unclear[item][self._before.get(item, 0) :]

    def secret_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.secret = (found[0], found[1])
            self.unclear[1].clear()
            self._now.add(1)

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
            self._now.add(2)

    def coord_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.coord = (found[0], found[1])
            self.unclear[3].clear()
            self._now.add(3)

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


def _expanded(lines: list[Line]) -> tuple[list[Line], set[str]]:
    """Lines with ranges and totals written out as item marks, and the lines (as shown) that
    opened with a total (「全て不要です」): those answer only where they mean something."""
    out: list[Line] = []
    totals: set[str] = set()
    for line in lines:
        text, total = expand_ranges(line.text)
        out.append(replace(line, text=text) if text != line.text else line)
        if total:
            totals.add(line.raw[:200])
    return out, totals


def _readable(line: Line) -> Line:
    """The line as answers are read from it: the sender's new text, and a quote of our own mail
    (or of nobody named) where the reporter may have typed onto our block; never anyone else's
    quoted words, nor a forwarded message."""
    if line.kind == NEW or (line.kind == QUOTE and line.origin != OTHERS):
        return line
    return replace(line, text="", raw="")


def _under_quotes(lines: list[Line], used: set[int]) -> list[_Answer]:
    """Answers typed below a quoted item (「> 確認①（秘密指定の有無）：」 then 「不要です」 on the next
    line): the quoted line gives the item, the sender's new line the answer."""
    found: list[_Answer] = []
    for i, line in enumerate(lines):
        if line.kind != QUOTE or not line.text:
            continue
        marks = [m for m in marks_in(line.text) if m.item is not None]
        if not marks or not a.says_nothing(_clean(line.text[marks[-1].answer :])):
            continue
        j = _below(lines, i)
        if j is None or j in used or marks_in(lines[j].text):
            continue
        used.add(j)
        answer = _clean(lines[j].text)
        found += [
            _Answer(
                m.item or 0,
                _first(answer),
                answer[:200],
                (lines[j].raw or answer)[:200],
                0,
                m.weak,
                _after(answer),
            )
            for m in marks
        ]
    return found


def _below(lines: list[Line], i: int) -> int | None:
    """The first line of the sender's new text right below line ``i`` (a blank line may stand between)."""
    for j in range(i + 1, min(len(lines), i + 3)):
        if lines[j].text:
            return j if lines[j].kind == NEW and not is_separator(lines[j].text) else None
    return None


def _message(merged: _Merged, text: str, subject: str) -> None:
    every, totals = _expanded(lines_of(text, subject=subject, markers=OUR_MARKERS))
    lines = [_readable(line) for line in every]
    found, used = block_answers(lines)
    found = [x for x in found if x.line not in totals or any(_meaning(x))]
    found += _under_quotes(every, used)
    merged.start_message()
    quoted = sorted((x for x in found if x.depth > 0), key=lambda x: x.depth)
    merged.block(quoted)
    merged.free(strip_hints(nfkc(subject or "")))
    skip = used | {i for i, line in enumerate(lines) if "".join(line.text.split()) in _TEMPLATE}
    rests = dict.fromkeys(x.rest for x in found if x.depth == 0 and x.rest)
    for paragraph in [*paragraphs(lines, skip), *rests]:
        for sentence in sentences(paragraph):
            merged.free(sentence)
    merged.block([x for x in found if x.depth == 0])
    merged.end_message()


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
