"""The register file: import (CSV with or without BOM, XLSX), idempotence, export round trip."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from sqlmodel import Session, select

from intake.cases.organisations import find_organisation
from intake.cases.organisations import org_key as _org_key
from intake.db.tables import Organisation, RegisteredPerson
from intake.resources import default_rules_dir
from intake.secretariat.register import REGISTER_COLUMNS

RULES = default_rules_dir()


def org_key(name: str) -> str:
    return _org_key(name, RULES)


ROWS = [
    ["株式会社テスト", "1234567890123", "情報システム部", "山田 太郎", "yamada@test.co.jp", "03-1111-0001", "要", "する"],
    ["株式会社テスト", "1234567890123", "情報システム部", "佐藤 次郎", "sato@test.co.jp", "03-1111-0002", "不要", "しない"],
    ["一般社団法人サンプル協会", "", "", "鈴木 花子", "suzuki@sample.or.jp", "", "要", "しない"],
    ["任意団体みどり", "", "", "", "", "", "", ""],
]  # fmt: skip


def _csv_bytes(rows, *, header=REGISTER_COLUMNS, bom=True) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def _xlsx(path, rows, *, header=REGISTER_COLUMNS):
    book = openpyxl.Workbook()
    book.active.append(list(header))
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(path)
    return path


def _snapshot(engine) -> tuple:
    """Everything import may touch, as plain values."""
    with Session(engine) as session:
        orgs = session.exec(select(Organisation).order_by(Organisation.id)).all()
        people = session.exec(select(RegisteredPerson).order_by(RegisteredPerson.id)).all()
        return (
            [o.model_dump() for o in orgs],
            [p.model_dump() for p in people],
        )


def _import(workspace, path, *extra):
    result = workspace.cli("register", "import", str(path), *extra)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def engine(workspace):
    workspace.write()
    return workspace.engine()


@pytest.mark.parametrize("bom", [True, False])
def test_csv_import_reads_every_row_and_a_second_import_changes_nothing(workspace, engine, bom):
    path = workspace.root / "register.csv"
    path.write_bytes(_csv_bytes(ROWS, bom=bom))
    first = json.loads(_import(workspace, path, "--json").stdout)
    assert first == {"rows": 4, "organisations_added": 3, "organisations_updated": 0, "people_added": 3,
                     "people_updated": 0, "changed": True}  # fmt: skip
    before = _snapshot(engine)
    again = _import(workspace, path)
    assert "nothing changed" in again.stdout
    assert _snapshot(engine) == before
    audit = json.loads(workspace.cli("audit", "--json").stdout)
    assert [e["action"] for e in audit] == ["register.import"]  # the second import changed nothing

    shown = json.loads(workspace.cli("register", "show", "㈱テスト", "--json").stdout)
    [org] = shown
    assert (org["name"], org["corporate_number"], org["department"]) == (
        "株式会社テスト",
        "1234567890123",
        "情報システム部",
    )
    assert [(p["name"], p["email"], p["poc"], p["status"]) for p in org["people"]] == [
        ("山田 太郎", "yamada@test.co.jp", "する", "active"),
        ("佐藤 次郎", "sato@test.co.jp", "しない", "active"),
    ]
    empty = json.loads(workspace.cli("register", "show", "任意団体みどり", "--json").stdout)
    assert empty[0]["people"] == []


def test_xlsx_import_gives_the_same_register_as_csv(workspace, engine, tmp_path_factory):
    csv_path = workspace.root / "register.csv"
    csv_path.write_bytes(_csv_bytes(ROWS))
    _import(workspace, csv_path)
    from_csv = workspace.cli("register", "export").stdout

    other = tmp_path_factory.mktemp("xlsx")
    workspace.root = other
    workspace.write()
    workspace.engine()
    _import(workspace, _xlsx(other / "register.xlsx", ROWS))
    assert workspace.cli("register", "export").stdout == from_csv
    assert "nothing changed" in _import(workspace, other / "register.xlsx").stdout


def test_export_round_trips_through_import_as_csv_and_xlsx(workspace, engine, tmp_path_factory):
    path = workspace.root / "register.csv"
    path.write_bytes(_csv_bytes(ROWS))
    _import(workspace, path)
    exported = workspace.cli("register", "export")
    assert exported.returncode == 0, exported.stderr
    parsed = list(csv.reader(io.StringIO(exported.stdout)))
    assert parsed[0] == list(REGISTER_COLUMNS)
    assert sorted(parsed[1:]) == sorted(ROWS)  # the organisation with nobody keeps its one empty row
    xlsx_out = workspace.root / "out.xlsx"
    assert workspace.cli("register", "export", "--format", "xlsx", "--output", str(xlsx_out)).returncode == 0
    (workspace.root / "out.csv").write_text(exported.stdout, encoding="utf-8")

    for name in ("out.csv", "out.xlsx"):
        fresh = tmp_path_factory.mktemp("fresh")
        source = workspace.root / name
        target = fresh / name
        target.write_bytes(source.read_bytes())
        original_root, workspace.root = workspace.root, fresh
        workspace.write()
        workspace.engine()
        _import(workspace, target)
        assert workspace.cli("register", "export").stdout == exported.stdout
        assert "nothing changed" in _import(workspace, target).stdout
        workspace.root = original_root


def test_xlsx_export_needs_an_output_file(workspace, engine):
    result = workspace.cli("register", "export", "--format", "xlsx")
    assert result.returncode == 2
    assert "needs --output" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ((*REGISTER_COLUMNS, "mobile"), "unknown column 'mobile'"),
        (tuple(c for c in REGISTER_COLUMNS if c != "email"), "missing column 'email'"),
        ((*REGISTER_COLUMNS, "name"), "column 'name' appears twice"),
    ],
)
def test_a_wrong_header_names_the_column_and_imports_nothing(workspace, engine, header, message):
    path = workspace.root / "bad.csv"
    rows = [row + [""] * (len(header) - len(row)) for row in ROWS]
    path.write_bytes(_csv_bytes(rows, header=header))
    result = workspace.cli("register", "import", str(path))
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _snapshot(engine) == ([], [])


def test_a_bad_row_names_row_and_column_and_imports_nothing(workspace, engine):
    path = workspace.root / "bad.csv"
    path.write_bytes(_csv_bytes([ROWS[0], [*ROWS[1][:6], "はい", "しない"]]))
    result = workspace.cli("register", "import", str(path))
    assert result.returncode == 1
    assert "row 3: column 'system_registration' must be 要 or 不要" in result.stderr
    assert _snapshot(engine) == ([], [])


def test_an_unreadable_file_is_one_line(workspace, engine):
    path = workspace.root / "sjis.csv"
    path.write_bytes(",".join(REGISTER_COLUMNS).encode() + "\r\n株式会社テスト".encode("cp932"))
    result = workspace.cli("register", "import", str(path))
    assert result.returncode == 1
    assert "not UTF-8" in result.stderr


def test_org_key_folds_legal_forms_width_and_space():
    assert org_key("㈱テスト") == org_key("（株）テスト") == org_key("株式会社 テスト") == "株式会社テスト"
    assert org_key("テスト㈲") == "テスト有限会社"
    assert org_key("㈳ 日本協会") == "社団法人日本協会"
    assert org_key("(財)研究所") == "財団法人研究所"
    assert org_key("ＡＢＣ　株式会社") == org_key("abc株式会社")
    assert org_key("株式会社テスト") != org_key("テスト株式会社")


def test_find_organisation_by_corporate_number_name_and_department(engine):
    with Session(engine) as session:
        a = Organisation(name="株式会社テスト", name_key=org_key("株式会社テスト"), corporate_number="1234567890123",
                         department="情報システム部")  # fmt: skip
        b = Organisation(name="株式会社テスト", name_key=org_key("株式会社テスト"), corporate_number="1234567890123",
                         department="経営企画部")  # fmt: skip
        c = Organisation(name="テスト協会", name_key=org_key("テスト協会"))
        session.add_all([a, b, c])
        session.commit()
        found = find_organisation(
            session,
            rules_dir=RULES,
            org_name="別名",
            corporate_number="1234567890123",
            department="経営企画部",
        )
        assert found.id == b.id
        assert (
            find_organisation(session, rules_dir=RULES, org_name="㈱テスト", department="情報システム部").id
            == a.id
        )
        assert (
            find_organisation(session, rules_dir=RULES, org_name="㈱テスト") is None
        )  # two departments: ambiguous
        assert (
            find_organisation(session, rules_dir=RULES, org_name="テスト協会", department="総務部").id == c.id
        )
        assert (
            find_organisation(
                session, rules_dir=RULES, org_name="テスト協会", corporate_number="9999999999999"
            )
            is not None
        )
        c.corporate_number = "1111111111111"
        session.add(c)
        session.commit()
        assert (
            find_organisation(
                session, rules_dir=RULES, org_name="テスト協会", corporate_number="9999999999999"
            )
            is None
        )
