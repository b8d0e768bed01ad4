"""Finding labels: which cells of a row are labels, and which item of the form they name.

A label is recognised by its item number (項目番号, 「２（１）」 → ``2(1)``, 「（７）」 → ``(7)``)
and/or its Japanese text, both taken from the form's TOML file. Rows are split into
*label cells* (cells whose text is an item number or starts with a known label) followed by
*value cells*, so the same code reads two-column label | value tables, three-column
number | label | value tables and rows holding two label/value pairs side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.forms.docxml import Cell
from intake.forms.normalize import label_key, split_item, strip_decoration
from intake.forms.spec import FieldSpec, FormSpec, SectionSpec

_BRACKETED = re.compile(r"\([^()]*\)")
_HEADING_TAIL = re.compile(r"^\d{0,3}(\(.*\))?$")
_CACHE_LIMIT = 20_000


@dataclass(frozen=True)
class Label:
    """What a run of label cells says: item number, section opened, remaining label text."""

    item: str = ""
    text: str = ""
    section: SectionSpec | None = None
    heading: bool = False  # a person-block heading (事務従事者N) was among the cells


def title_key(text: str) -> str:
    """A title compared without bracketed parts or decoration: 「…加入申込書（申込み事項変更届）」
    and 「…加入申込書」 give the same key."""
    return strip_decoration(_BRACKETED.sub("", label_key(text)))


class LabelIndex:
    """All labels of one form, ready for matching."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.fields = spec.fields + spec.document_fields
        self.heading_keys = tuple(label_key(h) for h in spec.person_headings)
        known = [k for f in self.fields for k in f.label_keys]
        known += [k for s in spec.sections for k in s.label_keys]
        self._known = tuple(sorted(set(known), key=len, reverse=True))
        self._label_cache: dict[str, bool] = {}
        self._resolve_cache: dict[tuple[Label, str | None], FieldSpec | None] = {}

    # -- single cells ----------------------------------------------------------------------
    def is_label(self, cell: Cell) -> bool:
        """True for a cell that is an item number, a known label or a block heading."""
        text = cell.text
        if text not in self._label_cache:
            if len(self._label_cache) > _CACHE_LIMIT:  # a long-running service reads many documents
                self._label_cache.clear()
            self._label_cache[text] = self._is_label(text)
        return self._label_cache[text]

    def _is_label(self, text: str) -> bool:
        key = strip_decoration(label_key(text))
        item, rest = split_item(key)
        rest = strip_decoration(rest)
        if not rest:
            return bool(item)
        return self.is_heading(key) or any(rest.startswith(k) for k in self._known)

    def is_heading(self, key: str) -> bool:
        """「事務従事者１」「事務従事者(2)」: a person-block heading (never the form's title)."""
        key = strip_decoration(key)
        for head in self.heading_keys:
            if key.startswith(head) and _HEADING_TAIL.match(key[len(head) :]):
                return True
        return False

    # -- runs of label cells -----------------------------------------------------------------
    def parse(self, texts: list[str]) -> Label:
        """Combine the texts of a run of label cells into one :class:`Label`."""
        items: list[str] = []
        parts: list[str] = []
        section: SectionSpec | None = None
        heading = False
        for text in texts:
            key = strip_decoration(label_key(text))
            if self.is_heading(key):
                heading = True
                continue
            item, rest = split_item(key)
            if item:
                items.append(item)
            found, rest = self._section_in(item, strip_decoration(rest))
            section = found or section
            if rest:
                parts.append(rest)
        return Label(_join_items(items), "".join(parts), section, heading)

    def _section_in(self, item: str, rest: str) -> tuple[SectionSpec | None, str]:
        """The section opened by this cell, and the cell's text with the section label removed."""
        for section in self.spec.sections:
            for key in sorted(section.label_keys, key=len, reverse=True):
                if rest.startswith(key):
                    return section, strip_decoration(rest[len(key) :])
            if item and item == section.item:
                return section, rest
        return None, rest

    def resolve(self, label: Label, section: str | None) -> FieldSpec | None:
        """The field a label names, given the section the reader is in."""
        key = (label, section)
        if key not in self._resolve_cache:
            if len(self._resolve_cache) > _CACHE_LIMIT:
                self._resolve_cache.clear()
            self._resolve_cache[key] = self._resolve(label, section)
        return self._resolve_cache[key]

    def _resolve(self, label: Label, section: str | None) -> FieldSpec | None:
        scope = [f for f in self.fields if f.section is None or f.section == section]
        if not label.text:
            return _by_item(scope, label.item, section)
        best: list[tuple[int, int, FieldSpec]] = []
        for spec in scope:
            length = max((len(k) for k in spec.label_keys if label.text.startswith(k)), default=0)
            if length:
                bonus = (2 if label.item and label.item == spec.item else 0) + (1 if spec.section else 0)
                best.append((length, bonus, spec))
        if not best:
            return None
        return max(best, key=lambda t: (t[0], t[1]))[2]

    def line_field(self, text: str) -> tuple[FieldSpec, str] | None:
        """A document-level line such as 「提出日　2026年10月5日」 or 「組織・団体名：テスト株式会社」:
        the field and the text after its label (the original characters, not folded)."""
        for spec in self.spec.document_fields:
            for label in sorted(spec.labels, key=len, reverse=True):
                rest = _after_label(text, label)
                if rest is not None:
                    return spec, rest
        return None


def _join_items(items: list[str]) -> str:
    """``["2", "(1)"]`` → ``"2(1)"``; otherwise the most specific item seen."""
    if len(items) >= 2 and items[0].isdigit() and items[1].startswith("("):
        return items[0] + items[1]
    return max(items, key=len, default="")


def _by_item(scope: list[FieldSpec], item: str, section: str | None) -> FieldSpec | None:
    if not item:
        return None
    matches = [f for f in scope if f.item == item]
    in_section = [f for f in matches if f.section == section and section]
    found = in_section or matches
    return found[0] if found else None


def _after_label(text: str, label: str) -> str | None:
    """If ``text`` begins with ``label`` (compared folded, after an optional item number and
    decoration), the rest of the original text with separators stripped; else None."""
    want = label_key(label)
    folded = ""
    for i, ch in enumerate(text):
        folded += label_key(ch)
        key = strip_decoration(split_item(strip_decoration(folded))[1])
        if key == want:
            return text[i + 1 :].lstrip(" \t\u3000:：")
        if len(key) > len(want) and not want.startswith(key):
            return None
    return None


def split_pairs(cells: list[Cell], index: LabelIndex) -> list[tuple[list[Cell], list[Cell]]]:
    """Split a row into (label cells, value cells) pairs, left to right.

    Leading blank or merged-from-above cells are skipped; a label cell met after value cells
    starts a new pair.
    """
    pairs: list[tuple[list[Cell], list[Cell]]] = []
    labels: list[Cell] = []
    values: list[Cell] = []
    for cell in cells:
        if not cell.continued and not cell.is_blank() and index.is_label(cell):
            if values:
                pairs.append((labels, values))
                labels, values = [], []
            labels.append(cell)
        elif labels:
            values.append(cell)
    if labels:
        pairs.append((labels, values))
    return pairs
