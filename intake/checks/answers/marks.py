"""Where a reporter's answer to an item of Q24 確認①②③ begins: the item marks, as data.

Reporters seldom copy our fill-in block as it is; they retype it in their house style. A line
answers an item when it starts with a *mark* (after bullets and a table's 「|」):

* a numbered mark — 確認 (confirmation) and the number: 確認①, 確認1, 確認一, 【確認①】, [確認1],
  確認①）, "Confirmation 1";
* a number alone — (1), ①, 【①】 — or a bare 1 in a table cell (「| 1 | 不要 |」): weak, since
  reports number their own paragraphs too (the reader decides whether the list is ours);
* the item's name — the Q&A's words and the others people use (``names`` in
  ``rules/answers.toml``, :mod:`.words`), with or without question words: 秘密指定 /
  秘密指定の有無 / 秘密指定の要否 (secret designation: whether / whether needed), 共有範囲 /
  情報の共有範囲 / 共有範囲の設定 (sharing scope), 対応調整 / 協議会事務局外への対応調整の要否
  (coordination outside the Council's secretariat), 外部連携, 共有先 … — after a number, in
  brackets, or alone.

After the mark come separators (： : ― → ＞ | a tab, or a particle such as は / について) and the
answer, or nothing: then the answer is on the next line. Several marks may share one line
(「確認①：不要　確認②：TLP:AMBER」); marks with nothing between them share the answer that follows
(「確認①②：不要」). Text is NFKC, so ① arrives here as 「(1)」 (see :func:`mailtext.nfkc`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from intake.checks.answers import words


@dataclass(frozen=True)
class Item:
    number: int
    code: str  # the finding that stays open while the item is unanswered
    mark: str  # how the Q&A and our replies name it (its names: rules/answers.toml)


_WHETHER = r"(?:\s*の?\s*(?:有無|要否|可否|是非|希望|設定|指定|範囲))*"  # question words after a name
ITEMS: tuple[Item, ...] = (
    Item(1, "secret_designation", "確認①"),
    Item(2, "sharing_scope", "確認②"),
    Item(3, "external_coordination", "確認③"),
)
BY_NUMBER = {item.number: item for item in ITEMS}

# ---- the grammar -----------------------------------------------------------------------------

LEAD = r"[\s|・*•■□◆◇●○◎▼▽▶►☆★\-]*"  # bullets and a table row's 「|」
OPEN = r"[\[【(〔〈《「『<]"
CLOSE = r"[\]】)〕〉》」』>]"
WORD = r"確認事項|確認|confirmation"  # 確認 = confirmation
KANJI_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SEP = r"[\s:|\t→⇒>=―\-─ー~/、,]"  # what may stand between a mark, a name and the answer
PARTICLE = r"(?:について(?:は)?|に(?:つい|関)して(?:は)?|の件(?:は)?|は|も)"  # 「…について」 = about …
Shapes = tuple[tuple[str, re.Pattern[str]], ...]


@dataclass(frozen=True)
class _Grammar:
    shapes: Shapes  # the shapes of a mark, strongest first: (kind, pattern)
    mid_shapes: Shapes  # those looked for in mid-line
    named: re.Pattern[str]  # an item's name used as a label


@functools.lru_cache(maxsize=16)
def _grammar_of(names: tuple[str, ...]) -> _Grammar:
    """The grammar for the items' names (one pattern each, 確認① first), as rules/answers.toml
    spells them; a name may be followed by question words (「秘密指定の有無」)."""
    name = "|".join(
        f"(?P<i{n}>(?:協議会の?|情報の?)?(?:{spelled}){_WHETHER})" for n, spelled in enumerate(names, start=1)
    )
    # A number, not the start of 「1件」「2回」「2026年」 or a kanji word such as 「一覧」.
    num = (
        r"(?P<n>\d{1,2}(?![\d件回日月年名社通点時分週度人部番号個割%]|\.\d)"
        rf"|[一二三四五六七八九](?:(?![一-龥ァ-ヶ])|(?=\s*(?:{name}))))"
    )
    # A shape with no name must carry a number.
    shapes = tuple(
        (kind, re.compile(pattern, re.IGNORECASE))
        for kind, pattern in (
            ("numbered", rf"{OPEN}?\s*(?:{WORD})\s*(?:no\.?\s*)?{OPEN}?\s*{num}\s*(?:{CLOSE}\s*){{0,2}}"),
            ("number", rf"(?:{OPEN}\s*){{1,2}}{num}\s*(?:{CLOSE}\s*){{1,2}}"),
            (
                "cell",
                rf"(?P<n>\d)\s*[.)、:]?\s*(?=[|\t]|{OPEN}?\s*(?:{name}))",
            ),  # 「| 1 |」, 「1. 秘密指定…」
            ("listed", rf"{num}\s*[.)](?!\d)\s*"),  # 「1. 不要」「1) 不要」「１．不要」, "1. Not required"
            ("named", rf"(?={OPEN}?\s*(?:{name}))"),
        )
    )
    named = re.compile(
        rf"{SEP}*(?P<open>{OPEN})?\s*(?P<name>{name})\s*(?(open){CLOSE}|(?:{CLOSE})?)"
        rf"(?P<after>\s*{PARTICLE}|(?(open)|(?={SEP}|$)))",  # 「【外部連携】要」: a bracket ends a label
        re.IGNORECASE,
    )
    return _Grammar(shapes, tuple((k, p) for k, p in shapes if k in ("numbered", "number")), named)


def _grammar() -> _Grammar:
    names = words.current().names
    return _grammar_of(tuple(names[item.number].pattern for item in ITEMS))


_ASIDE = re.compile(
    r"\s*\((?!\s*\d{1,2}\s*\))[^()]{0,40}\)"
)  # 「確認①（秘密指定）」: the item's name in brackets
_SEPS = re.compile(rf"(?:{SEP}|{PARTICLE}(?!い(?:[\s、,。!]|$)|う))*")  # not the は of 「はい」 (yes)
_EN_SEP = re.compile(r"\s*[:|\t→⇒=>―-]")  # an English name is a label only before one of these
_BOUNDARY = re.compile(r"[\s、,。;|\t)】\]]")  # what may stand before a name in mid-line


@dataclass(frozen=True)
class Mark:
    """One item mark in a line: the answer is ``line[answer:end]`` (``end`` = the next mark)."""

    item: int | None  # 1, 2, 3; None: a number past 3 (「(4)」: the list is not ours)
    kind: str  # numbered | number | cell | named
    start: int
    answer: int  # where the answer begins
    detail: int  # where the answer's wording for staff begins (「秘密指定は不要です」 keeps its name)

    @property
    def weak(self) -> bool:
        """A number without 確認 or a name: maybe a report's own paragraph numbering."""
        return self.kind in ("number", "cell", "listed")


def marks_in(line: str) -> list[Mark]:
    """Every item mark in the line, in order; none unless the line starts with one."""
    lead = re.match(LEAD, line)
    first = _mark_at(line, lead.end() if lead else 0, shapes=_grammar().shapes)
    if first is None:
        return []
    marks = [first]
    pos = first.answer
    while (found := _next_mark(line, pos, {m.item for m in marks})) is not None:
        marks.append(found)
        pos = found.answer
    return marks


def _mark_at(line: str, pos: int, shapes: Shapes) -> Mark | None:
    for kind, pattern in shapes:
        match = pattern.match(line, pos)
        if match is None:
            continue
        number = _number(match.groupdict().get("n"))
        named = _label(line, match.end())
        if kind == "named" and named is None:
            continue
        if named is not None:  # a name makes any mark strong: 「(1) 秘密指定：不要」
            return _named_mark(named, "numbered" if kind == "numbered" else "named", pos, line)
        if kind == "cell" and not re.match(r"\s*[|\t]", line[match.end() :]):
            continue
        end = match.end()
        aside = _ASIDE.match(line, end)
        if aside and "例" not in aside.group():
            end = aside.end()
        answer = _skip(line, end)
        return Mark(number if number in BY_NUMBER else None, kind, pos, answer, answer)
    return None


_LONGEST = 1000  # a line of answers is short: marks further on are not looked for


def _next_mark(line: str, pos: int, seen: set[int | None]) -> Mark | None:
    """The next mark after ``pos``: 確認N anywhere, a number alone when it names another of our
    items (「①と③は不要、②は…」), a name after a clause boundary followed by a separator."""
    mid_shapes = _grammar().mid_shapes
    for i in range(pos, min(len(line), _LONGEST)):
        found = _mark_at(line, i, mid_shapes)
        if found is not None and found.kind == "number" and found.item in seen | {None}:
            found = None
        if found is None and (i == 0 or _BOUNDARY.match(line, i - 1)):
            found = _named_mid(line, i)
        if found is not None:
            return found
    return None


def _named_mid(line: str, pos: int) -> Mark | None:
    named = _label(line, pos)
    if named is None or named.start("name") != pos and not re.match(OPEN, line[pos:]):
        return None
    return _named_mark(named, "named", pos, line)


def _named_mark(named: re.Match[str], kind: str, pos: int, line: str) -> Mark:
    """A mark ending in the item's name; 「秘密指定は不要です」 (a name as the subject of a sentence,
    not a label) keeps the name in the wording for staff."""
    sentence = kind == "named" and not named.group("open") and named.group("after").strip()
    answer = _skip(line, named.end())
    return Mark(_item_of(named), kind, pos, answer, named.start("name") if sentence else answer)


def _label(line: str, pos: int) -> re.Match[str] | None:
    """An item's name used as a label at ``pos``: 「秘密指定の有無：」, 「共有範囲は」, "Sharing scope:"."""
    named = _grammar().named.match(line, pos)
    if named is None or not named.group("name").isascii():
        return named
    return named if _EN_SEP.match(line, named.end()) else None  # not "no coordination needed"


# ---- ranges and totals: one answer for several items ---------------------------------------

_DASH = r"(?:~|〜|-|ー|―|‐|–|—|から)"
_RANGE = re.compile(
    rf"^(?P<lead>{LEAD})(?P<word>(?:{WORD})\s*)?(?:\((?P<a>[1-3])\)|(?P<a2>[1-3]))\s*{_DASH}\s*"
    rf"(?:{WORD})?\s*(?:\((?P<b>[1-3])\)|(?P<b2>[1-3])(?![\d.件回日月年名社通点時分週度人部番号個割%]))",
    re.IGNORECASE,
)
_TOTAL = re.compile(
    rf"^(?P<lead>{LEAD})(?:(?:確認事項|ご質問|ご確認(?:事項)?|各項目|項目)(?:の件)?(?:は|について(?:は)?)?\s*)?"
    r"(?:全て|すべて|いずれも|全部|全項目|各項目とも|3点とも|三点とも|3項目とも|三項目とも)(?:とも|共)?(?:に)?"
    r"(?=[\s:、,]*(?!の)[^\s:、,])"
)


def expand_ranges(line: str) -> tuple[str, bool]:
    """「①～③：不要」「確認1〜3」 become 「(1)(2)(3)：不要」; a line opening with a total (「全て不要です」,
    「いずれも：不要」) becomes 「確認(1)(2)(3)：…」. The flag says the line was a total, whose
    answer counts only where it means something."""
    ranged = _RANGE.match(line)
    if ranged:
        first, last = (
            int(ranged.group("a") or ranged.group("a2")),
            int(ranged.group("b") or ranged.group("b2")),
        )
        if first < last:
            marks = "".join(f"({n})" for n in range(first, last + 1))
            return f"{ranged.group('lead')}{ranged.group('word') or ''}{marks}{line[ranged.end() :]}", False
    total = _TOTAL.match(line)
    if total:
        return f"{total.group('lead')}確認(1)(2)(3):{line[total.end() :]}", True
    return line, False


def _item_of(named: re.Match[str]) -> int:
    return next(item.number for item in ITEMS if named.group(f"i{item.number}"))


def _number(text: str | None) -> int | None:
    if not text:
        return None
    return KANJI_NUMBERS[text] if text in KANJI_NUMBERS else int(text)


def _skip(line: str, pos: int) -> int:
    """Past the separators and particles before an answer."""
    return _SEPS.match(line, pos).end()  # type: ignore[union-attr]
