"""Staff actions on a case — notes, status changes, incident decisions — and the audit log."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, Case, IncidentRecord, Note
from intake.errors import IntakeError
from intake.resources import default_rules_dir
from intake.secretariat import actions
from support.staff_builders import CaseBuilder


@pytest.fixture
def built(workspace):
    workspace.write()
    return CaseBuilder(workspace.engine())


def _audit(workspace, *args: str) -> list[dict]:
    result = workspace.cli("audit", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _case(built, case_id: str) -> Case:
    with Session(built.engine) as session:
        return session.get(Case, case_id)


def test_note_is_kept_shown_and_audited_with_the_operator(workspace, built):
    case_id = built.case("other", status="new")
    result = workspace.cli("--by", "suzuki", "note", case_id, "電話で確認済み。パスワードは後日。")
    assert result.returncode == 0, result.stderr
    shown = json.loads(workspace.cli("show", case_id, "--json").stdout)
    assert [n["text"] for n in shown["notes"]] == ["電話で確認済み。パスワードは後日。"]
    [entry] = _audit(workspace, case_id)
    assert (entry["action"], entry["by"], entry["case_id"]) == ("note", "suzuki", case_id)
    assert entry["detail"] == "電話で確認済み。パスワードは後日。"


def test_empty_note_is_refused_and_records_nothing(workspace, built):
    case_id = built.case("other")
    result = workspace.cli("note", case_id, "   ")
    assert result.returncode == 1
    assert "note needs some text" in result.stderr
    assert _audit(workspace) == []


def test_refused_transition_names_the_allowed_ones_and_changes_nothing(workspace, built):
    case_id = built.case("membership_application", status="new")
    result = workspace.cli("set-status", case_id, "accepted")
    assert result.returncode == 1
    assert result.stderr.strip() == (  # in Japanese (labels.toml [errors]), the English line after it
        f"intake: {case_id} を「新規」から「受理」に変えることはできません"
        "（変更できる状態: 送信者の対応待ち、確認待ち、不受理、完了）。 "
        f"(cannot move {case_id} from new to accepted; "
        "allowed: waiting_for_sender, ready_for_review, rejected, closed)"
    )
    assert _case(built, case_id).status == "new"
    assert _audit(workspace) == []


def test_unknown_status_lists_the_statuses(workspace, built):
    case_id = built.case("other")
    result = workspace.cli("set-status", case_id, "approved")
    assert result.returncode == 1
    assert "unknown status 'approved'" in result.stderr
    assert "ready_for_review" in result.stderr
    assert _case(built, case_id).status == "ready_for_review"


def test_every_status_change_is_audited_and_a_closed_case_can_be_reopened(workspace, built):
    case_id = built.case("other", status="ready_for_review")
    steps = [("rejected", "差出人不明"), ("closed", None), ("ready_for_review", "再検討"), ("accepted", None)]
    for status, note in steps:
        args = ["--by", "tanaka", "set-status", case_id, status] + (["--note", note] if note else [])
        result = workspace.cli(*args)
        assert result.returncode == 0, result.stderr
    logged = _audit(workspace, case_id)
    assert [e["action"] for e in logged][-1] == "acceptance"  # what undoing the acceptance reads
    entries = [e for e in logged if e["action"] == "status"]
    moves = [(e["detail"]["from"], e["detail"]["to"]) for e in entries]
    assert moves == [
        ("ready_for_review", "rejected"),
        ("rejected", "closed"),
        ("closed", "ready_for_review"),
        ("ready_for_review", "accepted"),
    ]
    assert {e["by"] for e in entries} == {"tanaka"}
    assert [e["detail"]["note"] for e in entries] == ["差出人不明", None, "再検討", None]
    with Session(built.engine) as session:
        notes = session.exec(select(Note.text).where(Note.case_id == case_id).order_by(Note.id)).all()
    assert notes == ["差出人不明", "再検討"]
    assert _case(built, case_id).status == "accepted"


@pytest.mark.parametrize("start", actions.STATUSES)
def test_transition_policy(built, start):
    """accepted only once the forms are read; every case can be closed; a closed one only reopened."""
    for target in actions.STATUSES:
        case_id = built.case("other", status=start)
        with Session(built.engine) as session:
            try:
                actions.set_status(session, case_id, target, by="t", rules_dir=default_rules_dir())
                session.commit()
                moved = True
            except IntakeError:
                session.rollback()
                moved = False
        assert moved == (target in actions.TRANSITIONS[start])
        assert _case(built, case_id).status == (target if moved else start)
    assert ("accepted" in actions.TRANSITIONS[start]) == (start in ("ready_for_review", "waiting_for_sender"))
    assert ("closed" in actions.TRANSITIONS[start]) == (start != "closed")
    if start in ("accepted", "rejected"):
        assert actions.TRANSITIONS[start] == ("closed",)
    assert actions.TRANSITIONS["closed"] == ("ready_for_review",)
    assert (
        "new" not in actions.TRANSITIONS[start] and "waiting_for_password" not in actions.TRANSITIONS[start]
    )


def test_audit_entries_cannot_be_changed_or_deleted(workspace, built):
    case_id = built.case("other")
    assert workspace.cli("note", case_id, "first").returncode == 0
    with Session(built.engine) as session:
        entry = session.exec(select(AuditEntry)).one()
        entry.detail = "rewritten"
        with pytest.raises(IntakeError, match="append-only"):
            session.commit()
        session.rollback()
        session.delete(session.exec(select(AuditEntry)).one())
        with pytest.raises(IntakeError, match="append-only"):
            session.commit()
    assert [e["detail"] for e in _audit(workspace)] == ["first"]


def test_incident_decision_is_kept_apart_from_the_reporters_request(workspace, built):
    built.prefix = "CSC"
    case_id = built.case("incident_report")
    built.incident(case_id, secret_designation="requested", sharing_scope="TLP:AMBER", tlp="AMBER")
    result = workspace.cli(
        "--by", "sato", "decide", case_id, "--secret", "not_secret", "--scope", "協議会構成員限り"
    )
    assert result.returncode == 0, result.stderr
    with Session(built.engine) as session:
        record = session.get(IncidentRecord, case_id)
    assert (record.secret_designation, record.sharing_scope, record.tlp) == (
        "requested",
        "TLP:AMBER",
        "AMBER",
    )
    assert (record.decided_secret, record.decided_scope, record.decided_by) == (
        "not_secret",
        "協議会構成員限り",
        "sato",
    )
    assert record.decided_at is not None
    [entry] = _audit(workspace, case_id)
    assert entry["action"] == "incident_decision"
    assert entry["detail"] == {"secret": "not_secret", "scope": "協議会構成員限り"}


def test_decisions_only_for_incident_reports_and_only_known_values(workspace, built):
    case_id = built.case("membership_application")
    refused = workspace.cli("decide", case_id, "--secret", "secret")
    assert refused.returncode == 1
    assert "decisions are for incident reports" in refused.stderr
    bad = workspace.cli("decide", case_id, "--secret", "maybe")
    assert bad.returncode == 2
    assert _audit(workspace) == []


def test_unknown_case_is_one_line_and_exit_1(workspace, built):
    for args in (("note", "KYOGIKAI-2026-9999", "x"), ("set-status", "KYOGIKAI-2026-9999", "closed"),
                 ("audit", "KYOGIKAI-2026-9999")):  # fmt: skip
        result = workspace.cli(*args)
        assert result.returncode == 1
        assert (
            result.stderr.strip()
            == "intake: 案件 KYOGIKAI-2026-9999 はありません。 (no case KYOGIKAI-2026-9999)"
        )
