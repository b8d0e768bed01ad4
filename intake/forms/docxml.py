"""The body of a Word document as paragraphs and tables, in reading order.

The XML is walked directly (python-docx's proxies repeat merged cells and miss content controls):

* each ``w:tc`` element becomes exactly one :class:`Cell`, with its grid column and span
  (``w:gridSpan``, ``w:gridBefore``); a cell that continues a vertical merge (``w:vMerge`` without
  ``restart``) is marked ``continued`` — its content lives in the cell above, so it is never read
  twice;
* tables nested in a cell are kept on that cell (``Cell.tables``), in order;
* rows, cells and blocks wrapped in content controls (``w:sdt``) or ``w:customXml`` are read as if
  unwrapped; a block-level text control's text is ordinary text; rows deleted with tracked
  changes (``w:trPr/w:del``) are skipped;
* inline content (text, tick boxes in all styles, tracked insertions) is read by
  :mod:`intake.forms.inline`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from intake.forms.inline import (
    W14,
    Box,
    Control,
    InlineReader,
    Piece,
    control_kind,
    on_off_w14,
    pieces_text,
    w,
)

_WRAPPERS = (w("sdt"), w("customXml"))


@dataclass
class Paragraph:
    """A paragraph outside any table."""

    pieces: list[Piece]

    @property
    def text(self) -> str:
        return pieces_text(self.pieces)


@dataclass
class Cell:
    """One ``w:tc``: its pieces (paragraphs joined by line breaks), grid position and nested tables."""

    pieces: list[Piece]
    col: int = 0
    span: int = 1
    continued: bool = False
    tables: list[Table] = field(default_factory=list)

    @property
    def text(self) -> str:
        return pieces_text(self.pieces)

    @property
    def boxes(self) -> list[Box]:
        return [p for p in self.pieces if isinstance(p, Box)]

    def is_blank(self) -> bool:
        """No text and no box."""
        return not self.boxes and not self.text.strip()


@dataclass
class Row:
    cells: list[Cell]


@dataclass
class Table:
    rows: list[Row]


Block = Paragraph | Table


@dataclass
class Body:
    """The document body, plus every content control / form field met (for the corpus report)."""

    blocks: list[Block]
    controls: list[Control]


def read_body(body: etree._Element) -> Body:
    """Read a ``w:body`` (or any block container)."""
    reader = _BlockReader()
    blocks = reader.blocks(body)
    return Body(blocks, reader.inline.controls)


def iter_tables(blocks: list[Block]) -> Iterator[Table]:
    """Every table, nested ones right after the row that holds them."""
    for block in blocks:
        if isinstance(block, Table):
            yield from _walk_table(block)


def _walk_table(table: Table) -> Iterator[Table]:
    yield table
    for row in table.rows:
        for cell in row.cells:
            for inner in cell.tables:
                yield from _walk_table(inner)


class _BlockReader:
    def __init__(self) -> None:
        self.inline = InlineReader()

    def blocks(self, parent: etree._Element) -> list[Block]:
        out: list[Block] = []
        for el in parent:
            self._block(el, out)
        return out

    def _block(self, el: etree._Element, out: list[Block]) -> None:
        if el.tag == w("p"):
            out.append(Paragraph(self.inline.read(el)))
        elif el.tag == w("tbl"):
            out.append(self.table(el))
        elif el.tag == w("sdt"):
            self._block_sdt(el, out)
        elif el.tag in (w("customXml"), w("ins"), w("moveTo")):
            for child in el:
                self._block(child, out)

    def _block_sdt(self, sdt: etree._Element, out: list[Block]) -> None:
        props = sdt.find(w("sdtPr"))
        content = sdt.find(w("sdtContent"))
        if props is not None and props.find(f"{{{W14}}}checkbox") is not None:
            state = on_off_w14(props.find(f"{{{W14}}}checkbox"))
            self.inline.controls.append(Control("checkbox", "", checked=state))
            out.append(Paragraph([Box(state, "content_control")]))
            return
        inner = self.blocks(content) if content is not None else []
        placeholder = props is not None and props.find(w("showingPlcHdr")) is not None
        text = "\n".join(b.text for b in inner if isinstance(b, Paragraph))
        self.inline.controls.append(Control(control_kind(props), text, placeholder=placeholder))
        if not placeholder:
            out.extend(inner)

    def table(self, tbl: etree._Element) -> Table:
        rows = []
        for tr in _children(tbl, w("tr")):
            if tr.find(f"{w('trPr')}/{w('del')}") is not None:
                continue
            rows.append(Row(self._cells(tr)))
        return Table(rows)

    def _cells(self, tr: etree._Element) -> list[Cell]:
        col = _int_val(tr.find(f"{w('trPr')}/{w('gridBefore')}"), 0)
        cells = []
        for tc in _children(tr, w("tc")):
            span = max(1, _int_val(tc.find(f"{w('tcPr')}/{w('gridSpan')}"), 1))
            merge = tc.find(f"{w('tcPr')}/{w('vMerge')}")
            continued = merge is not None and merge.get(w("val"), "continue") == "continue"
            cells.append(self._cell(tc, col, span, continued))
            col += span
        return cells

    def _cell(self, tc: etree._Element, col: int, span: int, continued: bool) -> Cell:
        blocks = self.blocks(tc)
        pieces: list[Piece] = []
        tables = []
        for block in blocks:
            if isinstance(block, Table):
                tables.append(block)
                continue
            if pieces:
                pieces.append("\n")
            pieces.extend(block.pieces)
        if continued:
            pieces = []
        return Cell(pieces, col, span, continued, tables)


def _children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Direct children with ``tag``, looking through ``w:sdt`` / ``w:customXml`` wrappers."""
    for el in parent:
        if el.tag == tag:
            yield el
        elif el.tag in _WRAPPERS:
            content = el.find(w("sdtContent")) if el.tag == w("sdt") else el
            if content is not None:
                yield from _children(content, tag)


def _int_val(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(w("val")) or default)
    except ValueError:
        return default
