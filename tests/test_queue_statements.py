"""The review queue with many cases: `intake queue` and the desk's queue page send the same few
SQL statements whatever the number of cases (the page, the overdue cases that stand above it, the
open findings of its cases in one go, the counts), each case shows its own open findings, and the
page and the overdue cases are read off an index, never sorted whole. Speed itself is measured by
``scripts/bench_queue.py``, never here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert
from sqlmodel import Session

from intake.db import reading
from intake.db.tables import Case, Finding
from intake.secretariat import views
from support import cli
from support.desk import add_staff, desk_server
from support.statements import counted

START = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
COMMANDS = (
    ["queue"],
    ["queue", "--json"],
    ["queue", "--status", "ready_for_review"],
    ["queue", "--kind", "incident_report", "--limit", "5"],
    ["queue", "--robots"],
    ["queue", "--all", "--json"],
    ["queue", "--owner", "suzuki"],
)
PAGES = ("/", "/?status=ready_for_review", "/?kind=incident_report&org=テスト", "/?tab=robots", "/?tab=mine")


def add_cases(engine: Engine, first: int, count: int, *, owned: bool = False) -> None:
    """``count`` cases numbered from ``first``, an hour apart: every tenth is robot mail, every
    third an incident report; each with two open findings and a resolved one. ``owned``: every
    fourth is suzuki's, and every seventh is overdue (due on its day of arrival, long past)."""
    cases, findings = [], []
    for n in range(first, first + count):
        case_id = f"KYOGIKAI-2026-{n:04d}"
        received = START + timedelta(hours=n)
        incident = n % 3 == 0
        cases.append(
            {
                "id": case_id,
                "mailbox": "anken" if incident else "kyogikai",
                "kind": "incident_report" if incident else "membership_application",
                "status": ("ready_for_review", "waiting_for_sender", "closed")[n % 3],
                "sender": f"sender{n}@example.co.jp",
                "org_name": f"株式会社テスト{n}",
                "subject": f"件名 {n}",
                "received_at": received,
                "updated_at": received,
                "robot": n % 10 == 0,
                "owner": "suzuki" if owned and n % 4 == 0 else None,
                "due_at": received if owned and n % 7 == 0 else None,
            }
        )
        findings += [
            {"case_id": case_id, "code": f"first_{n}", "severity": "warning", "open": True},
            {"case_id": case_id, "code": f"resolved_{n}", "severity": "warning", "open": False},
            {"case_id": case_id, "code": f"second_{n}", "severity": "missing", "open": True},
        ]
    with Session(engine) as session:
        session.execute(insert(Case), cases)
        session.execute(insert(Finding), findings)
        session.commit()


@pytest.fixture
def queue_workspace(workspace):
    workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    return workspace


def statements_per_command(workspace) -> dict[str, int]:
    found = {}
    for args in COMMANDS:
        with counted() as sent:
            result = cli.run(args, env=workspace.environment, cwd=workspace.root)
        assert result.returncode == 0, result.stderr
        found[" ".join(args)] = len(sent)
    return found


def statements_per_page(workspace) -> dict[str, int]:
    found = {}
    with desk_server(workspace.config()) as desk:
        client = desk.signed_in()
        for path in PAGES:
            with counted() as sent:
                response = client.get(path)
            assert response.status_code == 200, response.text
            found[path] = len(sent)
    return found


def test_the_queue_sends_as_many_statements_for_ten_cases_as_for_four_hundred(queue_workspace):
    engine = queue_workspace.engine()
    add_staff(queue_workspace.config())
    add_cases(engine, 1, 10, owned=True)
    few = statements_per_command(queue_workspace), statements_per_page(queue_workspace)
    add_cases(engine, 11, 390, owned=True)  # past the command line's page of 100 and the desk's of 200
    many = statements_per_command(queue_workspace), statements_per_page(queue_workspace)
    engine.dispose()
    assert many == few
    commands, pages = many
    assert max(commands.values()) <= 12, commands
    assert max(pages.values()) <= 12, pages


def test_each_case_of_a_page_shows_its_own_open_findings_in_order(queue_workspace):
    engine = queue_workspace.engine()
    add_cases(engine, 1, 30)
    engine.dispose()

    def queue(*args: str) -> list[dict]:
        result = cli.run(
            ["queue", *args, "--json"], env=queue_workspace.environment, cwd=queue_workspace.root
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    page = queue("--limit", "4")
    assert [c["id"] for c in page] == [f"KYOGIKAI-2026-{n:04d}" for n in (29, 28, 27, 26)]  # 30: robot
    for case in page:
        n = int(case["id"][-4:])
        assert case["open_findings"] == [f"first_{n}", f"second_{n}"]
    by_status = queue("--status", "waiting_for_sender", "--limit", "2")
    assert [(c["id"][-2:], c["open_findings"]) for c in by_status] == [
        ("28", ["first_28", "second_28"]),
        ("25", ["first_25", "second_25"]),
    ]
    every = queue("--all")
    assert len(every) == 30 and [c["robot"] for c in every][:2] == [True, False]
    assert all(
        c["open_findings"] == [f"first_{int(c['id'][-4:])}", f"second_{int(c['id'][-4:])}"] for c in every
    )
    assert queue("--status", "accepted") == []

    result = cli.run(["queue", "--limit", "4"], env=queue_workspace.environment, cwd=queue_workspace.root)
    assert "4 件（全 27 件" in result.stdout  # 30 cases, 3 of them robot mail


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by its own statistics")
def test_the_page_is_read_off_an_index_never_sorted(queue_workspace):
    engine = queue_workspace.engine()
    add_cases(engine, 1, 50, owned=True)
    for filters in ({}, {"status": "ready_for_review"}, {"robots": True}, {"owner": "suzuki"}):
        with counted() as sent, Session(reading(engine)) as session:
            assert views.queue(session, **filters, limit=10)
            assert views.count_cases(session, **filters) > 0
            assert views.status_counts(session)
        page, late = [s for s in sent if s[0].lstrip().startswith('SELECT "case".id')][:2]
        assert "due_at <" in late[0] and "due_at <" not in page[0].replace("due_at >=", "")
        assert "ix_case_queue" in plan_of(engine, page) and "TEMP B-TREE" not in plan_of(engine, page), (
            filters
        )
        assert "ix_case_due" in plan_of(engine, late) or "ix_case_queue_owner" in plan_of(engine, late), (
            filters
        )
    engine.dispose()


def plan_of(engine: Engine, statement: tuple) -> str:
    text, parameters = statement
    with engine.connect() as conn:
        return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {text}", parameters))


def test_overdue_cases_stand_above_the_page_most_overdue_first(queue_workspace):
    engine = queue_workspace.engine()
    add_cases(engine, 1, 30, owned=True)
    engine.dispose()
    result = cli.run(
        ["queue", "--json", "--limit", "5"], env=queue_workspace.environment, cwd=queue_workspace.root
    )
    assert result.returncode == 0, result.stderr
    page = json.loads(result.stdout)
    overdue = [f"KYOGIKAI-2026-{n:04d}" for n in (7, 14, 21, 28)]  # due on the day they came, long past
    assert [c["id"] for c in page] == [*overdue, "KYOGIKAI-2026-0029"]
    assert [c["overdue"] for c in page] == [True] * 4 + [False]
    mine = cli.run(
        ["queue", "--json", "--owner", "suzuki"], env=queue_workspace.environment, cwd=queue_workspace.root
    )
    ids = [c["id"] for c in json.loads(mine.stdout)]
    assert ids == ["KYOGIKAI-2026-0028", "KYOGIKAI-2026-0024", "KYOGIKAI-2026-0016", "KYOGIKAI-2026-0012",
                   "KYOGIKAI-2026-0008", "KYOGIKAI-2026-0004"]  # fmt: skip
