"""受理 as a safe decision: what it changes in the register is shown before (``intake accept
--dry-run``), open missing items need an explicit, audited override, a reply still asking the
sender for more is pointed out, and ``intake accept --undo`` puts the register back exactly —
refused when the rows changed since."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from intake.db import audit
from intake.db.tables import AuditEntry, Case, Finding, Organisation, OutboxReply, RegisteredPerson
from intake.secretariat.privacy.wiping import _purged_detail
from support.accepting import ORG, import_rows, register_rows, registered, staff_case
from support.staff_builders import person


@pytest.fixture
def built(workspace):
    return registered(workspace)


def _status(workspace, case_id) -> str:
    return json.loads(workspace.cli("show", case_id, "--json").stdout)["status"]


def _actions(workspace, case_id) -> list[dict]:
    return json.loads(workspace.cli("audit", case_id, "--json").stdout)


def test_a_dry_run_shows_the_change_field_by_field_and_changes_nothing(workspace, built):
    case_id = staff_case(built)
    before = register_rows(built)
    result = workspace.cli("accept", case_id, "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["applied"] is False and shown["missing"] == []
    kinds = {(c["table"], c["label"]): c for c in shown["changes"]}
    assert set(kinds) == {("person", "継続 一郎"), ("person", "廃止 二郎"), ("person", "新規 三郎")}
    kept = kinds[("person", "継続 一郎")]
    assert kept["kind"] == "changed"
    assert [(f["name"], f["before"], f["after"]) for f in kept["fields"]] == [
        ("phone", "03-0000-0001", "03-9999-0001")
    ]
    removed = kinds[("person", "廃止 二郎")]
    assert [(f["name"], f["before"], f["after"]) for f in removed["fields"]] == [
        ("status", "active", "removed")
    ]
    added = kinds[("person", "新規 三郎")]
    assert (
        added["kind"] == "added"
        and {"name": "email", "before": None, "after": "shinki@test.co.jp"} in added["fields"]
    )
    assert register_rows(built) == before and _status(workspace, case_id) == "ready_for_review"
    assert _actions(workspace, case_id) == []  # a dry run records nothing

    text = workspace.cli("accept", case_id, "--dry-run").stdout
    for words in (
        "登録簿の変更（3 件）",
        "変更前",
        "変更後",
        "電話番号",
        "03-9999-0001",
        "登録中",
        "廃止",
        "追加",
    ):
        assert words in text, words
    assert "まだ受理していません" in text


def test_accept_then_undo_restores_the_register_exactly_and_both_are_audited(workspace, built):
    case_id = staff_case(built)
    with Session(built.engine) as session:  # due on a day of its own: the undo gives it back
        case = session.get(Case, case_id)
        case.due_at = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)
        session.add(case)
        session.commit()
    before = register_rows(built)
    due_before = json.loads(workspace.cli("show", case_id, "--json").stdout)["due_at"]
    assert due_before is not None
    accepted = workspace.cli("--by", "tanaka", "accept", case_id)
    assert accepted.returncode == 0, accepted.stderr
    assert f"{case_id} を受理しました（登録簿の変更 3 件）" in accepted.stdout
    assert register_rows(built) != before and _status(workspace, case_id) == "accepted"

    undone = workspace.cli("--by", "sato", "accept", "--undo", case_id)
    assert undone.returncode == 0, undone.stderr
    assert f"{case_id} の受理を取り消しました（状態: 確認待ち" in undone.stdout
    assert register_rows(built) == before  # every column, times included; the added person is gone
    shown = json.loads(workspace.cli("show", case_id, "--json").stdout)
    assert shown["status"] == "ready_for_review" and shown["due_at"] == due_before
    entries = _actions(workspace, case_id)
    assert [e["action"] for e in entries][-2:] == ["status", "acceptance_undone"]
    acceptance = next(e for e in entries if e["action"] == "acceptance")
    assert acceptance["by"] == "tanaka" and acceptance["detail"]["from"] == "ready_for_review"
    assert entries[-1]["by"] == "sato" and entries[-1]["detail"]["acceptance"] == acceptance["id"]
    assert entries[-2]["detail"] | {"note": None} == {
        "from": "accepted",
        "to": "ready_for_review",
        "note": None,
    }

    again = workspace.cli("accept", "--undo", case_id)  # nothing left to undo
    assert again.returncode == 1 and "受理済みではない" in again.stderr
    assert workspace.cli("accept", case_id).returncode == 0  # and it can be accepted again
    assert _status(workspace, case_id) == "accepted"


def test_undo_of_an_application_deletes_the_member_it_created(workspace, built):
    case_id = built.case("membership_application", org="新規加入株式会社")
    built.application(case_id, "新規加入株式会社", poc_email="poc@shinki.co.jp")
    built.staff(case_id, "新規加入株式会社", [person("窓口 花子", "新規", poc="する")])
    before = register_rows(built)
    shown = json.loads(workspace.cli("accept", case_id, "--dry-run", "--json").stdout)
    assert [(c["table"], c["kind"]) for c in shown["changes"]] == [
        ("organisation", "added"),
        ("person", "added"),
    ]
    assert workspace.cli("accept", case_id).returncode == 0
    assert workspace.cli("register", "show", "新規加入株式会社", "--json").returncode == 0
    assert workspace.cli("accept", "--undo", case_id).returncode == 0
    assert register_rows(built) == before
    with Session(built.engine) as session:
        assert session.exec(select(Organisation).where(Organisation.name == "新規加入株式会社")).all() == []


def test_undo_is_refused_when_the_register_rows_changed_since(workspace, built):
    case_id = staff_case(built)
    assert workspace.cli("accept", case_id).returncode == 0
    import_rows(workspace, [[ORG, "", "", "後から 四郎", "ato@test.co.jp", "03-0000-0004", "不要", "しない"]])
    changed = register_rows(built)
    refused = workspace.cli("accept", "--undo", case_id)
    assert refused.returncode == 1
    assert f"{case_id} の受理の後に、登録簿の該当する行が変更されています" in refused.stderr
    assert register_rows(built) == changed and _status(workspace, case_id) == "accepted"
    assert "acceptance_undone" not in [e["action"] for e in _actions(workspace, case_id)]


def test_open_missing_items_need_an_explicit_override_which_is_audited(workspace, built):
    case_id = staff_case(built)
    with Session(built.engine) as session:
        session.add(
            Finding(
                case_id=case_id,
                code="required_field:email",
                severity="missing",
                message_ja="メールアドレスが未記入です。",
            )
        )
        session.commit()
    before = register_rows(built)
    for command in (("accept", case_id), ("set-status", case_id, "accepted")):
        refused = workspace.cli(*command)
        assert refused.returncode == 1
        assert "まだ不足している事項があります（メールアドレスが未記入です。）" in refused.stderr
        assert "--override-missing" in refused.stderr
    assert register_rows(built) == before and _status(workspace, case_id) == "ready_for_review"
    shown = workspace.cli("accept", case_id, "--dry-run")
    assert "まだ不足している事項（1 件）" in shown.stdout and "メールアドレスが未記入です。" in shown.stdout

    assert workspace.cli("--by", "tanaka", "accept", case_id, "--override-missing").returncode == 0
    [override] = [e for e in _actions(workspace, case_id) if e["action"] == "accept_override_missing"]
    assert override["by"] == "tanaka" and override["detail"] == {"findings": ["required_field:email"]}


def test_a_reply_still_asking_for_fixes_is_pointed_out(workspace, built):
    case_id = staff_case(built)
    with Session(built.engine) as session:
        for template, state in (("checklist", "held"), ("acknowledgement", "held"), ("checklist", "sent")):
            session.add(
                OutboxReply(
                    case_id=case_id, mailbox="kyogikai", template=template, to_addr="sender@example.co.jp",
                    subject=f"【要修正】{template} {state}", message_id=f"<{template}.{state}@example.jp>",
                    body="ご確認ください。", state=state,
                )
            )  # fmt: skip
        session.commit()
    shown = json.loads(workspace.cli("accept", case_id, "--dry-run", "--json").stdout)
    assert [r["subject"] for r in shown["asking_replies"]] == ["【要修正】checklist held"]
    text = workspace.cli("accept", case_id, "--dry-run").stdout
    assert "まだ修正・追加を求めている返信（未送信）" in text and "【要修正】checklist held" in text
    assert "確認待ち" in text


def test_a_purge_takes_the_register_rows_out_of_the_acceptance_and_undo_then_says_why(workspace, built):
    case_id = staff_case(built)
    assert workspace.cli("accept", case_id).returncode == 0
    with Session(built.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "acceptance")).one()
    assert "新規 三郎" in entry.detail
    purged = _purged_detail(entry)
    assert "新規 三郎" not in purged and json.loads(purged)["from"] == "ready_for_review"
    with Session(built.engine) as session:
        audit.redact(session, entry.id, purged)
        session.commit()
    refused = workspace.cli("accept", "--undo", case_id)
    assert refused.returncode == 1 and "受理の記録（登録簿の変更前の内容）が残っていない" in refused.stderr
    with Session(built.engine) as session:
        assert session.exec(select(RegisteredPerson).where(RegisteredPerson.name == "新規 三郎")).one()
