"""Turning the pieces of a value cell into a :class:`FieldValue`, by the item's kind.

Choices (選択肢) are read from the tick boxes: each box belongs to the option text that follows it
(「☑新規　☐継続　☐廃止」); when every box stands *after* its option (「新規☑ 継続☐」) that order is
used instead. A cell with no box at all whose whole text is one option (an applicant who deleted
the other options) counts as that option ticked.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.forms.inline import Box, Piece, pieces_text
from intake.forms.normalize import (
    clean_text,
    label_key,
    normalize_corporate_number,
    normalize_email,
    normalize_phone,
    parse_japanese_date,
    strip_decoration,
    strip_hints,
)
from intake.forms.spec import FieldSpec, FormSpec

_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
_FORMATTERS = {
    "phone": (normalize_phone, "value unreadable: not a phone number"),
    "email": (normalize_email, "value unreadable: not an e-mail address"),
    "corporate_number": (normalize_corporate_number, "value unreadable: a 法人番号 has 13 digits"),
}


@dataclass
class FieldValue:
    """One item as read: ``value`` normalised (a choice: the option's text, or None unless exactly
    one box is ticked), ``original`` the cell text as found (None when the label was not found),
    ``ticked`` the options found ticked (choices only)."""

    value: str | None
    original: str | None
    ticked: tuple[str, ...] = ()


def read_value(spec: FieldSpec, pieces: list[Piece], form: FormSpec) -> tuple[FieldValue, list[str]]:
    """The value of one item and the reading problems met (plain English)."""
    original = pieces_text(pieces).strip()
    has_boxes = any(isinstance(p, Box) for p in pieces)
    if spec.kind == "choice" or (spec.kind == "text_or_choice" and has_boxes):
        ticked, problems = read_choice(spec.options, pieces, form)
        value = ticked[0] if len(ticked) == 1 else None
        return FieldValue(value, original, ticked), problems
    text = clean_text(original, form.hint_markers, form.placeholders, form.instructions)
    if text is None:
        return FieldValue(None, original), []
    if spec.kind == "text_or_choice":
        typed = _typed_option(spec.options, text)
        return FieldValue(typed or text, original, (typed,) if typed else ()), []
    if spec.kind == "date":
        iso = parse_japanese_date(text)
        unfilled = not any(ch.isdigit() for ch in text)  # the template's 「　年　月　日」
        return FieldValue(iso, original), [] if iso or unfilled else ["value unreadable: not a date"]
    if spec.kind in _FORMATTERS:
        normalise, problem = _FORMATTERS[spec.kind]
        value, ok = normalise(text)
        return FieldValue(value, original), [] if ok else [problem]
    return FieldValue(text, original), []


def read_choice(
    options: tuple[str, ...], pieces: list[Piece], form: FormSpec
) -> tuple[tuple[str, ...], list[str]]:
    """The options ticked, in order, and the problems (none / several ticked, unknown option)."""
    boxes = _box_segments(pieces)
    if not boxes:
        typed = _typed_option(
            options, strip_hints(pieces_text(pieces), form.hint_markers, (), form.instructions)
        )
        return ((typed,), []) if typed else ((), ["no box ticked"])
    after = [_option_for(options, seg) for _, seg, _ in boxes]
    before = [_option_for(options, seg) for _, _, seg in boxes]
    chosen = before if _count(before) > _count(after) else after
    ticked: list[str] = []
    problems: list[str] = []
    for (box, seg_after, _), option in zip(boxes, chosen, strict=True):
        if not box.ticked:
            continue
        if option is None:
            problems.append(f"box ticked next to unknown text {seg_after.strip()[:20]!r}")
        elif option not in ticked:
            ticked.append(option)
    problems.extend(_count_problem(ticked))
    return tuple(ticked), problems


def _count_problem(ticked: list[str]) -> list[str]:
    if not ticked:
        return ["no box ticked"]
    if len(ticked) > 1:
        count = _COUNT_WORDS.get(len(ticked), str(len(ticked)))
        return [f"{count} boxes ticked: {', '.join(ticked)}"]
    return []


def _box_segments(pieces: list[Piece]) -> list[tuple[Box, str, str]]:
    """Each box with the text after it (up to the next box) and before it (from the previous)."""
    found: list[tuple[Box, str, str]] = []
    before: list[str] = []
    for piece in pieces:
        if isinstance(piece, Box):
            text_before = "".join(before)
            if found:
                box, _, prev_before = found[-1]
                found[-1] = (box, text_before, prev_before)
            found.append((piece, "", text_before))
            before = []
        else:
            before.append(piece)
    if found:
        box, _, prev_before = found[-1]
        found[-1] = (box, "".join(before), prev_before)
    return found


def _option_for(options: tuple[str, ...], segment: str) -> str | None:
    """The option a text segment names: the longest option the segment starts with."""
    key = strip_decoration(label_key(segment))
    hits = [o for o in options if key.startswith(label_key(o))]
    if not hits:
        # the text before a box: the option is at its end (「新規☑」)
        hits = [o for o in options if key.endswith(label_key(o))]
    return max(hits, key=len) if hits else None


def _typed_option(options: tuple[str, ...], text: str) -> str | None:
    key = strip_decoration(label_key(text))
    return next((o for o in options if label_key(o) == key), None)


def _count(found: list[str | None]) -> int:
    return sum(1 for x in found if x is not None)
