"""Write a form with intake.forms.writer, read it back with extract_form: the values must survive.

Every form × every tick-box style × every layout, with clean values and with the defects
applicants produce (no box ticked, two boxes ticked, empty cells, hints, full-width digits,
copied blocks, deleted rows, tracked changes, content controls).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement

from intake.errors import ConfigError, DocumentError
from intake.forms import (
    extract_form,
    load_form_specs,
    write_application,
    write_staff_registration,
)
from intake.forms.extract import STRICT_MESSAGE
from intake.forms.wordxml import CHECKBOX_STYLES
from intake.resources import default_rules_dir
from support.samples import (
    APPLICATION,
    PEOPLE,
    application,
    build_docx,
    expected_application,
    expected_staff,
    specs,
)

STYLES = CHECKBOX_STYLES
APP_LAYOUTS = ("label_value", "number_label_value")
STAFF_LAYOUTS = ("blocks", "wide")


def problems(form) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in form.problems:
        out.setdefault(p.field, []).append(p.problem)
    return out


# -- clean forms ----------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", APP_LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_application_values_survive(style: str, layout: str) -> None:
    data = write_application(
        dict(APPLICATION, submitted_on="2026-10-05"), checkbox_style=style, layout=layout
    )
    form = extract_form(data, specs=specs())
    assert form.document == "application"
    assert form.title == "サイバーセキュリティ協議会加入申込書（申込み事項変更届）"
    assert form.submitted_on == "2026-10-05"
    assert form.org_name == "テスト株式会社"
    assert form.as_json() == expected_application(APPLICATION)
    assert form.problems == []
    assert form.fields["receive_secrets"].ticked == ("希望する",)
    assert form.staff == []


@pytest.mark.parametrize("layout", STAFF_LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_staff_registration_values_survive(style: str, layout: str) -> None:
    data = write_staff_registration(
        "テスト株式会社", PEOPLE, checkbox_style=style, layout=layout, submitted_on="令和8年10月5日"
    )
    form = extract_form(data, specs=specs())
    assert form.document == "staff_registration"
    assert form.title == "サイバーセキュリティ協議会事務従事者登録届"
    assert form.submitted_on == "2026-10-05"
    assert form.org_name == "テスト株式会社"
    assert form.as_json() == expected_staff(PEOPLE, "テスト株式会社")
    assert form.problems == []
    assert form.fields == {}
    assert form.staff[2]["application_type"].ticked == ("廃止",)


# -- defects: no box, two boxes, empty cells ------------------------------------------------------
@pytest.mark.parametrize("layout", APP_LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_application_unticked_double_ticked_and_empty(style: str, layout: str) -> None:
    values = application(
        roster_publication=None,
        receive_secrets=["希望する", "希望しない"],
        category=["国の行政機関", "地方公共団体", "その他"],
        department=None,
        poc_email=None,
    )
    form = extract_form(write_application(values, checkbox_style=style, layout=layout), specs=specs())
    assert form.as_json() == expected_application(values)
    found = problems(form)
    assert found.pop("roster_publication") == ["no box ticked"]
    assert found.pop("receive_secrets") == ["two boxes ticked: 希望する, 希望しない"]
    assert found.pop("category") == ["three boxes ticked: 国の行政機関, 地方公共団体, その他"]
    assert found == {}
    assert form.submitted_on is None  # 「提出日　　　年　　月　　日」 left blank
    assert form.fields["receive_secrets"].ticked == ("希望する", "希望しない")
    assert form.fields["roster_publication"].ticked == ()
    assert form.fields["department"].value is None
    assert form.fields["department"].original == ""
    assert form.fields["poc.email"].value is None


@pytest.mark.parametrize("layout", STAFF_LAYOUTS)
@pytest.mark.parametrize("style", STYLES)
def test_staff_unticked_double_ticked_and_empty(style: str, layout: str) -> None:
    people = [dict(p) for p in PEOPLE]
    people[0]["application_type"] = None
    people[1]["poc"] = ["する", "しない"]
    people[2]["email"] = None
    form = extract_form(
        write_staff_registration("テスト株式会社", people, checkbox_style=style, layout=layout), specs=specs()
    )
    assert form.as_json() == expected_staff(people, "テスト株式会社")
    found = problems(form)
    assert found.pop("staff[1].application_type") == ["no box ticked"]
    assert found.pop("staff[2].poc") == ["two boxes ticked: する, しない"]
    assert found == {}
    assert form.staff[2]["email"].original == ""


# -- applicants' noise ----------------------------------------------------------------------------
def test_full_width_digits_are_normalised_and_original_kept() -> None:
    data = write_application(APPLICATION, fullwidth=True, checkbox_style="legacy_field")
    form = extract_form(data, specs=specs())
    assert form.fields["poc.phone"].value == "03-1234-5678"
    assert form.fields["poc.phone"].original == "０３－１２３４－５６７８"
    assert form.fields["corporate_number"].value == "7000012050002"
    assert form.fields["corporate_number"].original == "７０００ ０１２０ ５０００２".replace(" ", "")
    staff = write_staff_registration("テスト株式会社", PEOPLE[:1], fullwidth=True, layout="wide")
    person = extract_form(staff, specs=specs()).staff[0]
    assert (person["phone"].value, person["mobile"].value) == ("03-1234-5678", "090-1234-5678")


@pytest.mark.parametrize("layout", APP_LAYOUTS)
def test_template_hints_in_empty_cells_are_removed(layout: str) -> None:
    values = application(org_name_kana=None, corporate_number=None, address=None, poc_phone=None)
    form = extract_form(write_application(values, hints=True, layout=layout), specs=specs())
    assert form.fields["org_name_kana"].value is None
    assert form.fields["org_name_kana"].original == "（例）かぶしきがいしゃまるまる"
    assert form.fields["corporate_number"].value is None
    assert form.fields["corporate_number"].original == "例：1234567890123"
    assert form.fields["address"].value is None
    assert form.fields["poc.phone"].value is None
    assert form.fields["org_name"].value == "テスト株式会社"
    assert "org_name_kana" not in problems(form)


@pytest.mark.parametrize("layout", APP_LAYOUTS)
def test_the_forms_own_instruction_left_in_a_cell_is_empty(layout: str) -> None:
    values = application(department=None)
    form = extract_form(write_application(values, hints=True, layout=layout), specs=specs())
    assert form.fields["department"].original == "（組織内の一部署で申し込む場合に記入）"
    assert form.fields["department"].value is None
    assert form.fields["org_name"].value == "テスト株式会社"


def test_instructions_and_examples_in_any_bracket_are_empty_but_a_value_beside_them_is_kept() -> None:
    data = build_docx(
        "サイバーセキュリティ協議会加入申込書（申込み事項変更届）",
        [
            ["２（４）　部署名", "(組織内の一部署で申し込む場合に記入)"],
            ["２（５）　所在地", "【所在地を記入してください】\n記入例：東京都千代田区〇〇１－２－３"],
            ["２（２）　組織・団体名（ふりがな）", "てすとかぶしきがいしゃ\n（ふりがなを記入）"],
        ],
    )
    form = extract_form(data, specs=specs())
    assert form.fields["department"].value is None
    assert form.fields["address"].value is None
    assert form.fields["org_name_kana"].value == "てすとかぶしきがいしゃ"


def test_a_content_control_holding_words_placeholder_text_is_empty() -> None:
    """The placeholder's text typed in, or kept after Word dropped showingPlcHdr, is not a value."""
    values = application(
        department="ここをクリックまたはタップしてテキストを入力してください。",
        poc_title="Click or tap here to enter text.",
    )
    form = extract_form(write_application(values, text_controls=True), specs=specs())
    assert form.fields["department"].value is None and form.fields["poc.title"].value is None
    assert form.fields["org_name"].value == "テスト株式会社"


def test_hint_left_beside_a_value_is_removed() -> None:
    data = build_docx(
        "サイバーセキュリティ協議会加入申込書（申込み事項変更届）",
        [
            ["２（１）　組織・団体名", "テスト株式会社\n（例）株式会社〇〇"],
            ["２（５）　所在地", "東京都港区1-2-3　例：東京都千代田区"],
        ],
    )
    form = extract_form(data, specs=specs())
    assert form.fields["org_name"].value == "テスト株式会社"
    assert form.fields["org_name"].original == "テスト株式会社\n（例）株式会社〇〇"
    assert form.fields["address"].value == "東京都港区1-2-3"


def test_empty_template_blocks_with_hints_are_ignored() -> None:
    data = write_staff_registration("テスト株式会社", PEOPLE[:2], empty_blocks=2, hints=True)
    form = extract_form(data, specs=specs())
    assert [p["name"].value for p in form.staff] == ["協議会　太郎", "山田　花子"]
    assert problems(form).get("staff[3].name") is None


def test_text_typed_in_content_controls_and_placeholders() -> None:
    values = application(department=None, poc_title=None)
    form = extract_form(write_application(values, text_controls=True, hints=True), specs=specs())
    assert form.fields["org_name"].value == "テスト株式会社"
    assert form.fields["poc.email"].value == "hanako@example.co.jp"
    assert form.fields["department"].value is None  # control still showing its placeholder
    assert form.fields["poc.title"].value is None


def test_tracked_changes_read_insertions_not_deletions() -> None:
    form = extract_form(write_application(APPLICATION, tracked=True), specs=specs())
    assert form.as_json() == expected_application(APPLICATION)
    assert "（旧）" not in (form.fields["org_name"].original or "")


@pytest.mark.parametrize("glyphs", [("■", "□"), ("●", "○"), ("✓", "☐"), ("✔", "□"), ("☒", "☐")])
def test_every_tick_glyph(glyphs: tuple[str, str]) -> None:
    values = application(receive_secrets="希望しない", category="その他")
    form = extract_form(write_application(values, glyphs=glyphs), specs=specs())
    assert form.as_json() == expected_application(values)


# -- copied blocks and layouts ------------------------------------------------------------------
@pytest.mark.parametrize("heading", ["paragraph", "row", "none"])
@pytest.mark.parametrize("one_table", [False, True])
def test_copied_person_blocks(heading: str, one_table: bool) -> None:
    people = PEOPLE + [dict(PEOPLE[0], name="追加　四郎", email="shiro@example.co.jp")]
    data = write_staff_registration(
        "テスト株式会社", people, heading=heading, one_table=one_table, heading_numbers=[1, 1, 2, 2]
    )
    form = extract_form(data, specs=specs())
    assert [p["name"].value for p in form.staff] == ["協議会　太郎", "山田　花子", "佐藤　次郎", "追加　四郎"]
    assert form.as_json() == expected_staff(people, "テスト株式会社")


def test_person_numbering_skips_empty_blocks() -> None:
    people = [PEOPLE[0], {}, dict(PEOPLE[1], poc=None)]
    form = extract_form(write_staff_registration("テスト株式会社", people, org_line="row"), specs=specs())
    assert len(form.staff) == 2
    assert problems(form) == {"staff[2].poc": ["no box ticked"]}
    assert form.org_name == "テスト株式会社"


def test_deleted_rows_are_reported() -> None:
    form = extract_form(write_application(APPLICATION, omit={"department", "poc.name_kana"}), specs=specs())
    found = problems(form)
    assert found["department"] == ["label not found"]
    assert found["poc.name_kana"] == ["label not found"]
    assert form.fields["department"].original is None
    assert form.fields["poc.title"].value == "情報システム部 課長"
    staff = extract_form(
        write_staff_registration("テスト株式会社", PEOPLE[:1], omit={"mobile"}), specs=specs()
    )
    assert problems(staff)["staff[1].mobile"] == ["label not found"]


def test_poc_rows_are_not_confused_with_other_labels() -> None:
    values = application(poc_phone="03-0000-1111", poc_email="poc@example.jp", poc_name_kana="ぽっく")
    form = extract_form(write_application(values, layout="number_label_value"), specs=specs())
    assert form.as_json()["application"]["poc"] == values["poc"]
    assert form.fields["org_name_kana"].value == "てすとかぶしきがいしゃ"


def test_tables_nested_in_a_layout_table() -> None:
    document = docx.Document(io.BytesIO(write_application(APPLICATION, checkbox_style="content_control")))
    body = document.element.body
    outer = document.add_table(rows=1, cols=1)._tbl
    cell = outer.find(".//" + outer.tag.replace("tbl", "tc"))
    for tbl in list(body.iterchildren(outer.tag)):
        if tbl is not outer:
            cell.insert(len(cell) - 1, tbl)
    cell.append(OxmlElement("w:p"))
    out = io.BytesIO()
    document.save(out)
    form = extract_form(out.getvalue(), specs=specs())
    assert form.as_json() == expected_application(APPLICATION)


def test_hand_made_variants() -> None:
    """Layouts the writer does not produce: label｜value pairs side by side, boxes after their
    option, a typed option without boxes, a 4(1) row with no sub-label, unknown label wording."""
    data = build_docx(
        "（様式１）サイバーセキュリティ協議会加入申込書",
        "提出日：令和８年１０月１日",
        [["1 申込区分", "新規加入☑　申込み事項の変更☐"]],
        [["2(1)", "組織の正式な名称", "テスト株式会社"], ["2(7) 区分", "その他"]],
        [
            [
                "3(2) 秘密を含む情報の受信",
                "☐希望する ■希望しない",
                "3(4) 構成員名簿への登載",
                "☑登載する ☐登載しない",
            ]
        ],
        [
            ["4(1) 担当者代表（POC）", "協議会　花子"],
            ["ふりがな", "きょうぎかい　はなこ"],
            ["電子メール", "ｈａｎａｋｏ＠Example.CO.JP"],
        ],
    )
    form = extract_form(data, specs=specs())
    got = form.as_json()["application"]
    assert form.submitted_on == "2026-10-01"
    assert got["application_kind"] == "新規加入"
    assert got["org_name"] == "テスト株式会社"
    assert got["category"] == "その他"
    assert (got["receive_secrets"], got["roster_publication"]) == ("希望しない", "登載する")
    assert got["poc"] == {
        "name": "協議会　花子",
        "name_kana": "きょうぎかい　はなこ",
        "title": None,
        "phone": None,
        "email": "hanako@example.co.jp",
    }
    assert problems(form)["poc.title"] == ["label not found"]


def test_staff_header_row_and_unreadable_values() -> None:
    data = build_docx(
        "サイバーセキュリティ協議会事務従事者登録届",
        "提出日　令和８年１３月１日",
        [["組織・団体名", "株式会社サンプル"]],
        "事務従事者１",
        [
            ["（１）氏名", "協議会 太郎"],
            ["（５）電話番号", "内線のみ"],
            ["（７）電子メール", "taro at example"],
            ["（８）申請区分", "☑新規 ☐継続 ☐廃止"],
            ["（９）協議会システム登録", "☐要 ☑不要"],
            ["（10）POCとしての登録", "☑する ☐しない"],
        ],
    )
    form = extract_form(data, specs=specs())
    found = problems(form)
    assert form.org_name == "株式会社サンプル"
    assert found["staff[1].phone"] == ["value unreadable: not a phone number"]
    assert found["staff[1].email"] == ["value unreadable: not an e-mail address"]
    assert found["staff[1].department"] == ["label not found"]
    assert form.staff[0]["phone"].value == "内線のみ"
    assert form.staff[0]["system_registration"].value == "不要"
    assert form.submitted_on is None
    assert found["submitted_on"] == ["value unreadable: not a date"]


# -- other documents and unreadable files ---------------------------------------------------------
def test_a_document_that_is_neither_form() -> None:
    data = build_docx(
        "会議資料", "サイバーセキュリティ協議会加入申込書を提出してください。", [["氏名", "山田"]]
    )
    form = extract_form(data, specs=specs())
    assert form.document is None
    assert form.as_json() == {}
    assert (form.fields, form.staff, form.problems) == ({}, [], [])


def test_document_type_comes_from_the_title_not_the_order_of_words() -> None:
    data = build_docx(
        "サイバーセキュリティ協議会事務従事者登録届",
        "※加入申込書と併せて提出",
        "事務従事者１",
        [["（１）氏名", "甲"]],
    )
    assert extract_form(data, specs=specs()).document == "staff_registration"


def test_unreadable_files_raise_document_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="not a Word .docx"):
        extract_form(b"%PDF-1.7 ...", specs=specs())
    with pytest.raises(DocumentError, match="old binary Word"):
        extract_form(b"\xd0\xcf\x11\xe0" + b"\0" * 100, specs=specs())
    with pytest.raises(DocumentError, match="damaged"):
        extract_form(b"PK\x03\x04 broken", specs=specs())
    with pytest.raises(DocumentError) as err:
        extract_form(_strict_variant(write_application(APPLICATION)), specs=specs())
    assert str(err.value) == STRICT_MESSAGE


def _strict_variant(data: bytes) -> bytes:
    """The same package with Strict OOXML relationship types and namespaces."""
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            body = body.replace(
                b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                b"http://purl.oclc.org/ooxml/officeDocument/relationships",
            )
            body = body.replace(
                b"http://schemas.openxmlformats.org/wordprocessingml/2006/main",
                b"http://purl.oclc.org/ooxml/wordprocessingml/main",
            )
            dst.writestr(item, body)
    return out.getvalue()


# -- the rules files drive everything -----------------------------------------------------------
def test_a_new_edition_is_a_data_change(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir() / "forms", rules / "forms")
    path = rules / "forms" / "application.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('labels = ["申込区分"]', 'labels = ["申込みの種別"]'),
        encoding="utf-8",
    )
    new_specs = load_form_specs(rules)
    data = write_application(APPLICATION, specs=new_specs)
    assert extract_form(data, specs=new_specs).fields["application_kind"].value == "新規加入"
    old = extract_form(data, specs=specs())
    assert problems(old)["application_kind"] == ["label not found"]


def test_required_flags_and_conditions_are_data() -> None:
    spec = specs()["application"]
    values = {k: v for k, v in expected_application(APPLICATION)["application"].items() if k != "poc"}
    assert "sector" in spec.required_keys(values)
    assert "corporate_number" not in spec.required_keys(values)
    assert "sector" not in spec.required_keys(dict(values, category="教育研究機関"))
    assert spec.missing_required(dict(values, sector=None, org_name="")) == ["org_name", "sector"] + [
        f"poc.{k}" for k in ("name", "name_kana", "title", "phone", "email")
    ]


def test_a_broken_rules_file_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    bad = tmp_path / "forms" / "x.toml"
    bad.write_text(
        '[form]\nid = "x"\nname = "X"\ntitles = ["X"]\n[[field]]\nkey = "a"\nlabels = ["A"]\nkind = "colour"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"x\.toml: field\[0\]\.kind: 'colour' is not one of"):
        load_form_specs(tmp_path)
    bad.write_text(
        '[form]\nid = "x"\nname = "X"\ntitles = ["X"]\n[[field]]\nkey = "a"\nlabels = ["A"]\nitem = "two"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"field\[0\]\.item: 'two' is not an item number"):
        load_form_specs(tmp_path)


def test_heading_in_a_merged_first_column() -> None:
    """「事務従事者１」 in a vertically merged first column, items in the next columns."""
    document = docx.Document()
    document.add_paragraph("サイバーセキュリティ協議会事務従事者登録届")
    document.add_paragraph("組織・団体名：テスト株式会社")
    table = document.add_table(rows=0, cols=3)
    for number, person in enumerate(PEOPLE[:2], start=1):
        rows = [table.add_row().cells for _ in range(3)]
        rows[0][0].merge(rows[2][0]).text = f"事務従事者{number}"
        for cells, (label, key) in zip(
            rows,
            [("(1) 氏名", "name"), ("(7) 電子メール", "email"), ("(10) POCとしての登録", "poc")],
            strict=True,
        ):
            cells[1].text = label
            cells[2].text = (
                "".join(f"{'☑' if o == person[key] else '☐'}{o} " for o in ("する", "しない"))
                if key == "poc"
                else person[key]
            )
    out = io.BytesIO()
    document.save(out)
    form = extract_form(out.getvalue(), specs=specs())
    assert form.org_name == "テスト株式会社"
    assert [(p["name"].value, p["email"].value, p["poc"].value) for p in form.staff] == [
        ("協議会　太郎", "taro@example.co.jp", "する"),
        ("山田　花子", "hanako@example.co.jp", "しない"),
    ]


def test_a_second_form_in_the_same_file_is_not_mixed_in() -> None:
    data = build_docx(
        "サイバーセキュリティ協議会加入申込書（申込み事項変更届）",
        [["4(1) 担当者代表（POC） 氏名", "協議会　花子"], ["電話番号", "03-1234-5678"]],
        "サイバーセキュリティ協議会事務従事者登録届",
        "事務従事者１",
        [
            ["（１）氏名", "別人　太郎"],
            ["（５）電話番号", "06-0000-0000"],
            ["（７）電子メール", "x@example.jp"],
        ],
    )
    form = extract_form(data, specs=specs())
    assert form.document == "application"
    assert (form.fields["poc.name"].value, form.fields["poc.phone"].value) == ("協議会　花子", "03-1234-5678")
    assert form.fields["poc.email"].value is None
    assert problems(form)["document"] == [
        "a second form (サイバーセキュリティ協議会事務従事者登録届) follows in the same file; only the first was read"
    ]


def test_rows_after_the_poc_block_are_not_taken_for_the_poc() -> None:
    """A 4(2) deputy contact with the same sub-labels must not fill the POC's empty cells."""
    data = build_docx(
        "サイバーセキュリティ協議会加入申込書（申込み事項変更届）",
        "４　担当者",
        "（１）担当者代表（POC）",
        [["氏名", "協議会　花子"], ["電話番号", ""], ["電子メール", "hanako@example.co.jp"]],
        "（２）副担当者",
        [["氏名", "副　次郎"], ["電話番号", "03-9999-9999"], ["電子メール", "jiro@example.co.jp"]],
    )
    form = extract_form(data, specs=specs())
    assert form.as_json()["application"]["poc"] == {
        "name": "協議会　花子",
        "name_kana": None,
        "title": None,
        "phone": None,
        "email": "hanako@example.co.jp",
    }
