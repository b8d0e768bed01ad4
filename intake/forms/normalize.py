"""Text normalisation for the two forms.

Two different jobs live here:

* **label keys** — to *find* a label, text is folded hard: NFKC (full-width letters, digits and
  brackets become half-width, ① becomes 1, half-width katakana becomes full-width), every kind of
  whitespace removed, dash look-alikes unified. ``label_key("４（１）　組織・団体名")`` is
  ``"4(1)組織・団体名"``.
* **values** — what the applicant typed is kept as found (``original``) and a cleaned value is
  derived from it: template hints removed (「（例）株式会社〇〇」, 「例：…」), whitespace folded,
  phones and corporate numbers (法人番号, the 13-digit number of a legal person) rewritten from
  full-width digits, e-mail addresses from full-width ``＠``.

Dates: 提出日 (date of submission) may be written in the Western calendar (西暦, 2026年10月5日) or in
the Japanese era calendar (令和8年10月5日 = 2026-10-05; 平成31年 = 2019).
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70\u2500\u2501\ufe63"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})
_SPACE_RE = re.compile(r"\s+")
_ITEM_RE = re.compile(r"^(?P<num>\d{1,2}(?!\d))?[.．、\-]?(?P<sub>\(\d{1,2}\))?")
_DECORATION = "・･■□●○◆◇【】「」『』〔〕[]:：-"

# 元号 (Japanese eras): first Western year minus one, so 令和1年 = 2019.
ERAS: dict[str, int] = {"令和": 2018, "平成": 1988, "昭和": 1925}
_ERA_ABBREV = {"R": "令和", "H": "平成", "S": "昭和"}


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """NFKC and no white space: how labels and names are compared (the original is kept)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def nfkc(text: str) -> str:
    """Unicode NFKC, with the dash look-alikes (ー, −, ―, －) mapped to ``-``."""
    return unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)


@functools.lru_cache(maxsize=8192)
def label_key(text: str) -> str:
    """The folded form used to compare labels: NFKC, dashes unified, no whitespace at all."""
    return _SPACE_RE.sub("", nfkc(text))


def strip_decoration(key: str) -> str:
    """Drop bullets and brackets an edition may put around a label key (``【提出日】`` → ``提出日``)."""
    return key.strip(_DECORATION)


def split_item(key: str) -> tuple[str, str]:
    """Split a leading item number off a label key: ``"4(1)氏名"`` → ``("4(1)", "氏名")``.

    Item numbers are one or two digits, optionally followed by a sub-number in brackets; a
    sub-number alone (``"(7)"``) is an item of the staff registration. Longer digit runs (phone or
    corporate numbers) are not item numbers.
    """
    match = _ITEM_RE.match(key)
    if not match or not (match.group("num") or match.group("sub")):
        return "", key
    item = (match.group("num") or "") + (match.group("sub") or "")
    return item, key[match.end() :]


def fold_whitespace(text: str) -> str:
    """Strip, and fold each run of whitespace (line breaks included) into one space.

    A run made only of ideographic spaces (U+3000, usual between family and given name) keeps one
    ideographic space; any other run becomes one ASCII space.
    """

    def _fold(match: re.Match[str]) -> str:
        return "\u3000" if set(match.group(0)) == {"\u3000"} else " "

    return _SPACE_RE.sub(_fold, text.strip())


def strip_hints(
    text: str,
    markers: tuple[str, ...],
    placeholders: tuple[str, ...] = (),
    instructions: tuple[str, ...] = (),
) -> str:
    """Remove template hints: from each marker (e.g. 「（例）」, 「例：」) to the end of its line.

    Markers are compared after NFKC, so 「(例)」 and 「（例）」 are the same marker. A line that is
    exactly one of the ``placeholders`` (Word's 「ここをクリックしてテキストを入力してください。」)
    is dropped too, and so is the form's own instruction: a line wholly in brackets that ends with
    one of the ``instructions`` (「（組織内の一部署で申し込む場合に記入）」 ends with 「記入」).
    """
    keys = tuple(label_key(m) for m in markers)
    place = frozenset(label_key(p) for p in placeholders)
    ends = tuple(label_key(i) for i in instructions)
    kept = []
    for line in text.split("\n"):
        cut = _hint_start(line, keys)
        line = line[:cut] if cut is not None else line
        key = label_key(line)
        if key not in place and not _instruction(key, ends):
            kept.append(line)
    return "\n".join(kept)


_BRACKETS = {"(": ")", "[": "]", "【": "】", "〔": "〕", "<": ">", "〈": "〉", "《": "》"}


def _instruction(key: str, ends: tuple[str, ...]) -> bool:
    """「(…場合に記入)」: the template telling the applicant what to write, not an answer."""
    if len(key) < 3 or _BRACKETS.get(key[0]) != key[-1]:
        return False
    inner = key[1:-1].rstrip("。.")
    return any(e and inner.endswith(e) for e in ends)


def _hint_start(line: str, keys: tuple[str, ...]) -> int | None:
    """Index in ``line`` where the first hint marker starts, or None."""
    folded = nfkc(line)
    if len(folded) != len(line):  # NFKC changed the length: search char by char instead
        return _hint_start_slow(line, keys)
    starts = [folded.find(k) for k in keys if k and folded.find(k) >= 0]
    return min(starts) if starts else None


def _hint_start_slow(line: str, keys: tuple[str, ...]) -> int | None:
    for i in range(len(line)):
        rest = label_key(line[i:])
        if any(k and rest.startswith(k) for k in keys):
            return i
    return None


def clean_text(
    text: str,
    markers: tuple[str, ...],
    placeholders: tuple[str, ...] = (),
    instructions: tuple[str, ...] = (),
) -> str | None:
    """Hints removed and whitespace folded; None when nothing is left."""
    value = fold_whitespace(strip_hints(text, markers, placeholders, instructions))
    return value or None


def normalize_phone(text: str) -> tuple[str, bool]:
    """``("03-1234-5678", True)`` from 「０３－１２３４－５６７８」; ok is False when it does not look
    like a Japanese or international phone number (10 to 15 digits, optionally followed by an
    extension such as 「（内線123）」)."""
    value = _SPACE_RE.sub("", nfkc(text))
    match = _PHONE_RE.match(value)
    digits = re.sub(r"\D", "", match.group("main")) if match else ""
    return value, 10 <= len(digits) <= 15


_PHONE_RE = re.compile(r"^(?P<main>\+?[\d()\-]+?)(\(?(内線|ext\.?|EXT\.?)\d+\)?)?$")


def normalize_email(text: str) -> tuple[str, bool]:
    """NFKC (full-width ``＠`` and letters), no spaces, no ``mailto:``, domain in lower case."""
    value = _SPACE_RE.sub("", nfkc(text))
    value = re.sub(r"^mailto:", "", value, flags=re.IGNORECASE)
    local, at, domain = value.rpartition("@")
    if at:
        value = f"{local}@{domain.lower()}"
    ok = bool(re.fullmatch(r"[^@\s]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+", value))
    return value, ok


def normalize_corporate_number(text: str) -> tuple[str, bool]:
    """法人番号: digits only (spaces and hyphens dropped; the 「T」 of an invoice registration number,
    which is T + the corporate number, removed); ok when it is 13 digits."""
    value = re.sub(r"[\s\-]", "", nfkc(text))
    if re.fullmatch(r"[Tt]\d{13}", value):
        value = value[1:]
    return value, bool(re.fullmatch(r"\d{13}", value))


def corporate_number_valid(number: str) -> bool:
    """Check the 13-digit 法人番号 against its leading check digit (National Tax Agency rule)."""
    if not re.fullmatch(r"\d{13}", number):
        return False
    body = [int(c) for c in number[1:]]
    total = sum(d * (1 if i % 2 == 0 else 2) for i, d in enumerate(reversed(body)))
    return int(number[0]) == 9 - total % 9


_DATE_RE = re.compile(
    r"(?P<era>令和|平成|昭和|[RHS]\.?)?\s*(?P<year>\d{1,4}|元)\s*(年|/|\.|-)\s*"
    r"(?P<month>\d{1,2})\s*(月|/|\.|-)\s*(?P<day>\d{1,2})\s*日?"
)


def parse_japanese_date(text: str) -> str | None:
    """An ISO date from 「2026年10月5日」, 「令和８年１０月５日」, 「R8.10.5」, 「2026/10/05」; None if
    there is no complete, real date (a template's 「20XX年X月X日」 gives None)."""
    match = _DATE_RE.search(nfkc(text))
    if not match:
        return None
    year_text = match.group("year")
    year = 1 if year_text == "元" else int(year_text)
    era = (match.group("era") or "").rstrip(".")
    era = _ERA_ABBREV.get(era, era)
    if era:
        year += ERAS[era]
    elif year < 100:
        return None
    try:
        return _dt.date(year, int(match.group("month")), int(match.group("day"))).isoformat()
    except ValueError:
        return None


def to_fullwidth_digits(text: str) -> str:
    """「03-1234」 → 「０３－１２３４」: how many applicants type numbers (used by the writer)."""
    table: dict[str, str | int | None] = {str(d): chr(0xFF10 + d) for d in range(10)}
    table["-"] = "－"
    return text.translate(str.maketrans(table))
