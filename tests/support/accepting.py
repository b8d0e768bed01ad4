"""An organisation on the register with two people, and a staff registration that keeps one
(new phone), removes the other and adds a third: a case whose acceptance changes each kind of row."""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, select

from intake.db.tables import Organisation
from intake.secretariat.register import REGISTER_COLUMNS, Rows, snapshot
from support.staff_builders import CaseBuilder, person

ORG = "株式会社テスト"
ON_FILE = [
    [ORG, "", "", "継続 一郎", "keizoku@test.co.jp", "03-0000-0001", "要", "する"],
    [ORG, "", "", "廃止 二郎", "haishi@test.co.jp", "03-0000-0002", "要", "しない"],
]
BLOCKS = [
    person("継続 一郎", "継続", email="keizoku@test.co.jp", phone="03-9999-0001", poc="する"),
    person("廃止 二郎", "廃止", email="haishi@test.co.jp"),
    person("新規 三郎", "新規", email="shinki@test.co.jp"),
]


def registered(workspace) -> CaseBuilder:
    """The workspace written, :data:`ON_FILE` imported; a builder of cases on its database."""
    workspace.write()
    builder = CaseBuilder(workspace.engine())  # the database made first
    import_rows(workspace, ON_FILE)
    return builder


def import_rows(workspace, rows: list[list[str]]) -> None:
    path = workspace.root / "register.csv"
    out = io.StringIO(newline="")
    csv.writer(out).writerows([REGISTER_COLUMNS, *rows])
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    result = workspace.cli("register", "import", str(path))
    assert result.returncode == 0, result.stderr


def staff_case(built: CaseBuilder, blocks: list[dict] = BLOCKS) -> str:
    case_id = built.case("staff_registration", org=ORG)
    built.staff(case_id, ORG, blocks)
    return case_id


def register_rows(built: CaseBuilder) -> Rows:
    """Every column of every register row, times included."""
    with Session(built.engine) as session:
        return snapshot(session, {o.id for o in session.exec(select(Organisation)) if o.id is not None})
