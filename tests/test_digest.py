"""The daily digest to each owner (担当者): exactly their overdue and due-today cases, queued in the
outbox as mail of no case and delivered to a real SMTP server (aiosmtpd) — once per owner per JST
day, however often it is asked for (``intake digest``, or ``intake run`` from ``digest_hour``). The
clock is pinned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from intake import clock
from intake.cases import sla
from intake.clock import JST
from intake.db.tables import Case, DigestSent, OutboxReply
from intake.replies.sender import send_due
from intake.runner.service import digest_tick
from intake.secretariat import users
from intake.secretariat.digest import digest_time, queue_digests
from support.desk import desk_server
from support.smtp_server import OUR_INCIDENT, configure, smtp_server

MORNING = datetime(2027, 1, 14, 9, 0, tzinfo=JST)
SUZUKI, TANAKA = "suzuki@example.jp", "tanaka@example.jp"


def pin(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: when.astimezone(UTC))


def case(n: int, *, owner: str | None, due_in_days: int | None, robot: bool = False) -> Case:
    due = sla.day_start(MORNING.date() + timedelta(days=due_in_days)) if due_in_days is not None else None
    return Case(
        id=f"KYOGIKAI-2027-{n:04d}",
        mailbox="kyogikai",
        kind="membership_application",
        status="ready_for_review",
        sender=f"sender{n}@example.co.jp",
        org_name=f"株式会社テスト{n}",
        owner=owner,
        due_at=due,
        robot=robot,
    )


@pytest.fixture
def office(workspace, monkeypatch):
    """Owners with and without an e-mail, one disabled, and cases overdue, due today and later."""
    pin(monkeypatch, MORNING)
    with smtp_server() as server:
        configure(workspace, port=server.port)
        workspace.extra += "[sla]\ndigest = true\ndigest_hour = 8\n"
        config = workspace.config()
        assert workspace.cli("init").returncode == 0
        engine = workspace.engine()
        with Session(engine) as session:
            password = SecretStr("Desk-Pass-2026-Kasumi")
            users.add_user(session, "suzuki", password, by="test", email=SUZUKI)
            users.add_user(session, "tanaka", password, by="test", email=TANAKA)
            users.add_user(session, "sato", password, by="test")  # no e-mail: no digest
            users.add_user(session, "kato", password, by="test", email="kato@example.jp")
            users.disable_user(session, "kato", by="test")
            session.add_all(
                [
                    case(1, owner="suzuki", due_in_days=-2),  # overdue
                    case(2, owner="suzuki", due_in_days=0),  # due today
                    case(3, owner="suzuki", due_in_days=1),  # tomorrow: not yet
                    case(4, owner="suzuki", due_in_days=None),  # no due date
                    case(5, owner="suzuki", due_in_days=-1, robot=True),  # robot mail: nobody's work
                    case(6, owner="tanaka", due_in_days=-5),
                    case(7, owner=None, due_in_days=-3),  # nobody's: in the queue, in no digest
                    case(8, owner="kato", due_in_days=-3),
                ]
            )
            session.commit()
        yield workspace, config, engine, server.handler


def delivered(handler) -> dict[str, list]:
    found: dict[str, list] = {}
    for delivery in handler.received:
        for rcpt in delivery.rcpt_tos:
            found.setdefault(rcpt, []).append(delivery.message)
    return found


def test_each_owner_gets_exactly_their_overdue_and_due_today_cases_once_a_day(office, monkeypatch):
    workspace, config, engine, handler = office
    report = queue_digests(engine, config)
    assert (report.queued, report.nothing, report.already) == (["suzuki", "tanaka"], [], [])
    sent = send_due(config=config, engine=engine)
    assert len(sent.sent) == 2 and not sent.failed

    mail = delivered(handler)
    assert sorted(mail) == [SUZUKI, TANAKA] and all(len(m) == 1 for m in mail.values())
    suzuki = mail[SUZUKI][0]
    body = suzuki.get_content()
    assert suzuki["From"] == OUR_INCIDENT  # the first mailbox ([sla] digest_mailbox unset)
    assert suzuki["Auto-Submitted"] == "auto-generated" and suzuki["In-Reply-To"] is None
    assert "[KYOGIKAI-" not in suzuki["Subject"] and "期限超過 1件" in suzuki["Subject"]
    listed = {n for n in range(1, 9) if f"KYOGIKAI-2027-{n:04d}" in body}
    assert listed == {1, 2}
    assert (
        body.index("■ 期限超過（1件）") < body.index("KYOGIKAI-2027-0001") < body.index("■ 今日が期限（1件）")
    )
    assert body.index("■ 今日が期限（1件）") < body.index("KYOGIKAI-2027-0002")
    assert "2027年1月12日（火）" in body  # case 1's due day
    tanaka = mail[TANAKA][0].get_content()
    assert {n for n in range(1, 9) if f"KYOGIKAI-2027-{n:04d}" in tanaka} == {6}

    pin(monkeypatch, MORNING + timedelta(hours=8))  # later the same day: nothing more
    again = queue_digests(engine, config)
    assert (again.queued, again.already) == ([], ["suzuki", "tanaka"])
    command = workspace.cli("digest", "--json")
    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout)["already"] == ["suzuki", "tanaka"]
    send_due(config=config, engine=engine)
    assert len(handler.received) == 2

    pin(monkeypatch, MORNING + timedelta(days=1))  # the next day: still overdue, mailed again
    next_day = workspace.cli("digest", "--json")
    assert next_day.returncode == 0, next_day.stderr
    assert json.loads(next_day.stdout)["queued"] == ["suzuki", "tanaka"]
    assert len(handler.received) == 4
    with Session(engine) as session:
        days = sorted((d.user_name, d.day) for d in session.exec(select(DigestSent)))
        digests = session.exec(select(OutboxReply).where(OutboxReply.template == "digest")).all()
    assert days == [
        ("suzuki", "2027-01-14"),
        ("suzuki", "2027-01-15"),
        ("tanaka", "2027-01-14"),
        ("tanaka", "2027-01-15"),
    ]
    assert len(digests) == 4 and all(d.case_id is None and d.state == "sent" for d in digests)


def test_an_owner_with_nothing_due_gets_no_mail_and_the_outbox_lists_the_digest(office):
    workspace, config, engine, handler = office
    with Session(engine) as session:
        for row in session.exec(select(Case).where(Case.owner == "tanaka")):
            row.owner = "suzuki"
            session.add(row)
        session.commit()
    report = queue_digests(engine, config)
    assert (report.queued, report.nothing) == (["suzuki"], ["tanaka"])
    listed = workspace.cli("outbox", "--json")
    assert listed.returncode == 0, listed.stderr
    [digest] = json.loads(listed.stdout)
    assert digest["case_id"] is None and digest["to"] == SUZUKI
    with desk_server(config) as desk:  # the desk's outbox shows it as staff mail, linked to no case
        page = desk.signed_in().get("/outbox")
        assert page.status_code == 200 and "担当者への通知" in page.text and "/cases/None" not in page.text
    send_due(config=config, engine=engine)
    assert sorted(delivered(handler)) == [SUZUKI]


def test_the_service_queues_the_digests_from_digest_hour_on(office, monkeypatch):
    workspace, config, engine, handler = office
    early = MORNING.replace(hour=7, minute=59)
    assert not digest_time(config, early) and digest_time(config, MORNING)
    pin(monkeypatch, early)
    assert digest_tick(engine, config) is None
    pin(monkeypatch, MORNING)
    report = digest_tick(engine, config)
    assert report is not None and report.queued == ["suzuki", "tanaka"]
    assert digest_tick(engine, config).already == ["suzuki", "tanaka"]
