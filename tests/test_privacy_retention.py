"""Personal data kept only as long as needed ([retention], ``intake purge``): mail goes through the
real pipeline (Maildirs, the forms read, replies held), staff close or reject cases, the clock moves
on, and what is past retention — and nothing else — is stripped down to its skeleton."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from intake.secretariat import views
from support.mailfactory import make_mail
from support.privacy import Desk, block, move_clock

TARO = "松本 太郎 <taro.matsumoto@sakura-denki.example.co.jp>"
HANA = "松本 花 <hana.matsumoto@sakura-denki.example.co.jp>"
RETENTION = "closed_case_days = 30\nremoved_person_days = 90\n"


@pytest.fixture
def desk(workspace):
    """Three cases: a staff registration staff reject, one still in review, an incident closed."""
    desk = Desk(workspace, retention=RETENTION)
    desk.ws.mailboxes[-1] += "closed_case_days = 60\n"  # the incident mailbox keeps its cases longer
    desk.deliver(desk.kyogikai, desk.staff_registration(
        TARO, [block("松本　太郎", "taro.matsumoto@sakura-denki.example.co.jp")], "松本です。登録届を送ります。"
    ))  # fmt: skip
    desk.deliver(desk.kyogikai, desk.staff_registration(
        HANA, [block("松本　花", "hana.matsumoto@sakura-denki.example.co.jp")], "松本花です。よろしくお願いします。"
    ))  # fmt: skip
    desk.deliver(desk.anken, desk.incident(TARO, "不審なメールが届きました。松本太郎 090-0000-1111"))
    desk.cases = desk.poll()
    rejected, open_, incident = desk.cases
    assert desk.cli("set-status", rejected, "rejected").returncode == 0
    assert desk.cli("note", rejected, "松本太郎さんに電話済み").returncode == 0
    assert desk.cli("set-status", incident, "closed").returncode == 0
    return desk


def test_nothing_is_past_retention_until_its_days_have_passed(desk, monkeypatch):
    move_clock(monkeypatch, 29)
    assert desk.json("purge") == {"cases": [], "people": [], "files_removed": 0, "applied": False}


def test_purge_strips_the_cases_past_retention_and_nothing_else(desk, monkeypatch):
    rejected, open_, incident = desk.cases
    kept_files = desk.sha256s(open_) | desk.sha256s(incident)
    before = {case_id: desk.json("show", case_id) for case_id in desk.cases}
    assert before[rejected]["fields"]["staff"][0]["name"] == "松本　太郎"
    move_clock(monkeypatch, 31)

    result = desk.json("--by", "tanaka", "purge", "--apply")

    assert [c["id"] for c in result["cases"]] == [rejected]  # the incident mailbox keeps 60 days
    assert result["cases"][0]["rule"] == "retention.closed_case_days = 30"
    assert result["files_removed"] == 1
    assert not desk.sha256s(rejected) & desk.archived()  # its archived mail is gone from disk
    assert kept_files <= desk.archived()

    skeleton = desk.json("show", rejected)
    assert (skeleton["id"], skeleton["kind"], skeleton["status"]) == (
        rejected,
        "staff_registration",
        "rejected",
    )
    assert skeleton["received_at"] == before[rejected]["received_at"]
    assert skeleton["open_findings"] == before[rejected]["open_findings"]  # the finding codes stay
    assert skeleton["purged_at"] is not None
    assert (skeleton["sender"], skeleton["subject"], skeleton["org_name"]) == ("", "", None)
    assert skeleton["fields"] == {"staff": []} and skeleton["notes"] == []
    assert [(m["from"], m["subject"]) for m in skeleton["messages"] if m["direction"] == "in"] == [("", "")]
    assert all(a["filename"] is None for a in skeleton["attachments"])
    assert "松本" not in json.dumps(skeleton, ensure_ascii=False)
    untouched = {case_id: desk.json("show", case_id) for case_id in (open_, incident)}
    assert untouched[open_]["overdue"] and not before[open_]["overdue"]  # a month on: past its due day
    assert untouched[open_] == before[open_] | {"purged_at": None, "overdue": True}  # the others untouched
    assert untouched[incident] == before[incident] | {"overdue": untouched[incident]["overdue"]}

    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(desk.cli("export", "--format", "csv").stdout))}
    assert (exported[rejected]["sender"], exported[rejected]["subject"]) == ("", "")
    assert "matsumoto" not in json.dumps(exported[rejected], ensure_ascii=False)
    queue = {c["id"]: c for c in desk.json("queue", "--all")}
    assert set(queue) == set(desk.cases)  # the queue still lists the skeleton
    assert queue[rejected]["status"] == "rejected" and queue[rejected]["sender"] == ""

    [entry] = [e for e in desk.json("audit", rejected) if e["action"] == "retention.purge"]
    assert entry["by"] == "tanaka"
    assert entry["detail"]["rule"] == "retention.closed_case_days = 30"
    assert entry["detail"]["messages"] == 2  # the mail, and the reply we wrote
    assert "松本太郎" not in json.dumps(desk.json("audit", rejected), ensure_ascii=False)  # the note's text

    [reply] = [r for r in desk.json("outbox") if r["case_id"] == rejected]
    assert (reply["to"], reply["state"]) == ("", "cancelled")  # held, never to be sent now


def test_a_mailbox_keeps_its_own_days_and_a_file_another_case_needs_stays(desk, monkeypatch):
    rejected, open_, incident = desk.cases
    raw = desk.incident(HANA, "同じメールを両方の窓口へ送りました。")
    desk.deliver(desk.kyogikai, raw)
    desk.deliver(desk.anken, raw)
    shared_kyogikai, shared_anken = desk.poll()
    assert desk.sha256s(shared_kyogikai) == desk.sha256s(shared_anken)
    assert desk.cli("set-status", shared_kyogikai, "closed").returncode == 0
    move_clock(monkeypatch, 61)

    purged = desk.json("purge", "--apply")

    assert {c["id"] for c in purged["cases"]} == {rejected, shared_kyogikai, incident}
    assert {c["rule"] for c in purged["cases"] if c["mailbox"] == "anken"} == {
        "mailbox 'anken': closed_case_days = 60"
    }
    assert desk.sha256s(shared_anken) <= desk.archived()  # still needed by the open case
    assert not desk.sha256s(incident) & desk.archived()
    assert desk.json("purge") == {"cases": [], "people": [], "files_removed": 0, "applied": False}


def test_a_dry_run_changes_nothing(desk, monkeypatch):
    move_clock(monkeypatch, 61)
    database, files = desk.dump(), {p: p.read_bytes() for p in desk.stored_files()}

    listed = desk.cli("purge")

    assert listed.returncode == 0, listed.stderr
    assert "dry run" in listed.stdout and desk.cases[0] in listed.stdout
    assert desk.dump() == database
    assert {p: p.read_bytes() for p in desk.stored_files()} == files


def test_a_removed_person_is_deleted_from_the_register_past_retention(desk, monkeypatch):
    rejected, open_, _ = desk.cases
    register = desk.ws.root / "register.csv"
    register.write_text(
        "org_name,corporate_number,department,name,email,phone,system_registration,poc\n"
        "さくら電機株式会社,,,松本　花,hana.matsumoto@sakura-denki.example.co.jp,03-5555-0102,要,する\n"
        "さくら電機株式会社,,,松本　次郎,jiro.matsumoto@sakura-denki.example.co.jp,03-5555-0103,要,しない\n",
        encoding="utf-8",
    )
    assert desk.cli("register", "import", str(register)).returncode == 0
    desk.deliver(desk.kyogikai, desk.staff_registration(
        HANA, [block("松本　次郎", "jiro.matsumoto@sakura-denki.example.co.jp", "廃止")], "次郎の登録を廃止します。"
    ))  # fmt: skip
    [removal] = desk.poll()
    assert desk.cli("set-status", removal, "accepted").returncode == 0
    [org] = desk.json("register", "show", "さくら電機株式会社")
    assert {p["name"]: p["status"] for p in org["people"]} == {"松本　花": "active", "松本　次郎": "removed"}

    move_clock(monkeypatch, 89)
    assert desk.json("purge")["people"] == []
    move_clock(monkeypatch, 91)
    assert desk.json("purge", "--apply")["people"][0]["rule"] == "retention.removed_person_days = 90"

    [org] = desk.json("register", "show", "さくら電機株式会社")
    assert [p["name"] for p in org["people"]] == ["松本　花"]
    entries = [e for e in desk.json("audit") if e["action"] == "retention.person"]
    assert [e["detail"]["organisation"] for e in entries] == ["さくら電機株式会社"]
    assert "松本" not in json.dumps(entries, ensure_ascii=False)


def test_retention_is_off_until_days_are_set_and_auto_needs_them(workspace):
    desk = Desk(workspace, retention="")
    assert desk.json("purge") == {"cases": [], "people": [], "files_removed": 0, "applied": False}
    workspace.extra = "\n[retention]\nauto = true\n"
    refused = workspace.cli("purge")
    assert refused.returncode == 2
    assert "retention.auto: nothing to apply" in refused.stderr
    workspace.extra = "\n[retention]\nclosed_case_days = 0\n"
    assert "retention.closed_case_days" in workspace.cli("purge").stderr


@pytest.mark.e2e  # intake run as a separate process, stopped with SIGTERM
def test_intake_run_purges_daily_when_auto_is_on(workspace):
    desk = Desk(workspace, retention="closed_case_days = 30\nauto = true\n")
    desk.deliver(desk.anken, desk.incident(TARO, "松本です。"))
    [case_id] = desk.poll()
    assert desk.cli("set-status", case_id, "closed").returncode == 0
    with workspace.engine().begin() as conn:  # closed 40 days ago
        conn.execute(
            text('UPDATE "case" SET updated_at = :at WHERE id = :id'), {"at": _days_ago(40), "id": case_id}
        )
    service = subprocess.Popen(
        [sys.executable, "-m", "intake", "run"],
        env={**os.environ, **workspace.environment}, cwd=workspace.root,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        purged = _wait_for(lambda: desk.json("show", case_id)["purged_at"] is not None)
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    assert purged, err
    assert service.returncode == 0, err
    [entry] = [e for e in desk.json("audit", case_id) if e["action"] == "retention.purge"]
    assert (entry["by"], entry["detail"]["rule"]) == ("intake", "retention.closed_case_days = 30")
    assert not desk.sha256s(case_id) & desk.archived()


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S.%f")


def _wait_for(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def test_mail_that_joins_a_purged_case_is_purged_in_its_turn(desk, monkeypatch):
    rejected = desk.cases[0]
    move_clock(monkeypatch, 31)
    assert [c["id"] for c in desk.json("purge", "--apply")["cases"]] == [rejected]
    answer = make_mail(
        sender=TARO, subject=f"Re: 事務従事者登録届の提出 [{rejected}]", body="松本です。追記します。"
    )
    desk.deliver(desk.kyogikai, answer)
    assert desk.poll() == []  # it joined the case
    shown = desk.json("show", rejected)
    assert [m["from"] for m in shown["messages"] if m["direction"] == "in"][-1] == TARO.split("<")[1][:-1]

    assert shown["status"] == "rejected" and "松本" in json.dumps(shown, ensure_ascii=False)

    move_clock(monkeypatch, 62)
    again = desk.json("purge", "--apply")
    assert rejected in {c["id"] for c in again["cases"]}
    assert "松本" not in json.dumps(desk.json("show", rejected), ensure_ascii=False)


def test_the_desk_shows_a_purged_case_without_its_mail(desk, monkeypatch):
    rejected = desk.cases[0]
    move_clock(monkeypatch, 31)
    assert desk.cli("purge", "--apply").returncode == 0
    engine = desk.ws.engine()
    with Session(engine) as session:
        texts = views.message_texts(session, desk.ws.config(), rejected)
    engine.dispose()
    assert [(t["direction"], t["from"], t["text"]) for t in texts] == [("in", "", ""), ("out", "", "")]
