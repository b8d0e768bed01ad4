"""Due dates (期限) in Japanese business days: counted across the year-end closure (29 Dec – 3 Jan),
weekends and a national holiday (成人の日, 11 Jan 2027), per kind and status from ``[sla]``; set
again on every status change, by staff or by mail arriving; none in a final status. The clock is
pinned (``intake.clock.utcnow``) instead of waiting.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from intake import clock
from intake.cases import sla
from intake.clock import JST
from intake.config import parse_config
from intake.db.tables import Case
from intake.secretariat import actions
from support.mailfactory import make_mail

FRIDAY_BEFORE_YEAR_END = datetime(2026, 12, 25, 10, 0, tzinfo=JST)
WEDNESDAY_BEFORE_HOLIDAY = datetime(2027, 1, 6, 10, 0, tzinfo=JST)
SLA = {
    "default": {"new": 2, "waiting_for_password": 3, "waiting_for_sender": 10, "ready_for_review": 5},
    "incident_report": {"new": 1, "ready_for_review": 2},
    "membership_application": {"ready_for_review": 10},
}


def pin(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: when.astimezone(UTC))


def due(kind: str, status: str, since: datetime) -> date | None:
    return sla.due_day(parse_config({"sla": SLA}).sla, kind=kind, status=status, since=since)


def test_due_days_skip_the_year_end_closure_weekends_and_a_holiday_per_kind_and_status():
    friday = FRIDAY_BEFORE_YEAR_END
    assert due("other", "new", friday) == date(2027, 1, 4)  # Monday 28 Dec, then 29 Dec – 3 Jan closed
    assert due("other", "waiting_for_password", friday) == date(2027, 1, 5)
    assert due("other", "new", datetime(2026, 12, 28, 18, 0, tzinfo=JST)) == date(2027, 1, 5)
    assert due("incident_report", "new", friday) == date(2026, 12, 28)
    assert due("incident_report", "ready_for_review", friday) == date(2027, 1, 4)
    assert due("incident_report", "waiting_for_sender", friday) == date(2027, 1, 15)  # the default's 10
    wednesday = WEDNESDAY_BEFORE_HOLIDAY
    assert due("staff_registration", "ready_for_review", wednesday) == date(2027, 1, 14)  # 11 Jan: 成人の日
    assert due("membership_application", "ready_for_review", wednesday) == date(2027, 1, 21)
    assert due("other", "new", datetime(2027, 1, 8, 10, 0, tzinfo=JST)) == date(2027, 1, 13)
    for final in ("accepted", "rejected", "closed"):
        assert due("membership_application", final, friday) is None


def test_the_day_counts_in_japan_time_not_utc():
    # Thursday 7 Jan 2027 20:00 UTC is already Friday 8 Jan in Japan: counted from there
    late_thursday_utc = datetime(2027, 1, 7, 20, 0, tzinfo=UTC)
    assert due("incident_report", "new", late_thursday_utc) == date(2027, 1, 12)  # 11 Jan: 成人の日


def test_overdue_once_the_due_day_has_passed_in_japan():
    due_at = sla.day_start(date(2027, 1, 14))
    assert due_at == datetime(2027, 1, 13, 15, 0, tzinfo=UTC)  # 00:00 JST
    on_the_day = datetime(2027, 1, 14, 23, 59, tzinfo=JST)
    assert sla.is_due_today(due_at, on_the_day) and not sla.is_overdue(due_at, on_the_day)
    next_morning = datetime(2027, 1, 15, 0, 1, tzinfo=JST)
    assert sla.is_overdue(due_at, next_morning) and not sla.is_due_today(due_at, next_morning)
    assert not sla.is_overdue(None, next_morning)


def test_a_status_change_gives_the_case_its_new_due_date_and_a_final_status_none(workspace, monkeypatch):
    workspace.extra = "[sla.default]\nwaiting_for_sender = 4\nready_for_review = 5\n"
    config = workspace.config()
    engine = workspace.engine()
    with Session(engine) as session:
        session.add(
            Case(id="KYOGIKAI-2026-0101", mailbox="kyogikai", kind="staff_registration", status="new")
        )
        session.commit()

    def move(status: str, when: datetime) -> date | None:
        pin(monkeypatch, when)
        with Session(engine) as session:
            actions.set_status(
                session,
                "KYOGIKAI-2026-0101",
                status,
                by="suzuki",
                rules_dir=config.rules_path,
                due=config.sla,
            )
            session.commit()
            return sla.due_date(session.get(Case, "KYOGIKAI-2026-0101").due_at)

    assert move("waiting_for_sender", FRIDAY_BEFORE_YEAR_END) == date(2027, 1, 6)  # 4: 28 Dec, 4–6 Jan
    assert move("ready_for_review", WEDNESDAY_BEFORE_HOLIDAY) == date(2027, 1, 14)
    assert move("closed", datetime(2027, 1, 7, 9, 0, tzinfo=JST)) is None
    assert move("ready_for_review", datetime(2027, 1, 8, 9, 0, tzinfo=JST)) == date(
        2027, 1, 18
    )  # 11 Jan: 成人の日


def test_mail_that_opens_a_case_gives_it_the_due_date_of_the_status_it_lands_in(workspace, monkeypatch):
    workspace.extra = '[replies]\nmode = "hold"\n[sla.incident_report]\nnew = 1\nready_for_review = 2\n'
    path = workspace.add_maildir()
    mailbox.Maildir(path, create=False).add(
        make_mail(sender="山田 太郎 <taro.yamada@example.co.jp>", subject="不審メールの受信について")
    )
    assert workspace.cli("init").returncode == 0
    pin(monkeypatch, FRIDAY_BEFORE_YEAR_END)
    result = workspace.cli("poll")
    assert result.returncode == 0, result.stderr
    with Session(workspace.engine()) as session:
        case = session.get(Case, "CSC-2026-0001")
        assert case is not None and case.kind == "incident_report"
        expected = {
            "new": date(2026, 12, 28),
            "waiting_for_password": date(2027, 1, 5),
            "waiting_for_sender": date(2027, 1, 15),
            "ready_for_review": date(2027, 1, 4),
        }[case.status]
        assert sla.due_date(case.due_at) == expected


def test_a_bad_sla_key_is_one_line_naming_it(workspace):
    workspace.extra = "[sla.default]\nclosed = 3\n"
    workspace.add_maildir()
    result = workspace.cli("queue")
    assert result.returncode == 2
    assert result.stderr.strip().endswith("sla.default.closed: unknown key")
    assert len(result.stderr.strip().splitlines()) == 1
