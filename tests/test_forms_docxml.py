"""The XML reader on hand-written WordprocessingML (the real-world corpus is checked from
``corpus_tests/``, outside this suite)."""

from __future__ import annotations

import pytest
from lxml import etree

from intake.forms.docxml import Cell, Paragraph, Table, read_body
from intake.forms.inline import Box
from intake.forms.normalize import (
    clean_text,
    corporate_number_valid,
    normalize_corporate_number,
    normalize_email,
    normalize_phone,
    parse_japanese_date,
)

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
)


def body(xml: str) -> list[Paragraph | Table]:
    return read_body(etree.fromstring(f"<w:body {NS}>{xml}</w:body>")).blocks


def boxes_of(xml: str) -> list[tuple[bool, str]]:
    pieces = body(f"<w:p>{xml}</w:p>")[0].pieces
    return [(p.ticked, p.style) for p in pieces if isinstance(p, Box)]


def legacy(inner: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:sizeAuto/>'
        f"{inner}</w:checkBox></w:ffData></w:fldChar></w:r>"
        '<w:r><w:instrText> FORMCHECKBOX </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


@pytest.mark.parametrize(
    ("inner", "ticked"),
    [
        ('<w:default w:val="0"/>', False),
        ('<w:default w:val="1"/>', True),
        ('<w:default w:val="true"/>', True),
        ("<w:checked/>", True),
        ('<w:default w:val="0"/><w:checked/>', True),
        ('<w:default w:val="1"/><w:checked w:val="0"/>', False),
        ('<w:checked w:val="false"/>', False),
        ('<w:checked w:val="1"/>', True),
        ("", False),
    ],
)
def test_legacy_check_box_states(inner: str, ticked: bool) -> None:
    assert boxes_of(legacy(inner)) == [(ticked, "legacy_field")]


@pytest.mark.parametrize(("val", "ticked"), [("1", True), ("true", True), ("0", False), ("false", False)])
def test_content_control_check_box(val: str, ticked: bool) -> None:
    shown = "☐" if ticked else "☒"  # a stale picture must not matter: the state is w14:checked
    xml = (
        f'<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="{val}"/></w14:checkbox></w:sdtPr>'
        f"<w:sdtContent><w:r><w:t>{shown}</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>する</w:t></w:r>"
    )
    pieces = body(f"<w:p>{xml}</w:p>")[0].pieces
    assert pieces == [Box(ticked, "content_control"), "する"]


@pytest.mark.parametrize(
    ("font", "char", "ticked"),
    [
        ("Wingdings", "F0FE", True),
        ("Wingdings", "F0FD", True),
        ("Wingdings", "F078", True),
        ("Wingdings", "F0A8", False),
        ("Wingdings", "F06F", False),
        ("Wingdings", "00FE", True),
        ("Wingdings 2", "F052", True),
        ("Wingdings 2", "F054", True),
        ("Wingdings 2", "F0A3", False),
        ("wingdings 2", "f02a", False),
    ],
)
def test_wingdings_symbols(font: str, char: str, ticked: bool) -> None:
    assert boxes_of(f'<w:r><w:sym w:font="{font}" w:char="{char}"/></w:r>') == [(ticked, "symbol")]


def test_symbol_font_characters_in_text_as_libreoffice_writes_them() -> None:
    xml = (
        '<w:r><w:rPr><w:rFonts w:ascii="Wingdings" w:hAnsi="Wingdings"/></w:rPr><w:t>\uf0fe</w:t></w:r>'
        "<w:r><w:t>要</w:t></w:r>"
        '<w:r><w:rPr><w:rFonts w:ascii="Wingdings 2"/></w:rPr><w:t>\u00a3</w:t></w:r><w:r><w:t>不要</w:t></w:r>'
    )
    assert body(f"<w:p>{xml}</w:p>")[0].pieces == [
        Box(True, "symbol", "☑"),
        "要",
        Box(False, "symbol", "□"),
        "不要",
    ]


def test_glyphs_in_text_split_into_boxes() -> None:
    pieces = body("<w:p><w:r><w:t>☑新規　□継続 ●廃止 ✔ ○</w:t></w:r></w:p>")[0].pieces
    assert [(p.ticked, p.glyph) for p in pieces if isinstance(p, Box)] == [
        (True, "☑"),
        (False, "□"),
        (True, "●"),
        (True, "✔"),
        (False, "○"),
    ]
    assert [p for p in pieces if isinstance(p, str)] == ["新規　", "継続 ", "廃止 ", " "]


def test_tracked_changes_and_moves() -> None:
    xml = (
        "<w:p><w:r><w:t>A</w:t></w:r>"
        "<w:del><w:r><w:delText>old</w:delText></w:r><w:r><w:t>oldT</w:t></w:r></w:del>"
        "<w:ins><w:r><w:t>new</w:t></w:r></w:ins>"
        "<w:moveFrom><w:r><w:t>gone</w:t></w:r></w:moveFrom><w:moveTo><w:r><w:t>here</w:t></w:r></w:moveTo>"
        "</w:p>"
    )
    assert body(xml)[0].text == "Anewhere"


def test_text_controls_inline_block_and_placeholder() -> None:
    xml = (
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc><w:tc>"
        "<w:sdt><w:sdtPr><w:text/></w:sdtPr><w:sdtContent><w:p><w:r><w:t>山田</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        "<w:p><w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>太郎</w:t></w:r></w:sdtContent></w:sdt>"
        "<w:sdt><w:sdtPr><w:showingPlcHdr/><w:text/></w:sdtPr><w:sdtContent><w:r><w:t>ここをクリック</w:t></w:r>"
        "</w:sdtContent></w:sdt></w:p></w:tc></w:tr></w:tbl>"
    )
    table = body(xml)[0]
    assert isinstance(table, Table)
    assert [c.text for c in table.rows[0].cells] == ["氏名", "山田\n太郎"]


def test_merged_cells_are_read_once_with_grid_positions() -> None:
    xml = (
        "<w:tbl>"
        '<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>4(1)</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>氏名</w:t></w:r></w:p></w:tc>'
        "<w:tc><w:p><w:r><w:t>花子</w:t></w:r></w:p></w:tc></w:tr>"
        "<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>"
        "<w:tc><w:p><w:r><w:t>ふりがな</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc>"
        "<w:sdt><w:sdtContent><w:tc><w:p><w:r><w:t>はなこ</w:t></w:r></w:p></w:tc></w:sdtContent></w:sdt></w:tr>"
        '<w:tr><w:trPr><w:del w:id="1" w:author="x"/></w:trPr><w:tc><w:p><w:r><w:t>deleted row</w:t></w:r></w:p></w:tc></w:tr>'
        "</w:tbl>"
    )
    rows = body(xml)[0].rows
    assert len(rows) == 2
    assert [(c.text, c.col, c.span, c.continued) for c in rows[0].cells] == [
        ("4(1)", 0, 1, False),
        ("氏名", 1, 2, False),
        ("花子", 3, 1, False),
    ]
    assert [(c.text, c.col, c.continued) for c in rows[1].cells] == [
        ("", 0, True),
        ("ふりがな", 1, False),
        ("", 2, False),
        ("はなこ", 3, False),
    ]


def test_nested_tables_stay_on_their_cell() -> None:
    xml = (
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>outer</w:t></w:r></w:p>"
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>inner</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc></w:tr></w:tbl>"
    )
    cell: Cell = body(xml)[0].rows[0].cells[0]
    assert cell.text.strip() == "outer"
    assert cell.tables[0].rows[0].cells[0].text == "inner"


def test_normalisation_helpers() -> None:
    assert parse_japanese_date("令和８年１０月５日") == "2026-10-05"
    assert parse_japanese_date("平成31年4月30日") == "2019-04-30"
    assert parse_japanese_date("令和元年5月1日") == "2019-05-01"
    assert parse_japanese_date("R8.10.5") == "2026-10-05"
    assert parse_japanese_date("20XX年X月X日") is None
    assert corporate_number_valid("7000012050002")
    assert not corporate_number_valid("7000012050003")
    assert normalize_corporate_number("T７０００ ０１２０ ５０００２") == ("7000012050002", True)
    assert normalize_corporate_number("700001205000") == ("700001205000", False)
    assert normalize_phone("０３（１２３４）５６７８　内線１２") == ("03(1234)5678内線12", True)
    assert normalize_phone("03-1234-567") == ("03-1234-567", False)
    assert normalize_email("Taro.Kyogikai＠Example.CO.JP") == ("Taro.Kyogikai@example.co.jp", True)
    assert normalize_email("taro@") == ("taro@", False)
    markers = ("（例）", "例：", "※")
    assert clean_text("（例）株式会社〇〇", markers) is None
    assert clean_text("山田　　太郎\n※ふりがなも記入", markers) == "山田\u3000太郎"
    assert clean_text("  東京都 \n 港区 例：東京都千代田区", markers) == "東京都 港区"


def test_hidden_text_is_not_read() -> None:
    xml = (
        "<w:p><w:r><w:rPr><w:vanish/></w:rPr><w:t>（記入要領）</w:t></w:r>"
        '<w:r><w:rPr><w:vanish w:val="0"/></w:rPr><w:t>見える</w:t></w:r><w:r><w:t>文字</w:t></w:r></w:p>'
    )
    assert body(xml)[0].text == "見える文字"
