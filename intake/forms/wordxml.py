"""Small builders of WordprocessingML elements, used by the form writer.

They produce the markup real applicants' files contain: plain runs, tick boxes in the four styles
(glyph, content control, legacy form field, Wingdings symbol), text content controls and tracked
changes.
"""

from __future__ import annotations

import itertools

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

CHECKBOX_STYLES = ("glyph", "content_control", "legacy_field", "wingdings")
_DATE = "2026-10-01T09:00:00Z"

# (font, ticked code, unticked code): Wingdings ☑ F0FE / ◻ F0A8, Wingdings 2 ☑ F052 / □ F0A3
_SYMBOLS = (("Wingdings", "F0FE", "F0A8"), ("Wingdings 2", "F052", "F0A3"), ("Wingdings", "F0FD", "F06F"))
# legacy check boxes: the ways Word and other tools record the same state
_LEGACY_TICKED = ((("checked", None),), (("default", "1"),), (("default", "0"), ("checked", "true")))
_LEGACY_UNTICKED = ((("default", "0"),), (("default", "1"), ("checked", "0")), (("checked", "false"),))


class XmlFactory:
    """Builds elements; numbers ids and cycles through style variants deterministically."""

    def __init__(self, glyphs: tuple[str, str] = ("☑", "☐")) -> None:
        self.glyphs = glyphs
        self._ids = itertools.count(1)
        self._variant = itertools.count()

    def run(self, text: str, font: str | None = None) -> etree._Element:
        """``<w:r><w:t xml:space="preserve">text</w:t></w:r>`` (line breaks become ``w:br``)."""
        r = OxmlElement("w:r")
        if font:
            r.append(_fonts(font))
        for i, line in enumerate(text.split("\n")):
            if i:
                r.append(OxmlElement("w:br"))
            t = OxmlElement("w:t")
            t.set(qn("xml:space"), "preserve")
            t.text = line
            r.append(t)
        return r

    def box(self, ticked: bool, style: str) -> list[etree._Element]:
        """The elements of one tick box in ``style`` (see CHECKBOX_STYLES)."""
        if style == "glyph":
            return [self.run(self.glyphs[0] if ticked else self.glyphs[1])]
        if style == "content_control":
            return [self._checkbox_control(ticked)]
        if style == "legacy_field":
            return self._legacy_checkbox(ticked)
        if style == "wingdings":
            return [self._symbol(ticked)]
        raise ValueError(f"checkbox_style must be one of {', '.join(CHECKBOX_STYLES)}, not {style!r}")

    def text_control(self, text: str, placeholder: str | None = None) -> etree._Element:
        """A plain-text content control holding ``text`` (or showing ``placeholder``)."""
        sdt = OxmlElement("w:sdt")
        pr = _sub(sdt, "w:sdtPr")
        _sub(pr, "w:id").set(qn("w:val"), str(next(self._ids)))
        if placeholder is not None:
            _sub(pr, "w:showingPlcHdr")
        _sub(pr, "w:text")
        content = _sub(sdt, "w:sdtContent")
        content.append(self.run(placeholder if placeholder is not None else text))
        return sdt

    def tracked(self, old: str, new: str) -> list[etree._Element]:
        """A tracked change replacing ``old`` by ``new`` (``w:del`` then ``w:ins``)."""
        deleted = self._change("w:del")
        r = _sub(deleted, "w:r")
        t = _sub(r, "w:delText")
        t.set(qn("xml:space"), "preserve")
        t.text = old
        inserted = self._change("w:ins")
        inserted.append(self.run(new))
        return [deleted, inserted]

    def _change(self, tag: str) -> etree._Element:
        el = OxmlElement(tag)
        el.set(qn("w:id"), str(next(self._ids)))
        el.set(qn("w:author"), "申請者")
        el.set(qn("w:date"), _DATE)
        return el

    def _checkbox_control(self, ticked: bool) -> etree._Element:
        sdt = OxmlElement("w:sdt")
        pr = _sub(sdt, "w:sdtPr")
        _sub(pr, "w:id").set(qn("w:val"), str(next(self._ids)))
        box = _sub(pr, "w14:checkbox")
        _sub(box, "w14:checked").set(qn("w14:val"), "1" if ticked else "0")
        for tag, code in (("w14:checkedState", "2612"), ("w14:uncheckedState", "2610")):
            state = _sub(box, tag)
            state.set(qn("w14:val"), code)
            state.set(qn("w14:font"), "MS Gothic")
        content = _sub(sdt, "w:sdtContent")
        content.append(self.run("☒" if ticked else "☐", font="MS Gothic"))
        return sdt

    def _legacy_checkbox(self, ticked: bool) -> list[etree._Element]:
        n = next(self._variant)
        begin = OxmlElement("w:r")
        fld = _sub(begin, "w:fldChar")
        fld.set(qn("w:fldCharType"), "begin")
        data = _sub(fld, "w:ffData")
        _sub(data, "w:name").set(qn("w:val"), f"Check{n + 1}")
        _sub(data, "w:enabled")
        _sub(data, "w:calcOnExit").set(qn("w:val"), "0")
        box = _sub(data, "w:checkBox")
        _sub(box, "w:sizeAuto")
        variants = _LEGACY_TICKED if ticked else _LEGACY_UNTICKED
        for tag, val in variants[n % len(variants)]:
            el = _sub(box, f"w:{tag}")
            if val is not None:
                el.set(qn("w:val"), val)
        instr = OxmlElement("w:r")
        text = _sub(instr, "w:instrText")
        text.set(qn("xml:space"), "preserve")
        text.text = " FORMCHECKBOX "
        return [begin, instr, _fld_char("separate"), _fld_char("end")]

    def _symbol(self, ticked: bool) -> etree._Element:
        font, on, off = _SYMBOLS[next(self._variant) % len(_SYMBOLS)]
        r = OxmlElement("w:r")
        r.append(_fonts(font))
        sym = _sub(r, "w:sym")
        sym.set(qn("w:font"), font)
        sym.set(qn("w:char"), on if ticked else off)
        return r


def _fld_char(kind: str) -> etree._Element:
    r = OxmlElement("w:r")
    _sub(r, "w:fldChar").set(qn("w:fldCharType"), kind)
    return r


def _fonts(font: str) -> etree._Element:
    pr = OxmlElement("w:rPr")
    fonts = _sub(pr, "w:rFonts")
    for attr in ("w:ascii", "w:eastAsia", "w:hAnsi"):
        fonts.set(qn(attr), font)
    return pr


def _sub(parent: etree._Element, tag: str) -> etree._Element:
    child = OxmlElement(tag)
    parent.append(child)
    return child


def set_vmerge(tc: etree._Element, restart: bool) -> None:
    """Mark a ``w:tc`` as starting (restart) or continuing a vertical merge."""
    pr = tc.get_or_add_tcPr()
    merge = OxmlElement("w:vMerge")
    if restart:
        merge.set(qn("w:val"), "restart")
    pr.append(merge)
