"""Accepting a case is what changes the register (Q15 新規 / 継続 / 廃止); nothing else does."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import Session, select

from intake.cases.organisations import removed_last_time
from intake.db.tables import AuditEntry, Organisation, RegisteredPerson
from intake.secretariat.register import REGISTER_COLUMNS
from support.staff_builders import CaseBuilder, person

ORG = "株式会社テスト"


@pytest.fixture
def built(workspace):
    workspace.write()
    builder = CaseBuilder(workspace.engine())
    path = workspace.root / "register.csv"
    rows = [
        [ORG, "", "", "継続 一郎", "keizoku@test.co.jp", "03-0000-0001", "要", "する"],
        [ORG, "", "", "廃止 二郎", "haishi@test.co.jp", "03-0000-0002", "要", "しない"],
    ]
    out = io.StringIO(newline="")
    csv.writer(out).writerows([REGISTER_COLUMNS, *rows])
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    assert workspace.cli("register", "import", str(path)).returncode == 0
    return builder


def _people(workspace, org=ORG) -> dict[str, dict]:
    result = workspace.cli("register", "show", org, "--json")
    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)
    return {p["name"]: p for p in item["people"]}


def _staff_case(built, blocks, *, org=ORG, status="ready_for_review") -> str:
    case_id = built.case("staff_registration", status=status, org=org)
    built.staff(case_id, org, blocks)
    return case_id


BLOCKS = [
    person("継続 一郎", "継続", email="keizoku@test.co.jp", phone="03-9999-0001", poc="する"),
    person("廃止 二郎", "廃止", email="haishi@test.co.jp"),
    person("新規 三郎", "新規", email="shinki@test.co.jp"),
]


def test_accepting_a_staff_registration_adds_keeps_and_removes_exactly(workspace, built):
    case_id = _staff_case(built, BLOCKS)
    result = workspace.cli("--by", "tanaka", "set-status", case_id, "accepted")
    assert result.returncode == 0, result.stderr

    people = _people(workspace)
    assert set(people) == {"継続 一郎", "廃止 二郎", "新規 三郎"}
    kept, removed, added = people["継続 一郎"], people["廃止 二郎"], people["新規 三郎"]
    assert (kept["status"], kept["phone"], kept["source"]) == ("active", "03-9999-0001", "import")
    assert removed["status"] == "removed" and removed["removed_at"] is not None  # remembered, not deleted
    assert (added["status"], added["email"], added["source"]) == ("active", "shinki@test.co.jp", case_id)

    exported = list(csv.DictReader(io.StringIO(workspace.cli("register", "export").stdout)))
    assert sorted(r["name"] for r in exported) == ["新規 三郎", "継続 一郎"]

    with Session(built.engine) as session:
        org = session.exec(select(Organisation)).one()
        assert [p.name for p in removed_last_time(session, org.id)] == ["廃止 二郎"]
    audit = json.loads(workspace.cli("audit", case_id, "--json").stdout)
    assert [e["action"] for e in audit] == ["register.staff", "status", "acceptance"]
    assert all(e["by"] == "tanaka" for e in audit)
    assert len(audit[0]["detail"]["added"]) == 1 and len(audit[0]["detail"]["removed"]) == 1


def test_the_next_registration_no_longer_lists_the_removed_person(workspace, built):
    first = _staff_case(built, BLOCKS)
    assert workspace.cli("set-status", first, "accepted").returncode == 0
    second = _staff_case(built, [person("継続 一郎", "継続", email="keizoku@test.co.jp")])
    assert workspace.cli("set-status", second, "accepted").returncode == 0
    with Session(built.engine) as session:
        org = session.exec(select(Organisation)).one()
        assert removed_last_time(session, org.id) == []  # the last accepted registration removed nobody
    assert _people(workspace)["廃止 二郎"]["status"] == "removed"


def test_accepting_again_after_reopening_changes_nothing_more(workspace, built):
    case_id = _staff_case(built, BLOCKS)
    for status in ("accepted", "closed", "ready_for_review"):
        assert workspace.cli("set-status", case_id, status).returncode == 0
    before = _people(workspace)
    assert workspace.cli("set-status", case_id, "accepted").returncode == 0
    assert _people(workspace) == before


def test_rejecting_or_waiting_leaves_the_register_alone(workspace, built):
    before = _people(workspace)
    for status in ("waiting_for_sender", "rejected"):
        case_id = _staff_case(built, BLOCKS)
        assert workspace.cli("set-status", case_id, status).returncode == 0
    assert _people(workspace) == before


def test_a_registration_for_an_organisation_not_on_file_is_refused_whole(workspace, built):
    case_id = _staff_case(built, [person("誰か", "新規")], org="未登録株式会社")
    result = workspace.cli("set-status", case_id, "accepted")
    assert result.returncode == 1
    assert "'未登録株式会社' is not on the register" in result.stderr
    assert json.loads(workspace.cli("show", case_id, "--json").stdout)["status"] == "ready_for_review"
    with Session(built.engine) as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.case_id == case_id)).all() == []
        assert session.exec(select(RegisteredPerson).where(RegisteredPerson.name == "誰か")).all() == []


def test_accepting_an_application_creates_the_member_then_registers_its_people(workspace, built):
    case_id = built.case("membership_application", org="新規加入株式会社", status="waiting_for_sender")
    built.application(
        case_id,
        "新規加入株式会社",
        corporate_number="7000012050002",
        department="セキュリティ室",
        category="重要社会基盤事業者",
        sector="電力",
        participation="タスクフォース第一類構成員",
        roster_publication="登載しない",
        poc_email="poc@shinki.co.jp",
    )
    built.staff(
        case_id, "新規加入株式会社", [person("窓口 花子", "新規", email="poc@shinki.co.jp", poc="する")]
    )
    assert workspace.cli("set-status", case_id, "accepted").returncode == 0
    [org] = json.loads(workspace.cli("register", "show", "7000012050002", "--json").stdout)
    assert {k: org[k] for k in ("name", "department", "category", "sector", "participation")} == {
        "name": "新規加入株式会社",
        "department": "セキュリティ室",
        "category": "重要社会基盤事業者",
        "sector": "電力",
        "participation": "タスクフォース第一類構成員",
    }
    assert (org["roster_publication"], org["is_member"], org["poc_email"]) == (
        False,
        True,
        "poc@shinki.co.jp",
    )
    assert [(p["name"], p["poc"]) for p in org["people"]] == [("窓口 花子", "する")]
    actions = [e["action"] for e in json.loads(workspace.cli("audit", case_id, "--json").stdout)]
    assert actions == ["register.application", "register.staff", "status", "acceptance"]


def test_an_application_for_a_member_updates_it_instead_of_adding_one(workspace, built):
    case_id = built.case("membership_application", org="㈱テスト")  # as the file name wrote it
    built.application(case_id, "株式会社　テスト", application_kind="申込み事項の変更", sector="金融")
    assert workspace.cli("set-status", case_id, "accepted").returncode == 0
    with Session(built.engine) as session:
        [org] = session.exec(select(Organisation)).all()
        assert (org.sector, org.roster_publication) == ("金融", True)
        assert len(session.exec(select(RegisteredPerson)).all()) == 2  # its people untouched
