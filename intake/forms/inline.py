"""Inline content of a Word paragraph: text and tick boxes, in reading order.

``python-docx``'s ``paragraph.text`` misses most of what matters in a filled-in form, so runs are
read from the XML here. A paragraph becomes a list of *pieces*: strings and :class:`Box` objects.
Tick boxes come in four styles, all of which occur in real Word files:

* ``glyph`` — a character typed in the text: ticked ☑ ☒ ■ ✓ ✔ ●, unticked ☐ □ ○;
* ``content_control`` — a check-box content control (``w:sdt`` with ``w14:checkbox``; the state is
  ``w14:checked``, the glyph inside is only its picture);
* ``legacy_field`` — an old form field (``w:fldChar`` with ``w:ffData/w:checkBox``): the state is
  ``w:checked`` (no ``w:val`` means checked; "0"/"false" unchecked), else ``w:default``;
* ``symbol`` — a box from the Wingdings / Wingdings 2 fonts (``w:sym`` or a private-use character
  in a run set in that font), e.g. Wingdings F0FE ☑ and F0A8 ◻.

Tracked changes: insertions (``w:ins``, ``w:moveTo``) are read, deletions (``w:del``,
``w:moveFrom``) are not; hidden text (``w:vanish``) is not read either. Text typed into a content
control counts; a control still showing its placeholder (``w:showingPlcHdr``) counts as empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"

TICKED_GLYPHS = "☑☒■✓✔●"
UNTICKED_GLYPHS = "☐□○"
_ON = {"1", "true", "on"}

# Symbol-font code (low byte) → (Unicode picture, ticked). Sources: the Wingdings and Wingdings 2
# code charts (e.g. alanwood.net/demos/wingdings.html).
WINGDINGS: dict[int, tuple[str, bool]] = {
    0xFE: ("☑", True),
    0xFD: ("☒", True),
    0x78: ("⌧", True),
    0xFC: ("✓", True),
    0x6E: ("■", True),
    0x6C: ("●", True),
    0xA8: ("◻", False),
    0x6F: ("□", False),
    0x70: ("□", False),
    0x71: ("❑", False),
    0x72: ("❒", False),
    0xA1: ("○", False),
}
WINGDINGS_2: dict[int, tuple[str, bool]] = {
    0x52: ("☑", True),
    0x53: ("☒", True),
    0x54: ("☒", True),
    0x50: ("✔", True),
    0xA3: ("□", False),
    0x2A: ("□", False),
}
SYMBOL_FONTS = {"wingdings": WINGDINGS, "wingdings 2": WINGDINGS_2}


def w(tag: str) -> str:
    """Clark name of a WordprocessingML tag: ``w("t")`` → ``{…/main}t``."""
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Box:
    """A tick box: its state, its style, and the character Word shows for it."""

    ticked: bool
    style: str
    glyph: str = ""

    def __str__(self) -> str:
        return self.glyph or ("☑" if self.ticked else "☐")


Piece = str | Box


@dataclass(frozen=True)
class Control:
    """A content control or legacy form field, as the corpus report lists them."""

    kind: str  # "checkbox" | "legacy_checkbox" | "text" | "richText" | "dropDownList" | "date" | "legacy_text" …
    text: str
    checked: bool | None = None
    placeholder: bool = False


def pieces_text(pieces: Iterable[Piece]) -> str:
    """The text of pieces, boxes shown as their glyph."""
    return "".join(str(p) for p in pieces)


def on_off(value: str | None) -> bool:
    """ST_OnOff: an absent value means on."""
    return value is None or value.strip().lower() in _ON


class InlineReader:
    """Reads inline content; remembers every control met (for the corpus report)."""

    def __init__(self) -> None:
        self.controls: list[Control] = []

    def read(self, parent: etree._Element) -> list[Piece]:
        """Pieces of a paragraph (or any inline container), in order."""
        out: list[Piece] = []
        for child in parent:
            self._child(child, out)
        return out

    def _child(self, el: etree._Element, out: list[Piece]) -> None:
        tag = el.tag
        if tag == _R:
            self._run(el, out)
        elif tag == _SDT:
            self._sdt(el, out)
        elif tag in _TRANSPARENT:
            for child in el:
                self._child(child, out)
        # w:del, w:moveFrom, drawings, bookmarks, proofing marks: nothing to read

    def _run(self, run: etree._Element, out: list[Piece]) -> None:
        hidden = run.find(_VANISH)
        if hidden is not None and on_off(hidden.get(_VAL)):
            return  # hidden text: Word does not show it
        table = _symbol_table(run)
        for el in run:
            handler = _RUN_CHILDREN.get(el.tag)
            if handler is not None:
                handler(self, el, table, out)

    def _text(self, el: etree._Element, table: dict[int, tuple[str, bool]] | None, out: list[Piece]) -> None:
        out.extend(split_glyphs(el.text or "", table))

    def _sym(self, el: etree._Element, table: dict[int, tuple[str, bool]] | None, out: list[Piece]) -> None:
        font = (el.get(w("font")) or "").strip().lower()
        try:
            code = int(el.get(w("char")) or "", 16)
        except ValueError:
            return
        entry = SYMBOL_FONTS.get(font, {}).get(code & 0xFF if code >= 0xF000 else code)
        if entry is not None:
            out.append(Box(entry[1], "symbol", entry[0]))

    def _field(self, el: etree._Element, table: dict[int, tuple[str, bool]] | None, out: list[Piece]) -> None:
        if el.get(w("fldCharType")) != "begin":
            return
        box = el.find(f"{w('ffData')}/{w('checkBox')}")
        if box is not None:
            state = legacy_checked(box)
            self.controls.append(Control("legacy_checkbox", "", checked=state))
            out.append(Box(state, "legacy_field"))
        elif el.find(f"{w('ffData')}/{w('textInput')}") is not None:
            self.controls.append(Control("legacy_text", ""))

    def _sdt(self, sdt: etree._Element, out: list[Piece]) -> None:
        props = sdt.find(w("sdtPr"))
        content = sdt.find(w("sdtContent"))
        inner = self.read(content) if content is not None else []
        checkbox = props.find(f"{{{W14}}}checkbox") if props is not None else None
        if checkbox is not None:
            state = on_off_w14(checkbox)
            self.controls.append(Control("checkbox", "", checked=state))
            # the content is only the box's picture (☒/☐); the state is w14:checked
            out.append(Box(state, "content_control"))
            return
        placeholder = props is not None and props.find(w("showingPlcHdr")) is not None
        self.controls.append(Control(control_kind(props), pieces_text(inner), placeholder=placeholder))
        if not placeholder:
            out.extend(inner)


_R = w("r")
_SDT = w("sdt")
_TRANSPARENT = {
    w(t)
    for t in ("ins", "moveTo", "hyperlink", "smartTag", "customXml", "fldSimple", "dir", "bdo", "sdtContent")
}


def _break(reader: InlineReader, el: etree._Element, table: object, out: list[Piece]) -> None:
    out.append("\n")


def _tab(reader: InlineReader, el: etree._Element, table: object, out: list[Piece]) -> None:
    out.append("\t")


def _hyphen(reader: InlineReader, el: etree._Element, table: object, out: list[Piece]) -> None:
    out.append("-")


_RUN_CHILDREN: dict[str, Callable[..., None]] = {
    w("t"): InlineReader._text,
    w("sym"): InlineReader._sym,
    w("fldChar"): InlineReader._field,
    w("br"): _break,
    w("cr"): _break,
    w("tab"): _tab,
    w("ptab"): _tab,
    w("noBreakHyphen"): _hyphen,
}


_RFONTS = f"{w('rPr')}/{w('rFonts')}"
_VANISH = f"{w('rPr')}/{w('vanish')}"
_VAL = w("val")
_FONT_ATTRS = tuple(w(a) for a in ("ascii", "hAnsi", "eastAsia", "cs"))


def _symbol_table(run: etree._Element) -> dict[int, tuple[str, bool]] | None:
    """The box table of the run's symbol font, if the run is set in Wingdings / Wingdings 2."""
    fonts = run.find(_RFONTS)
    if fonts is None:
        return None
    for attr in _FONT_ATTRS:
        table = SYMBOL_FONTS.get((fonts.get(attr) or "").strip().lower())
        if table is not None:
            return table
    return None


def split_glyphs(text: str, table: dict[int, tuple[str, bool]] | None = None) -> list[Piece]:
    """Split text at box glyphs; in a symbol-font run, map its codes (plain or U+F0xx) to boxes."""
    out: list[Piece] = []
    buf: list[str] = []
    for ch in text:
        box = _glyph_box(ch, table)
        if box is None:
            buf.append(ch)
            continue
        if buf:
            out.append("".join(buf))
            buf = []
        out.append(box)
    if buf:
        out.append("".join(buf))
    return out


def _glyph_box(ch: str, table: dict[int, tuple[str, bool]] | None) -> Box | None:
    if table is not None:
        code = ord(ch)
        entry = table.get(code - 0xF000 if 0xF000 <= code <= 0xF0FF else code)
        if entry is not None:
            return Box(entry[1], "symbol", entry[0])
    if ch in TICKED_GLYPHS:
        return Box(True, "glyph", ch)
    if ch in UNTICKED_GLYPHS:
        return Box(False, "glyph", ch)
    return None


def legacy_checked(box: etree._Element) -> bool:
    """State of a legacy FORMCHECKBOX: ``w:checked`` wins, else ``w:default``, else unchecked."""
    checked = box.find(w("checked"))
    if checked is not None:
        return on_off(checked.get(w("val")))
    default = box.find(w("default"))
    if default is not None:
        return on_off(default.get(w("val")))
    return False


def on_off_w14(checkbox: etree._Element) -> bool:
    """State of a ``w14:checkbox`` content control (``w14:checked``; missing = unchecked)."""
    checked = checkbox.find(f"{{{W14}}}checked")
    if checked is None:
        return False
    return (checked.get(f"{{{W14}}}val") or "").strip().lower() in _ON


def control_kind(props: etree._Element | None) -> str:
    """The type of a (non check-box) content control: text, richText, dropDownList, date, …"""
    if props is None:
        return "richText"
    for tag in ("text", "dropDownList", "comboBox", "date", "picture", "docPartObj", "group", "citation"):
        if props.find(w(tag)) is not None:
            return tag
    return "richText"
