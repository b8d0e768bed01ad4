"""The public member roster (Q16): only accepted members that chose 登載する, and no personal data."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlmodel import Session, select

from intake.db.tables import ApplicationForm, RegisteredPerson, StaffEntry
from intake.secretariat.exports import ROSTER_COLUMNS
from support.staff_builders import CaseBuilder, person

_PHONE = re.compile(r"\d{2,4}-\d{2,4}-\d{3,4}")
_SURNAMES = ("山田", "佐藤", "鈴木", "高橋", "田中", "伊藤")


@pytest.fixture
def built(workspace):
    workspace.write()
    builder = CaseBuilder(workspace.engine())
    _member(workspace, builder, "公開株式会社", "登載する", "accepted", category="重要社会基盤事業者", sector="金融",
            participation="タスクフォース第二類構成員")  # fmt: skip
    _member(workspace, builder, "非公開株式会社", "登載しない", "accepted")
    _member(workspace, builder, "却下株式会社", "登載する", "rejected")
    _member(workspace, builder, "審査中株式会社", "登載する", None)
    _member(workspace, builder, "ａｂｃ大学", "登載する", "accepted", category="教育研究機関", sector="")
    path = workspace.root / "register.csv"
    path.write_text(
        "org_name,corporate_number,department,name,email,phone,system_registration,poc\r\n"
        "名簿外株式会社,,,名簿外 太郎,outside@example.jp,045-000-0000,要,する\r\n",
        encoding="utf-8",
    )
    assert workspace.cli("register", "import", str(path)).returncode == 0
    return builder


def _member(workspace, builder, org, roster, status, **fields):
    case_id = builder.case("membership_application", org=org)
    n = builder.count
    builder.application(
        case_id, org, roster_publication=roster, poc_name=f"{_SURNAMES[n]} 花子", poc_email=f"poc{n}@example.jp",
        poc_phone=f"03-5555-{n:04d}", **fields,
    )  # fmt: skip
    builder.staff(case_id, org, [person(f"{_SURNAMES[n]} 一郎", "新規", phone=f"090-1234-{n:04d}")])
    if status:
        assert workspace.cli("set-status", case_id, status).returncode == 0


def _personal_data(engine) -> set[str]:
    """Every name, e-mail address and phone number of a person the database holds."""
    values: set[str] = set()
    with Session(engine) as session:
        for p in session.exec(select(RegisteredPerson)):
            values |= {p.name, p.email, p.phone}
        for s in session.exec(select(StaffEntry)):
            values |= {s.name, s.email, s.phone, s.mobile}
        for a in session.exec(select(ApplicationForm)):
            values |= {a.poc_name, a.poc_name_kana, a.poc_email, a.poc_phone, a.representative}
    return {v for v in values if v}


def _assert_no_personal_data(cells: list[str], personal: set[str]) -> None:
    assert len(personal) > 25  # the scan has something to find
    for cell in cells:
        assert "@" not in cell and not _PHONE.search(cell), cell
        assert not [v for v in personal if v in cell], cell


def test_roster_lists_exactly_the_accepted_members_that_chose_to_be_listed(workspace, built):
    result = workspace.cli("roster", "export")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == list(ROSTER_COLUMNS) == ["org_name", "category", "sector", "participation"]
    assert rows[1:] == [  # by normalised name; the name as the applicant wrote it
        ["ａｂｃ大学", "教育研究機関", "", "一般の構成員"],
        ["公開株式会社", "重要社会基盤事業者", "金融", "タスクフォース第二類構成員"],
    ]
    _assert_no_personal_data([c for row in rows for c in row], _personal_data(built.engine))


def test_roster_xlsx_has_the_same_rows_and_no_personal_data(workspace, built):
    out = workspace.root / "roster.xlsx"
    result = workspace.cli("roster", "export", "--format", "xlsx", "--output", str(out))
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(out).active
    values = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    from_csv = list(csv.reader(io.StringIO(workspace.cli("roster", "export").stdout)))
    assert values == from_csv
    _assert_no_personal_data([str(c) for row in values for c in row], _personal_data(built.engine))


def test_roster_xlsx_needs_an_output_file(workspace, built):
    result = workspace.cli("roster", "export", "--format", "xlsx")
    assert result.returncode == 2
    assert "needs --output" in result.stderr
