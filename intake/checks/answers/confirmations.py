"""Reading the reporter's answers to Q24 確認①②③ from incident mail.

Our replies carry :data:`CONFIRMATION_BLOCK`, a fill-in block; the reporter answers after each
「：」 (or on the next line), in a new message or on the quoted block itself (「> 確認①…：不要」).
Free text counts too (「被害組織名は秘密にしてほしい」, "[TLP:AMBER]" in the subject, "no coordination
needed"). Per message, from weakest to strongest: answers on quoted lines, the subject, free text,
answers on the sender's own block lines. Later messages override earlier ones. A TLP label
answers the sharing scope only, never the secret designation (Q21: separate axes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest

from intake.checks.answers import meaning as a
from intake.checks.answers import vocab as v
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
from intake.checks.facts import IncidentAnswers

CONFIRMATION_BLOCK = """\
━━━━━━━━━━━━ ご回答欄 ━━━━━━━━━━━━
このメールにご返信のうえ、各項目の「：」の後にご記入ください。
確認①（秘密指定の有無）：
確認②（情報の共有範囲）：
確認③（協議会事務局外への対応調整の要否）：
━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
"""

_ITEM = re.compile(
    r"[【\[]?\s*確認\s*(?P<n>[1-3一二三])\s*[】\]]?\s*(?:\([^()]{0,40}\))?(?:\s*(?::|について\s*:?|は\s*:?)|\s+|$)"
    r"|(?P<label>秘密指定の有無|(?:情報の)?共有範囲(?:の設定)?|(?:協議会)?(?:事務局外への)?対応調整の要否)\s*:"
)
_NUMBERS = {"1": 1, "2": 2, "3": 3, "一": 1, "二": 2, "三": 3}
_LABEL_ITEM = (("秘密指定", 1), ("共有範囲", 2), ("対応調整", 3))
_LABELS = re.compile(
    r"^(?:秘密指定の有無|(?:情報の)?共有範囲(?:の設定)?|(?:協議会)?(?:事務局外への)?対応調整の要否)\s*[:。]?\s*"
)
_TEMPLATE = frozenset("".join(nfkc(x).split()) for x in CONFIRMATION_BLOCK.splitlines() if x.strip())


@dataclass(frozen=True)
class _Answer:
    item: int  # 1, 2, 3
    text: str
    depth: int


def _item_number(match: re.Match[str]) -> int:
    if match.group("n"):
        return _NUMBERS[match.group("n")]
    return next(n for word, n in _LABEL_ITEM if word in match.group("label"))


def block_answers(lines: list[Line]) -> tuple[list[_Answer], set[int]]:
    """Every item answer in the text, and the indexes of the lines they used."""
    found: list[_Answer] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        matches = list(_ITEM.finditer(line.text))
        if not matches or matches[0].start() > 2:
            continue
        used.add(i)
        for k, match in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line.text)
            text = _clean(line.text[match.end() : end])
            if not text and k + 1 == len(matches):
                text = _next_line(lines, i, used)
            found.append(_Answer(_item_number(match), text, line.depth))
    return found, used


def _clean(text: str) -> str:
    return _LABELS.sub("", strip_hints(text).strip(" 　:・")).strip()


def _next_line(lines: list[Line], i: int, used: set[int]) -> str:
    """An answer written on the line below its item."""
    if i + 1 >= len(lines):
        return ""
    nxt = lines[i + 1]
    if nxt.depth != lines[i].depth or not nxt.text or is_separator(nxt.text) or _ITEM.match(nxt.text):
        return ""
    if "".join(nxt.text.split()) in _TEMPLATE:
        return ""
    used.add(i + 1)
    return _clean(nxt.text)


class _Merged:
    """The answers so far; each update overrides what it answers."""

    def __init__(self) -> None:
        self.secret: tuple[str, str | None] | None = None
        self.scope: str | None = None
        self.tlp: str | None = None
        self.coord: tuple[str, str | None] | None = None

    def secret_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.secret = (found[0], found[1])

    def scope_(self, found: tuple[str | None, str | None]) -> None:
        phrase, tlp = found
        if tlp:
            self.tlp = tlp
        if phrase:
            self.scope = phrase
        elif tlp and (self.scope is None or self.scope.startswith("TLP:")):
            self.scope = f"TLP:{tlp}"  # a TLP label answers 確認② but keeps an earlier Council phrase

    def coord_(self, found: tuple[str | None, str | None]) -> None:
        if found[0]:
            self.coord = (found[0], found[1])

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
        """Block answers: for each item, the first one that means something."""
        readers = {
            1: (a.secret_answer, self.secret_),
            2: (a.scope_answer, self.scope_),
            3: (a.coordination_answer, self.coord_),
        }
        for item, (read, apply) in readers.items():
            meaning = next((m for m in (read(x.text) for x in found if x.item == item) if m[0] or m[1]), None)
            if meaning:
                apply(meaning)

    def result(self) -> IncidentAnswers:
        return IncidentAnswers(
            secret_designation=self.secret[0] if self.secret else None,
            secret_detail=self.secret[1] if self.secret else None,
            sharing_scope=self.scope,
            tlp=self.tlp,
            external_coordination=self.coord[0] if self.coord else None,
            coordination_detail=self.coord[1] if self.coord else None,
        )


def _message(merged: _Merged, text: str, subject: str) -> None:
    lines = lines_of(text)
    found, used = block_answers(lines)
    quoted = sorted((x for x in found if x.depth > 0), key=lambda x: x.depth)
    merged.block(quoted)
    merged.free(strip_hints(nfkc(subject or "")))
    skip = used | {i for i, line in enumerate(lines) if "".join(line.text.split()) in _TEMPLATE}
    for paragraph in paragraphs(lines, skip):
        for sentence in sentences(paragraph):
            merged.free(sentence)
    merged.block([x for x in found if x.depth == 0])


def read_confirmations(texts: list[str], subjects: list[str]) -> IncidentAnswers:
    """The reporter's answers to 確認①②③ over the incoming messages of a case, oldest first
    (``texts[i]`` and ``subjects[i]`` belong to the same message)."""
    merged = _Merged()
    for text, subject in zip_longest(texts, subjects, fillvalue=""):
        _message(merged, text or "", subject or "")
    return merged.result()
