"""Person blocks of the staff registration (事務従事者登録届).

事務従事者 = a person of the member organisation registered to handle the Council's secret
information. The form has one block per person, in either layout:

* **blocks** — a heading 「事務従事者１」 (paragraph or table row) then the items (1)–(10), one
  row each; blocks may be separate tables or rows of one table. A new block starts at every
  heading *and* whenever an item already filled in the current block appears again (a copied
  block whose heading was not renumbered);
* **wide** — one table, a header row holding the items (1)–(10) as column headers, then one row
  per person.

Blocks in which nothing was filled in (no text, no box ticked) are dropped; the rest are numbered
from 1 in document order, which is the ``<n>`` of ``staff[<n>].<key>`` in problems and findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.forms.docxml import Cell, Row
from intake.forms.matching import LabelIndex
from intake.forms.spec import FieldSpec, FormSpec
from intake.forms.values import FieldValue


@dataclass
class Column:
    """A wide-layout column: the grid columns it covers and the item it holds."""

    start: int
    span: int
    spec: FieldSpec


@dataclass
class _Block:
    values: dict[str, FieldValue] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def filled(self) -> bool:
        return any(v.value is not None or v.ticked for v in self.values.values())


class People:
    """Collects person blocks as the reader meets headings and items."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.blocks: list[_Block] = []
        self.current = _Block()

    def new_block(self) -> None:
        """Close the current block (if anything was read into it) and open a new one."""
        if self.current.values:
            self.blocks.append(self.current)
        self.current = _Block()

    def set(self, key: str, value: FieldValue, problems: list[str]) -> None:
        """Store an item; an item met twice means a new block began without a heading."""
        if key in self.current.values:
            self.new_block()
        self.current.values[key] = value
        self.current.problems[key] = problems

    def finish(self) -> tuple[list[dict[str, FieldValue]], list[tuple[str, str]]]:
        """The filled-in blocks, each with every item of the form, and ``(field, problem)`` pairs."""
        self.new_block()
        people: list[dict[str, FieldValue]] = []
        problems: list[tuple[str, str]] = []
        for block in (b for b in self.blocks if b.filled()):
            n = len(people) + 1
            person: dict[str, FieldValue] = {}
            for spec in self.spec.fields:
                where = f"staff[{n}].{spec.key}"
                if spec.key not in block.values:
                    person[spec.key] = FieldValue(None, None)
                    problems.append((where, "label not found"))
                    continue
                person[spec.key] = block.values[spec.key]
                problems.extend((where, p) for p in block.problems[spec.key])
            people.append(person)
        return people, problems


def wide_header(row: Row, index: LabelIndex) -> list[Column] | None:
    """The columns of a wide-layout header row: at least three cells naming distinct person items."""
    columns: list[Column] = []
    seen: set[str] = set()
    for cell in row.cells:
        if cell.continued or cell.is_blank() or not index.is_label(cell):
            continue
        spec = index.resolve(index.parse([cell.text]), None)
        if spec is None or spec not in index.spec.fields or spec.key in seen:
            continue
        seen.add(spec.key)
        columns.append(Column(cell.col, cell.span, spec))
    return columns if len(columns) >= 3 else None


def cell_under(row: Row, column: Column) -> Cell | None:
    """The cell of ``row`` lying under a header column (by grid position)."""
    for cell in row.cells:
        if cell.col <= column.start < cell.col + cell.span:
            return cell
    return None
