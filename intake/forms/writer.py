"""Writing filled-in forms, as applicants' Word files look: for the tests and the product's demo.

The layout is taken from the same TOML descriptions the extractor reads (labels, item numbers,
options), but the writer produces what a person produces in Word: full-width item numbers,
tick boxes in any of the four styles, optional left-over template hints (「（例）株式会社〇〇」),
full-width digits, text typed into content controls, tracked changes, copied person blocks.

``values`` use the keys of forms.md (``poc.name`` or a nested ``{"poc": {"name": …}}``). A choice
value is an option (that box ticked), None (no box ticked) or a list of options (several ticked,
to make defective forms). ``submitted_on`` (ISO date or free text) fills the 提出日 line.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from intake.forms.normalize import to_fullwidth_digits
from intake.forms.spec import FieldSpec, FormSpec, FormSpecs, load_form_specs
from intake.resources import default_rules_dir

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell

APPLICATION_LAYOUTS = ("label_value", "number_label_value")
STAFF_LAYOUTS = ("blocks", "wide")
GROUP_HEADINGS = {"2": "組織・団体の概要", "3": "参加区分等", "4": "担当者"}
HINTS = {
    "org_name": "（例）株式会社〇〇",
    "org_name_kana": "（例）かぶしきがいしゃまるまる",
    "corporate_number": "例：1234567890123",
    "address": "（例）東京都千代田区〇〇１－２－３",
    "phone": "例：03-1234-5678",
    "poc.phone": "例：03-1234-5678",
    "email": "例：taro.kyogikai@example.co.jp",
    "poc.email": "例：taro.kyogikai@example.co.jp",
    "name": "（例）協議会　太郎",
    "poc.name": "（例）協議会　太郎",
    "department": "（組織内の一部署で申し込む場合に記入）",
}
_DIGIT_KINDS = ("phone", "corporate_number")


@dataclass
class WriteOptions:
    """Noise an applicant adds: see the keyword arguments of the two write functions."""

    checkbox_style: str = "glyph"
    hints: bool = False
    fullwidth: bool = False
    tracked: bool = False
    text_controls: bool = False
    omit: Collection[str] = ()


def write_application(
    values: Mapping[str, Any],
    *,
    checkbox_style: str = "glyph",
    layout: str = "label_value",
    hints: bool = False,
    fullwidth: bool = False,
    tracked: bool = False,
    text_controls: bool = False,
    glyphs: tuple[str, str] = ("☑", "☐"),
    omit: Collection[str] = (),
    specs: FormSpecs | None = None,
) -> bytes:
    """A filled-in 加入申込書 as .docx bytes.

    ``layout``: ``label_value`` (two columns) or ``number_label_value`` (item number | label |
    value, the POC rows sharing one vertically merged number cell). ``hints`` leaves template hints
    in empty cells, ``fullwidth`` types phone and corporate numbers in full-width digits,
    ``tracked`` records text values as tracked replacements of an older text, ``text_controls``
    types text values into content controls, ``omit`` deletes the rows of those keys.
    """
    if layout not in APPLICATION_LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(APPLICATION_LAYOUTS)}, not {layout!r}")
    spec = (specs or load_form_specs(default_rules_dir()))["application"]
    opts = WriteOptions(checkbox_style, hints, fullwidth, tracked, text_controls, omit)
    writer = _Writer(spec, opts, glyphs)
    flat = flatten(values)
    writer.header(flat.get("submitted_on"))
    for group, fields in _groups(spec.fields):
        writer.application_group(group, [f for f in fields if f.key not in omit], flat, layout)
    return writer.save()


def write_staff_registration(
    org_name: str,
    people: list[Mapping[str, Any]],
    *,
    checkbox_style: str = "glyph",
    layout: str = "blocks",
    heading: str = "paragraph",
    one_table: bool = False,
    heading_numbers: list[int] | None = None,
    empty_blocks: int = 0,
    org_line: str = "paragraph",
    submitted_on: str | None = None,
    hints: bool = False,
    fullwidth: bool = False,
    tracked: bool = False,
    text_controls: bool = False,
    glyphs: tuple[str, str] = ("☑", "☐"),
    omit: Collection[str] = (),
    specs: FormSpecs | None = None,
) -> bytes:
    """A filled-in 事務従事者登録届 as .docx bytes.

    ``layout``: ``blocks`` (a 「事務従事者Ｎ」 block per person) or ``wide`` (one table, one row per
    person). For blocks: ``heading`` is ``paragraph``, ``row`` or ``none``; ``one_table`` puts
    every block in one table; ``heading_numbers`` overrides the numbers shown (``[1, 1]`` = a
    copied block whose heading was not renumbered); ``empty_blocks`` appends unfilled template
    blocks. ``org_line`` is ``paragraph`` or ``row``.
    """
    if layout not in STAFF_LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(STAFF_LAYOUTS)}, not {layout!r}")
    spec = (specs or load_form_specs(default_rules_dir()))["staff_registration"]
    opts = WriteOptions(checkbox_style, hints, fullwidth, tracked, text_controls, omit)
    writer = _Writer(spec, opts, glyphs)
    writer.header(submitted_on)
    writer.org_line(org_name, org_line)
    everyone = [dict(p) for p in people] + [{} for _ in range(empty_blocks)]
    fields = [f for f in spec.fields if f.key not in omit]
    if layout == "wide":
        writer.wide_table(fields, everyone)
    else:
        numbers = heading_numbers or list(range(1, len(everyone) + 1))
        writer.blocks(fields, everyone, numbers, heading, one_table)
    return writer.save()


def flatten(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"poc": {"name": x}}`` → ``{"poc.name": x}``; flat keys pass through."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def _groups(fields: Iterable[FieldSpec]) -> list[tuple[str, list[FieldSpec]]]:
    """Fields grouped by the major item number (1, 2, 3, 4); POC sub-rows stay with 4."""
    groups: list[tuple[str, list[FieldSpec]]] = []
    for spec in fields:
        major = spec.item[:1] if spec.item else groups[-1][0]
        if not groups or groups[-1][0] != major:
            groups.append((major, []))
        groups[-1][1].append(spec)
    return groups


def _fw_item(item: str) -> str:
    """「2(1)」 → 「２（１）」, as printed on the official forms."""
    return to_fullwidth_digits(item).replace("(", "（").replace(")", "）")


class _Writer:
    def __init__(self, spec: FormSpec, opts: WriteOptions, glyphs: tuple[str, str]) -> None:
        # python-docx loads only when a form is written (tests, the demo): it is slow to import
        import docx

        from intake.forms.wordxml import XmlFactory

        self.spec = spec
        self.opts = opts
        self.xml = XmlFactory(glyphs)
        self.doc: Document = docx.Document()

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

    # -- top lines -----------------------------------------------------------------------------
    def header(self, submitted_on: str | None) -> None:
        self.doc.add_paragraph(self.spec.name)
        self.doc.add_paragraph(f"提出日　{_date_text(submitted_on)}")

    def org_line(self, org_name: str, where: str) -> None:
        if where == "row":
            table = self.doc.add_table(rows=1, cols=2)
            table.cell(0, 0).text = "組織・団体名"
            self.fill(table.cell(0, 1), self.spec.field("org_name"), org_name)
        else:
            self.doc.add_paragraph(f"組織・団体名　{org_name}")

    # -- application ---------------------------------------------------------------------------
    def application_group(
        self, group: str, fields: list[FieldSpec], values: dict[str, Any], layout: str
    ) -> None:
        three = layout == "number_label_value"
        heading = GROUP_HEADINGS.get(group)
        if heading and not three:
            self.doc.add_paragraph(f"{to_fullwidth_digits(group)}　{heading}")
        table = self.doc.add_table(rows=0, cols=3 if three else 2)
        table.style = "Table Grid"
        if heading and three:
            cells = table.add_row().cells
            cells[0].merge(cells[2]).text = f"{group}　{heading}"
        first_poc = True
        for spec in fields:
            cells = table.add_row().cells
            label = self._label(spec, first_poc, three)
            if three:
                self._number_cell(cells[0], spec, first_poc)
            cells[1 if three else 0].text = label
            self.fill(cells[-1], spec, values.get(spec.key))
            if spec.section:
                first_poc = False

    def _label(self, spec: FieldSpec, first_in_section: bool, three: bool) -> str:
        text = spec.labels[0]
        if spec.section and first_in_section:
            text = f"{self.spec.sections[0].labels[0]}　{text}"
        elif spec.section:
            return f"　{text}"
        if three or not spec.item:
            return text
        return f"{_fw_item(spec.item)}　{text}"

    def _number_cell(self, cell: _Cell, spec: FieldSpec, first_in_section: bool) -> None:
        from intake.forms.wordxml import set_vmerge

        if spec.section:
            set_vmerge(cell._tc, restart=first_in_section)
            if not first_in_section:
                return
            cell.text = self.spec.sections[0].item
            return
        cell.text = spec.item

    # -- staff registration -------------------------------------------------------------------
    def blocks(
        self,
        fields: list[FieldSpec],
        people: list[dict[str, Any]],
        numbers: list[int],
        heading: str,
        one_table: bool,
    ) -> None:
        table: Table | None = None
        for person, number in zip(people, numbers, strict=False):
            title = f"事務従事者{to_fullwidth_digits(str(number))}"
            if heading == "paragraph":
                self.doc.add_paragraph(title)
            if table is None or not one_table:
                table = self.doc.add_table(rows=0, cols=2)
                table.style = "Table Grid"
            if heading == "row":
                cells = table.add_row().cells
                cells[0].merge(cells[1]).text = title
            for spec in fields:
                cells = table.add_row().cells
                cells[0].text = f"{_fw_item(spec.item)}　{spec.labels[0]}"
                self.fill(cells[1], spec, person.get(spec.key))

    def wide_table(self, fields: list[FieldSpec], people: list[dict[str, Any]]) -> None:
        table = self.doc.add_table(rows=1, cols=len(fields) + 1)
        table.style = "Table Grid"
        header = table.rows[0].cells
        header[0].text = "事務従事者"
        for cell, spec in zip(header[1:], fields, strict=True):
            cell.text = f"{_fw_item(spec.item)}\n{spec.labels[0]}"
        for number, person in enumerate(people, start=1):
            cells = table.add_row().cells
            cells[0].text = to_fullwidth_digits(str(number))
            for cell, spec in zip(cells[1:], fields, strict=True):
                self.fill(cell, spec, person.get(spec.key))

    # -- one value cell -----------------------------------------------------------------------
    def fill(self, cell: _Cell, spec: FieldSpec, value: Any) -> None:
        paragraph = cell.paragraphs[0]._p
        if spec.is_choice and (value is None or isinstance(value, list) or value in spec.options):
            self._boxes(paragraph, spec, value)
            return
        text = "" if value is None else str(value)
        if spec.kind in _DIGIT_KINDS and self.opts.fullwidth:
            text = to_fullwidth_digits(text)
        if not text:
            self._empty(paragraph, spec)
        elif self.opts.text_controls:
            paragraph.append(self.xml.text_control(text))
        elif self.opts.tracked:
            for el in self.xml.tracked("（旧）" + text[::-1], text):
                paragraph.append(el)
        else:
            for part in _split_runs(text):
                paragraph.append(self.xml.run(part))

    def _boxes(self, paragraph: Any, spec: FieldSpec, value: Any) -> None:
        ticked = set(value) if isinstance(value, list) else {value}
        for i, option in enumerate(spec.options):
            if i:
                paragraph.append(self.xml.run("　"))
            for el in self.xml.box(option in ticked, self.opts.checkbox_style):
                paragraph.append(el)
            paragraph.append(self.xml.run(option))

    def _empty(self, paragraph: Any, spec: FieldSpec) -> None:
        hint = HINTS.get(spec.key) if self.opts.hints else None
        if self.opts.text_controls and self.opts.hints:
            paragraph.append(self.xml.text_control("", placeholder=self.spec.placeholders[0]))
        elif hint:
            paragraph.append(self.xml.run(hint))


def _split_runs(text: str) -> list[str]:
    """Word splits typed text into several runs (spell-check, IME); so do we."""
    if len(text) < 4:
        return [text]
    middle = len(text) // 2
    return [text[:middle], text[middle:]]


def _date_text(value: str | None) -> str:
    if not value:
        return "　　年　　月　　日"
    try:
        date = _dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{date.year}年{date.month}月{date.day}日"
