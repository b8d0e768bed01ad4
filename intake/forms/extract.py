"""Read the fields of a filled-in form from the bytes of a .docx.

``extract_form(data, specs=load_form_specs(rules_dir))`` opens the document, recognises which form
it is from its title (never from the file name), and reads every item the form's TOML file
describes. What could not be read is listed in ``problems`` in plain English; nothing is guessed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from intake.documents.containers import ContainerLimits
from intake.documents.ooxml import STRICT_MESSAGE, read_main_part
from intake.errors import DocumentError
from intake.forms.docxml import Block, Body, Cell, Paragraph, Row, Table, read_body
from intake.forms.inline import Piece, w
from intake.forms.matching import LabelIndex, split_pairs, title_key
from intake.forms.normalize import parse_japanese_date
from intake.forms.spec import FieldSpec, FormSpec, FormSpecs
from intake.forms.staff import Column, People, cell_under, wide_header
from intake.forms.values import FieldValue, read_value

__all__ = ["STRICT_MESSAGE", "ExtractedForm", "FieldProblem", "extract_form", "open_docx", "read_docx_body"]


@dataclass
class FieldProblem:
    """A reading problem: ``field`` as in findings (``poc.email``, ``staff[2].poc``), ``problem`` in
    plain English (「label not found」, 「two boxes ticked: 新規, 継続」, 「no box ticked」, …)."""

    field: str
    problem: str


@dataclass
class ExtractedForm:
    """What was read from one document. ``document`` is ``application``, ``staff_registration``
    or None (neither form: an ``other`` document)."""

    document: str | None
    title: str | None
    submitted_on: str | None
    org_name: str | None
    fields: dict[str, FieldValue] = field(default_factory=dict)
    staff: list[dict[str, FieldValue]] = field(default_factory=list)
    problems: list[FieldProblem] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The ``fields`` object of ``intake show --json`` (interface.md)."""
        if self.document == "application":
            return {"application": _nest(self.fields)}
        if self.document == "staff_registration":
            return {"staff": [_nest(p) for p in self.staff], "organisation": self.org_name}
        return {}


def extract_form(
    docx_bytes: bytes, *, specs: FormSpecs, limits: ContainerLimits = ContainerLimits()
) -> ExtractedForm:
    """Read one .docx. Raises DocumentError when it cannot be opened at all, LimitExceeded when
    its text is over ``limits``."""
    try:
        body = read_docx_body(docx_bytes, limits=limits)
        found = identify(body.blocks, specs)
        if found is None:
            return ExtractedForm(None, None, None, None)
        spec, title = found
        others = [other for other in specs if other.id != spec.id]
        return _FormReader(spec, others).read(body.blocks, title)
    except RecursionError:
        raise DocumentError("the document nests tables or controls too deeply to be a form") from None


def read_docx_body(data: bytes, *, limits: ContainerLimits = ContainerLimits()) -> Body:
    """Open a .docx (with clear errors) and read its body."""
    return read_body(open_docx(data, limits=limits))


def open_docx(data: bytes, *, limits: ContainerLimits = ContainerLimits()) -> etree._Element:
    """The ``w:body`` element of a .docx's main document part, read under ``limits``
    (:func:`intake.documents.ooxml.read_main_part`), or DocumentError in plain words."""
    root = read_main_part(data, limits)
    body = root.find(w("body"))
    if body is None:
        raise DocumentError("the .docx has no document body (it is not a Word document)")
    return body


def identify(blocks: list[Block], specs: Iterable[FormSpec]) -> tuple[FormSpec, str] | None:
    """The form whose title appears first in the document, with the title line as found."""
    forms = list(specs)
    for text in _texts(blocks):
        spec = title_of(text, forms)
        if spec is not None:
            return spec, text.strip()
    return None


def title_of(text: str, forms: Iterable[FormSpec]) -> FormSpec | None:
    """The form whose title this line is (bracketed parts and a short prefix such as
    「（様式１）」 ignored), or None."""
    key = title_key(text)
    if not key:
        return None
    for spec in forms:
        for title in spec.titles:
            want = title_key(title)
            if key == want or (key.endswith(want) and len(key) - len(want) <= 10):
                return spec
    return None


def _texts(blocks: list[Block]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
            continue
        for row in block.rows:
            for cell in row.cells:
                yield cell.text
                yield from _texts(list(cell.tables))


class _OtherForm(Exception):
    """Raised inside the walk when the title of another form is met: reading stops there."""

    def __init__(self, spec: FormSpec) -> None:
        super().__init__(spec.id)
        self.spec = spec


class _FormReader:
    """Walks the blocks of one identified form and collects its items."""

    def __init__(self, spec: FormSpec, others: list[FormSpec]) -> None:
        self.spec = spec
        self.others = others
        self.notes: list[FieldProblem] = []
        self.index = _index_for(spec)
        self.section: str | None = None
        self.doc: dict[str, FieldValue] = {}
        self.fields: dict[str, FieldValue] = {}
        self.problems: dict[str, list[str]] = {}
        self.people = People(spec) if spec.per_person else None
        self.loose_date: str | None = None

    def read(self, blocks: list[Block], title: str) -> ExtractedForm:
        try:
            for block in blocks:
                if isinstance(block, Paragraph):
                    self.line(block.pieces)
                else:
                    self.table(block)
        except _OtherForm as other:
            problem = f"a second form ({other.spec.name}) follows in the same file; only the first was read"
            self.notes.append(FieldProblem("document", problem))
        return self.result(title)

    # -- walking ---------------------------------------------------------------------------
    def table(self, table: Table) -> None:
        columns: list[Column] | None = None
        for row in table.rows:
            header = wide_header(row, self.index) if self.people else None
            if header:
                columns = header
            elif columns:
                self.wide_row(row, columns)
            else:
                self.row(row)
            for cell in row.cells:
                for inner in cell.tables:
                    self.table(inner)

    def row(self, row: Row) -> None:
        pairs = split_pairs(row.cells, self.index)
        if not pairs:
            filled = [c for c in row.cells if not c.is_blank()]
            if len(filled) == 1:
                self.line(filled[0].pieces)
            return
        for labels, values in pairs:
            if not values and len(labels) == 1:
                self.line(labels[0].pieces)
            else:
                self.pair(labels, values)

    def line(self, pieces: list[Piece]) -> None:
        """A paragraph or one-cell row: heading, section caption, or 「label　value」 line."""
        text = "".join(str(p) for p in pieces)
        if not text.strip():
            return
        other = title_of(text, self.others)
        if other is not None:
            raise _OtherForm(other)
        label = self.index.parse([text])
        if label.heading and self.people:
            self.people.new_block()
            return
        if label.section and not label.text:
            self.section = label.section.id
            return
        if label.item and not label.section:
            self.section = None  # another numbered item (e.g. 4(2)) ends the POC rows
        found = self.index.line_field(text)
        if found:
            spec, rest = found
            self.assign(spec, [rest])
        elif self.loose_date is None and len(text.strip()) <= 20:
            self.loose_date = parse_japanese_date(text)

    def pair(self, labels: list[Cell], values: list[Cell]) -> None:
        label = self.index.parse([c.text for c in labels])
        if label.heading and self.people:
            self.people.new_block()
        if label.section:
            self.section = label.section.id
        spec = self.index.resolve(label, self.section)
        if spec is None and label.section and not label.text and values and label.section.first_field:
            spec = self.spec.field(label.section.first_field)
        if spec is not None and not label.text and len(values) >= 2 and not values[0].boxes:
            values = values[1:]  # number | unknown label wording | value
        if spec is None:
            if label.item and not label.section:
                self.section = None  # an unknown numbered item ends the section
            return
        if spec.section is None:
            self.section = None
        self.assign(spec, _join(values))

    def wide_row(self, row: Row, columns: list[Column]) -> None:
        """One person per row, values under the header's columns."""
        if self.people is None:
            return
        self.people.new_block()
        for column in columns:
            cell = cell_under(row, column)
            self.assign(column.spec, cell.pieces if cell else [])

    # -- storing ---------------------------------------------------------------------------
    def assign(self, spec: FieldSpec, pieces: list[Piece]) -> None:
        value, problems = read_value(spec, pieces, self.spec)
        if spec in self.spec.document_fields:
            if spec.key not in self.doc or self.doc[spec.key].value is None:
                self.doc[spec.key] = value
                self.problems[spec.key] = problems
        elif self.people is not None:
            self.people.set(spec.key, value, problems)
        elif spec.key not in self.fields or _empty(self.fields[spec.key]):
            self.fields[spec.key] = value
            self.problems[spec.key] = problems

    def result(self, title: str) -> ExtractedForm:
        problems: list[FieldProblem] = list(self.notes)
        for spec in self.spec.document_fields + (() if self.people else self.spec.fields):
            store = self.doc if spec in self.spec.document_fields else self.fields
            if spec.key not in store:
                store[spec.key] = FieldValue(None, None)
                problems.append(FieldProblem(spec.key, "label not found"))
            problems.extend(FieldProblem(spec.key, p) for p in self.problems.get(spec.key, []))
        staff: list[dict[str, FieldValue]] = []
        if self.people is not None:
            staff, pairs = self.people.finish()
            problems.extend(FieldProblem(f, p) for f, p in pairs)
        ordered = {s.key: self.fields[s.key] for s in self.spec.fields if s.key in self.fields}
        submitted = self.doc["submitted_on"].value if "submitted_on" in self.doc else None
        org = self.doc.get("org_name") or self.fields.get("org_name")
        return ExtractedForm(
            document=self.spec.id,
            title=title,
            submitted_on=submitted or self.loose_date,
            org_name=org.value if org else None,
            fields=ordered,
            staff=staff,
            problems=problems,
        )


@functools.lru_cache(maxsize=32)
def _index_for(spec: FormSpec) -> LabelIndex:
    """One LabelIndex per form description (its caches then serve every document)."""
    return LabelIndex(spec)


def _join(cells: list[Cell]) -> list[Piece]:
    pieces: list[Piece] = []
    for cell in cells:
        if pieces and cell.pieces:
            pieces.append("\n")
        pieces.extend(cell.pieces)
    return pieces


def _empty(value: FieldValue) -> bool:
    return value.value is None and not value.ticked


def _nest(values: dict[str, FieldValue]) -> dict[str, Any]:
    """``{"poc.name": v}`` → ``{"poc": {"name": v.value}}``; values only."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        head, dot, tail = key.partition(".")
        if dot:
            out.setdefault(head, {})[tail] = value.value
        else:
            out[key] = value.value
    return out
