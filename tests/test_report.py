"""The month in figures (``intake report``, the desk's 状況 page) from a month of real work: mail
received by ``intake poll``, replies written with ``intake reply``, cases accepted with ``intake
set-status``, the clock pinned at each step (:mod:`support.month` lists the cases and their times).

The medians and 90th percentiles below are worked out by hand (PERCENTILE.INC: linear between the
nearest ranks): first replies after 4, 10, 24 and 1 hours → sorted 1, 4, 10, 24: median (4 + 10) / 2
= 7; 90th at rank 0.9 × 3 = 2.7 → 10 + 0.7 × (24 − 10) = 19.8. Acceptances after 48 and 72 hours →
median 60; 90th at 0.9 × 1 → 48 + 0.9 × 24 = 69.6.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from intake.secretariat.report import AGE_KEYS, month_report, parse_month, percentile
from support.month import AS_OF, MONTH, at, work_the_month

WEEKS = [  # (first day, last day, application, staff registration, incident, other)
    ("2026-12-01", "2026-12-06", 2, 0, 0, 0),
    ("2026-12-07", "2026-12-13", 0, 1, 1, 0),
    ("2026-12-14", "2026-12-20", 2, 0, 1, 0),
    ("2026-12-21", "2026-12-27", 0, 0, 0, 0),
    ("2026-12-28", "2026-12-31", 0, 0, 0, 0),
]
# At 18 Dec 10:00: B 16 days old, D 10, E 3.04, G 2.04, F (November) 18 — waiting for the sender;
# H 1 day — waiting for its password. A and C are accepted.
BACKLOG = {
    "new": (0, 0, 0, 0, 0),
    "waiting_for_password": (1, 0, 0, 0, 0),
    "waiting_for_sender": (1, 1, 1, 2, 0),
    "ready_for_review": (0, 0, 0, 0, 0),
}
MISSING = [
    ("application", "poc.email", "４（１）担当者代表（POC）の電子メール", 2),  # B and G (F is November's)
    ("application", "roster_publication", "３（４）構成員名簿への登載", 1),  # ticked twice
    ("staff_registration", "email", "（７）電子メール", 1),  # two people of C: one case
]


@pytest.fixture
def month(workspace, monkeypatch):
    return work_the_month(workspace, monkeypatch)


def test_the_month_in_figures_from_the_audit_log(month, workspace):
    with Session(workspace.engine()) as session:
        report = month_report(session, MONTH, as_of=AS_OF, rules_dir=workspace.config().rules_path)
    weeks = [(w.first.isoformat(), w.last.isoformat(), *w.counts.values()) for w in report.weeks]
    assert weeks == WEEKS
    assert report.received == {
        "membership_application": 4, "staff_registration": 1, "incident_report": 2, "other": 0,
    }  # fmt: skip
    assert report.first_reply.hours == (4, 10, 24, 1)  # A, B, C, D in order of arrival; E, G, H wait
    assert (report.first_reply.median, report.first_reply.p90, report.first_reply.waiting) == (7, 19.8, 3)
    assert report.acceptance.hours == (48, 72)
    assert (report.acceptance.median, report.acceptance.p90, report.acceptance.waiting) == (60, 69.6, 5)
    assert {row.status: row.ages for row in report.backlog} == BACKLOG
    assert [(m.form, m.field, m.label, m.cases) for m in report.missing] == MISSING


def test_intake_report_prints_the_same_figures_as_json_text_and_a_workbook(month, workspace, tmp_path):
    data = json.loads(month.cli("report", "--month", MONTH, "--format", "json"))
    assert data["as_of"] == "2026-12-18T10:00:00+09:00" and data["from"] == "2026-12-01T00:00:00+09:00"
    assert [(w["from"], w["to"], *w["counts"].values()) for w in data["weeks"]] == WEEKS
    assert data["first_reply"] == {"count": 4, "waiting": 3, "median_hours": 7.0, "p90_hours": 19.8}
    assert data["acceptance"] == {"count": 2, "waiting": 5, "median_hours": 60.0, "p90_hours": 69.6}
    assert {r["status"]: tuple(r["ages"][k] for k in AGE_KEYS) for r in data["backlog"]} == BACKLOG
    assert [(m["form"], m["field"], m["label"], m["cases"]) for m in data["missing"]] == MISSING

    text = month.cli("report", "--month", MONTH)
    assert "2026-12 の状況" in text and "12/14〜12/20" in text and "19.8" in text and "69.6" in text
    assert "４（１）担当者代表（POC）の電子メール" in text
    assert "membership_application" not in text and "waiting_for_sender" not in text  # labels, not codes

    path = tmp_path / "2026-12.xlsx"
    month.cli("report", "--month", MONTH, "--format", "xlsx", "--output", str(path))
    book = load_workbook(path)
    assert book.sheetnames == ["received", "times", "backlog", "missing"]
    received = list(book["received"].iter_rows(values_only=True))
    assert received[0][0] == "週ごとの受付件数（種別別）"
    assert received[1] == ("週", "加入申込書", "事務従事者登録届", "相談・情報提供", "その他", "合計")
    assert received[2:] == [
        ("12/1〜12/6", 2, 0, 0, 0, 2), ("12/7〜12/13", 0, 1, 1, 0, 2), ("12/14〜12/20", 2, 0, 1, 0, 3),
        ("12/21〜12/27", 0, 0, 0, 0, 0), ("12/28〜12/31", 0, 0, 0, 0, 0), ("合計", 4, 1, 2, 0, 7),
    ]  # fmt: skip
    times = list(book["times"].iter_rows(values_only=True))[2:]
    assert times == [("初回返信まで", 4, 3, 7.0, 19.8), ("受理まで", 2, 5, 60.0, 69.6)]
    backlog = list(book["backlog"].iter_rows(values_only=True))[2:]
    assert backlog[2] == ("送信者の対応待ち", 1, 1, 1, 2, 0, 5) and backlog[-1] == ("合計", 2, 1, 1, 2, 0, 6)
    missing = list(book["missing"].iter_rows(values_only=True))[2:]
    assert missing == [
        ("加入申込書", "４（１）担当者代表（POC）の電子メール", 2),
        ("加入申込書", "３（４）構成員名簿への登載", 1),
        ("事務従事者登録届", "（７）電子メール", 1),
    ]


def test_a_case_merged_into_another_counts_once_with_the_case_it_joined(month, workspace):
    month.cli("--by", "suzuki", "merge", month.ids["G"], "--into", month.ids["B"])  # G: B's second mail
    data = json.loads(month.cli("report", "--month", MONTH, "--format", "json"))
    assert (
        data["received"]["membership_application"] == 3
        and data["weeks"][2]["counts"]["membership_application"] == 1
    )
    assert (data["first_reply"]["waiting"], data["acceptance"]["waiting"]) == (2, 4)
    [waiting] = [r for r in data["backlog"] if r["status"] == "waiting_for_sender"]
    assert tuple(waiting["ages"].values()) == (0, 1, 1, 2, 0)  # G (2 days old) is gone
    missing = [(m["form"], m["field"], m["cases"]) for m in data["missing"]]  # G's findings gone with it
    assert missing == [
        ("application", "roster_publication", 1), ("application", "poc.email", 1), ("staff_registration", "email", 1),
    ]  # fmt: skip


def test_a_month_not_written_yyyy_mm_is_a_usage_error_and_a_workbook_needs_a_file(workspace):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    wrong = workspace.cli("report", "--month", "2026-13")
    assert wrong.returncode == 2 and "YYYY-MM" in wrong.stderr
    assert workspace.cli("report", "--format", "xlsx").returncode == 2
    quiet = workspace.cli("report", "--month", "2026-01")  # a month with nothing in it
    assert quiet.returncode == 0 and "この月の案件に記入漏れ・記入誤りはありません。" in quiet.stdout


def test_months_and_percentiles_in_japan_time():
    start, end = parse_month("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+09:00", "2027-01-01T00:00:00+09:00")
    assert end - start == timedelta(days=31)
    assert percentile([], 0.9) is None and percentile([5.0], 0.9) == 5.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)  # PERCENTILE.INC


def test_an_acceptance_taken_back_is_not_counted_until_the_case_is_accepted_again(month, workspace):
    before = json.loads(month.cli("report", "--month", MONTH, "--format", "json"))["acceptance"]
    month.pin(at(17, 9))
    month.cli("--by", "suzuki", "accept", "--undo", month.ids["C"])  # the last acceptance: nothing since
    after = json.loads(month.cli("report", "--month", MONTH, "--format", "json"))["acceptance"]
    assert (after["count"], after["waiting"]) == (before["count"] - 1, before["waiting"] + 1)
