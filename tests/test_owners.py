"""Owners (担当者) and overdue cases on the command line, on a real database: ``intake assign``
(to an enabled desk user, or to nobody) with the audit saying who assigned whom, the refusals, the
queue with overdue cases first (in red and with 「期限超過」 in words), ``--owner``, the JSON
fields, and ``intake status`` counting them with its exit code 4. The clock is pinned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import Session, col, select

from intake import clock
from intake.cases import sla
from intake.clock import JST
from intake.db.tables import AuditEntry, Case
from intake.secretariat import users
from support import cli

NOW = datetime(2027, 1, 14, 10, 0, tzinfo=JST)
TODAY = NOW.date()


@pytest.fixture
def desk_workspace(workspace, monkeypatch):
    workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    assert workspace.cli("init").returncode == 0
    monkeypatch.setattr(clock, "utcnow", lambda: NOW.astimezone(UTC))
    with Session(workspace.engine()) as session:
        for name in ("suzuki", "tanaka", "sato"):
            users.add_user(session, name, SecretStr("Desk-Pass-2026-Kasumi"), by="test")
        session.commit()
        users.disable_user(session, "sato", by="test")
        session.commit()
    return workspace


def add_case(workspace, n: int, *, hours_ago: int, due_in_days: int | None, owner=None, robot=False) -> str:
    case_id = f"KYOGIKAI-2027-{n:04d}"
    due = sla.day_start(TODAY + timedelta(days=due_in_days)) if due_in_days is not None else None
    received = NOW - timedelta(hours=hours_ago)
    with Session(workspace.engine()) as session:
        session.add(
            Case(
                id=case_id,
                mailbox="kyogikai",
                kind="membership_application",
                status="ready_for_review",
                sender=f"sender{n}@example.co.jp",
                org_name=f"株式会社テスト{n}",
                received_at=received,
                owner=owner,
                due_at=due,
                robot=robot,
            )
        )
        session.commit()
    return case_id


def run(workspace, *args: str, env: dict | None = None):
    return cli.run(list(args), env={**workspace.environment, **(env or {})}, cwd=workspace.root)


def audit_of(workspace, case_id: str) -> list[AuditEntry]:
    with Session(workspace.engine()) as session:
        query = select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(col(AuditEntry.id))
        return list(session.exec(query))


def owner_of(workspace, case_id: str) -> str | None:
    with Session(workspace.engine()) as session:
        return session.get(Case, case_id).owner


def test_assign_to_someone_then_to_nobody_and_the_audit_says_who_assigned_whom(desk_workspace):
    case_id = add_case(desk_workspace, 1, hours_ago=1, due_in_days=3)
    given = run(desk_workspace, "--by", "tanaka", "assign", case_id, "suzuki")
    assert given.returncode == 0, given.stderr
    assert owner_of(desk_workspace, case_id) == "suzuki"
    shown = run(desk_workspace, "show", case_id)
    assert "担当: suzuki" in shown.stdout
    taken = run(desk_workspace, "--by", "tanaka", "assign", case_id, "tanaka")
    assert taken.returncode == 0, taken.stderr
    cleared = run(desk_workspace, "--by", "tanaka", "assign", case_id, "--none")
    assert cleared.returncode == 0, cleared.stderr
    assert owner_of(desk_workspace, case_id) is None
    entries = [(e.by, e.action, json.loads(e.detail)) for e in audit_of(desk_workspace, case_id)]
    assert entries == [
        ("tanaka", "assigned", {"from": None, "to": "suzuki"}),
        ("tanaka", "taken", {"from": "suzuki", "to": "tanaka"}),
        ("tanaka", "unassigned", {"from": "tanaka", "to": None}),
    ]
    listed = run(desk_workspace, "audit", case_id)
    assert "assigned" in listed.stdout


def test_an_unknown_or_disabled_user_is_refused_and_nothing_changes(desk_workspace):
    case_id = add_case(desk_workspace, 1, hours_ago=1, due_in_days=3, owner="suzuki")
    unknown = run(desk_workspace, "assign", case_id, "yamamoto")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "intake: 「yamamoto」というデスクの利用者はいません。担当者はデスクの利用者から選んでください。 "
        "(no desk user 'yamamoto': a case is assigned to a desk account (intake user list))"
    )
    disabled = run(desk_workspace, "assign", case_id, "sato")
    assert disabled.returncode == 1
    assert "desk user 'sato' is disabled" in disabled.stderr
    both = run(desk_workspace, "assign", case_id, "tanaka", "--none")
    assert both.returncode == 2
    assert owner_of(desk_workspace, case_id) == "suzuki"
    assert audit_of(desk_workspace, case_id) == []


def test_overdue_cases_stand_first_in_the_queue_in_red_and_in_words(desk_workspace):
    newest = add_case(desk_workspace, 1, hours_ago=1, due_in_days=5, owner="suzuki")
    due_today = add_case(desk_workspace, 2, hours_ago=2, due_in_days=0, owner="tanaka")
    late = add_case(desk_workspace, 3, hours_ago=30, due_in_days=-1, owner="suzuki")
    later = add_case(desk_workspace, 4, hours_ago=300, due_in_days=-6)
    no_date = add_case(desk_workspace, 5, hours_ago=3, due_in_days=None)
    add_case(desk_workspace, 6, hours_ago=4, due_in_days=-3, robot=True)  # robot mail: not in the queue

    listed = run(desk_workspace, "queue", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [i["id"] for i in items] == [later, late, newest, due_today, no_date]  # most overdue first
    by_id = {i["id"]: i for i in items}
    fields = {k: by_id[late][k] for k in ("owner", "due_at", "overdue", "due_today")}
    assert fields == {"owner": "suzuki", "due_at": "2027-01-13", "overdue": True, "due_today": False}
    assert (by_id[due_today]["overdue"], by_id[due_today]["due_today"]) == (False, True)
    assert (by_id[no_date]["due_at"], by_id[no_date]["overdue"]) == (None, False)

    mine = json.loads(run(desk_workspace, "queue", "--owner", "suzuki", "--json").stdout)
    assert [i["id"] for i in mine] == [late, newest]

    table = run(desk_workspace, "queue", env={"FORCE_COLOR": "1", "TERM": "xterm"})
    lines = table.stdout.splitlines()
    late_line = next(line for line in lines if late in line)
    assert "期限超過 01/13" in late_line and "suzuki" in late_line
    assert "\x1b[31m" in late_line  # red
    assert "\x1b[31m" not in next(line for line in lines if newest in line)
    assert "今日 01/14" in next(line for line in lines if due_today in line)
    assert lines.index(next(line for line in lines if later in line)) < lines.index(late_line)


def test_intake_status_counts_overdue_cases_and_exits_4(desk_workspace):
    add_case(desk_workspace, 1, hours_ago=1, due_in_days=0)
    assert run(desk_workspace, "status").returncode == 0
    late = add_case(desk_workspace, 2, hours_ago=30, due_in_days=-1)
    add_case(desk_workspace, 3, hours_ago=40, due_in_days=-2)
    add_case(desk_workspace, 4, hours_ago=40, due_in_days=-2, robot=True)  # not counted
    status = run(desk_workspace, "status", "--json")
    assert status.returncode == 4
    assert json.loads(status.stdout)["overdue"] == 2
    text = run(desk_workspace, "status")
    assert text.returncode == 4 and "期限超過のケース: 2 件" in text.stdout
    closed = run(desk_workspace, "set-status", late, "closed")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(run(desk_workspace, "status", "--json").stdout)["overdue"] == 1
    help_text = run(desk_workspace, "status", "--help").stdout
    assert "4 when a" in help_text and "overdue" in help_text


def test_a_desk_user_has_an_e_mail_for_the_digest(desk_workspace):
    added = desk_workspace.cli(
        "user", "add", "kobayashi", "--password-stdin", "--email", "kobayashi@example.jp",
        input="Desk-Pass-2026-Kasumi\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    changed = desk_workspace.cli("user", "set", "suzuki", "--email", "suzuki@example.jp")
    assert changed.returncode == 0, changed.stderr
    wrong = desk_workspace.cli("user", "set", "tanaka", "--email", "tanaka at example.jp")
    assert wrong.returncode == 1 and "is not an e-mail address" in wrong.stderr
    listed = {u["name"]: u["email"] for u in json.loads(desk_workspace.cli("user", "list", "--json").stdout)}
    assert listed == {
        "kobayashi": "kobayashi@example.jp",
        "sato": None,
        "suzuki": "suzuki@example.jp",
        "tanaka": None,
    }
    removed = desk_workspace.cli("user", "set", "suzuki", "--email", "")
    assert removed.returncode == 0, removed.stderr
    assert {u["name"]: u["email"] for u in json.loads(desk_workspace.cli("user", "list", "--json").stdout)}[
        "suzuki"
    ] is None
