"""Merging a case into another and splitting it back, on cases made the real way (mail polled from
a Maildir, forms read, checks run): what moves, what the first case then says, where later mail
goes, what is refused, what the audit keeps, and that a split gives back exactly what there was.
The desk's two-step merge and its split button are in tests/test_merge_desk.py."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlmodel import Session, select

from intake.db.tables import Attachment, AuditEntry, Case, IncidentRecord, Message, OutboxReply, StaffEntry
from intake.secretariat import merging
from intake.secretariat.merging import MergeRefused, case_tables
from support.merging import (
    FIRST,
    PASSWORD,
    SECOND,
    application_file,
    deliver,
    membership_mailbox,
    poll,
    snapshot,
    staff_file,
    two_cases,
)

pytestmark = pytest.mark.e2e


def cli(workspace, *args: str, by: str = "suzuki", input: str | None = None):
    return workspace.cli("--by", by, *args, input=input)


def ok(workspace, *args: str, **kwargs) -> str:
    result = cli(workspace, *args, **kwargs)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def show(workspace, case_id: str) -> dict:
    return json.loads(ok(workspace, "show", case_id, "--json"))


def queue(workspace) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(ok(workspace, "queue", "--json"))}


def ids(rows: list[dict]) -> list:
    return sorted(r["id"] for r in rows)


def audit(workspace, case_id: str | None = None) -> list[dict]:
    return json.loads(ok(workspace, "audit", *([case_id] if case_id else []), "--json"))


def replies(workspace) -> list[dict]:
    return json.loads(ok(workspace, "outbox", "--json"))


def test_merge_moves_everything_reevaluates_and_split_gives_it_all_back(workspace):
    first, second, _ = two_cases(workspace)
    ok(workspace, "note", second, "別の担当者のアドレスから届いた登録届")
    before = snapshot(workspace.engine())
    was = queue(workspace)
    assert was[first]["kind"] == "membership_application" and was[second]["kind"] == "staff_registration"
    assert "staff_registration_required" in was[first]["open_findings"]  # the first mail lacked it
    sent_before = replies(workspace)

    out = ok(workspace, "merge", second, "--into", first)
    assert f"{second} を {first} に統合しました。" in out and "メール: 2" in out

    merged, into = show(workspace, second), show(workspace, first)
    assert (merged["status"], merged["merged_into"], merged["messages"], merged["attachments"]) == (
        "closed",
        first,
        [],
        [],
    )
    assert merged["open_findings"] == [] and merged["notes"] == []
    assert into["merged_from"] == [second] and into["kind"] == "membership_application"
    assert {m["from"] for m in into["messages"] if m["direction"] == "in"} == {
        "hanako@example.co.jp",
        "taro@example.co.jp",
    }
    assert sorted(a["document"] for a in into["attachments"]) == ["application", "staff_registration"]
    assert [p["name"] for p in into["fields"]["staff"]] == ["協議会　太郎"]
    assert "staff_registration_required" not in into["open_findings"]  # the second mail's form fills it
    resolved = [f for f in into["findings"] if f["code"] == "staff_registration_required"]
    assert [f["open"] for f in resolved] == [False]
    assert [n["text"] for n in into["notes"]] == ["別の担当者のアドレスから届いた登録届"]
    assert ids(replies(workspace)) == ids(
        sent_before
    )  # no reply for a desk operation: the sender did nothing

    now = queue(workspace)
    assert now[second]["status"] == "closed" and now[second]["merged_into"] == first
    table = ok(workspace, "queue")
    assert f"統合済み（→ {first}）" in table
    shown = ok(workspace, "show", second)
    assert f"この案件は {first} に統合されました。" in shown
    assert f"この案件に統合された案件: {second}" in ok(workspace, "show", first)

    out = ok(workspace, "split", second)
    assert f"{second} の統合を取り消しました" in out
    assert snapshot(workspace.engine()) == before  # every row back where it was, statuses as before
    back = queue(workspace)
    assert {k: (v["status"], v["open_findings"]) for k, v in back.items()} == {
        k: (v["status"], v["open_findings"]) for k, v in was.items()
    }
    assert replies(workspace) == sent_before  # the replies are back in their cases, none new


def test_merge_and_split_are_audited_with_exactly_the_rows_that_moved(workspace):
    first, second, _ = two_cases(workspace)
    engine = workspace.engine()
    with Session(engine) as session:
        messages = sorted(session.exec(select(Message.id).where(Message.case_id == second)))
        attachments = sorted(session.exec(select(Attachment.id).where(Attachment.case_id == second)))
        status = session.get(Case, second).status
    ok(workspace, "merge", first, second, by="tanaka")  # the other spelling: INTO_ID FROM_ID
    [merge] = [e for e in audit(workspace, second) if e["action"] == "merge"]
    assert (
        merge["by"] == "tanaka" and merge["detail"]["into"] == first and merge["detail"]["status"] == status
    )
    assert merge["detail"]["moved"]["message"] == messages
    assert merge["detail"]["moved"]["attachment"] == attachments
    assert set(merge["detail"]["moved"]) <= {t.name for t in case_tables()}
    [merged_in] = [e for e in audit(workspace, first) if e["action"] == "merged_in"]
    assert merged_in["detail"] == {
        "from": second,
        "moved": {k: len(v) for k, v in merge["detail"]["moved"].items()},
    }

    ok(workspace, "split", second, by="sato")
    [split] = [e for e in audit(workspace, second) if e["action"] == "split"]
    assert (split["by"], split["detail"]["from"], split["detail"]["status"]) == ("sato", first, status)
    assert split["detail"]["moved"] == merge["detail"]["moved"]
    assert [e["action"] for e in audit(workspace, first)][-1] == "split_out"


def test_later_mail_to_the_merged_case_lands_in_the_first(workspace):
    first, second, second_message = two_cases(workspace)
    ok(workspace, "merge", second, "--into", first)
    path = workspace.root / "maildir" / "kyogikai"
    deliver(
        path,
        sender=SECOND,
        subject="Re: 事務従事者登録届の送付",
        body="補足です。\n",
        in_reply_to=second_message,
    )
    deliver(path, sender=SECOND, subject=f"追加の連絡 [{second}]", body="もう一点。\n")
    poll(workspace)
    assert set(queue(workspace)) == {first, second}  # no new case
    subjects = [m["subject"] for m in show(workspace, first)["messages"] if m["direction"] == "in"]
    assert "Re: 事務従事者登録届の送付" in subjects and f"追加の連絡 [{second}]" in subjects
    assert show(workspace, second)["messages"] == []


def test_a_form_opened_after_the_merge_goes_back_with_its_attachment(workspace):
    first, second, _ = two_cases(workspace, encrypted_second=True)
    [waiting] = show(workspace, second)["attachments"]
    assert waiting["state"] == "password_pending"
    ok(workspace, "merge", second, "--into", first)
    ok(workspace, "unlock", str(waiting["id"]), "--password-stdin", input=PASSWORD + "\n")
    into = show(workspace, first)
    assert [p["name"] for p in into["fields"]["staff"]] == ["協議会　太郎"]
    assert "staff_registration_required" not in into["open_findings"]

    ok(workspace, "split", second)
    with Session(workspace.engine()) as session:
        staff = session.exec(select(StaffEntry.case_id, StaffEntry.attachment_id)).all()
        assert session.get(Attachment, waiting["id"]).case_id == second
    assert staff == [(second, waiting["id"])]  # read after the merge, from its attachment: back with it
    assert "staff_registration_required" in show(workspace, first)["open_findings"]
    assert show(workspace, second)["fields"]["staff"][0]["name"] == "協議会　太郎"


def test_refusals_change_nothing_and_record_nothing(workspace):
    first, second, _ = two_cases(workspace)
    third = _third_case(workspace)
    incident = workspace.add_maildir()
    deliver(incident, to="csc-anken@example.jp", subject="不審なメールについて", body="ご相談です。\n")
    poll(workspace)
    [report] = [c for c in queue(workspace) if c.startswith("CSC-")]

    def refused(*args: str) -> str:
        result = cli(workspace, *args)
        assert result.returncode == 1, result.stdout + result.stderr
        return result.stderr

    def unchanged(before: dict, entries: int) -> None:
        assert snapshot(workspace.engine()) == before and len(audit(workspace)) == entries

    state = snapshot(workspace.engine()), len(audit(workspace))
    assert "cannot be merged into itself" in refused("merge", first, "--into", first)
    assert "different mailboxes" in refused("merge", report, "--into", first)
    assert "was not merged" in refused("split", first)
    assert "no case KYOGIKAI-2026-0099" in refused("merge", second, "--into", "KYOGIKAI-2026-0099")
    usage = cli(workspace, "merge", second)
    assert usage.returncode == 2 and "--into" in usage.stderr
    unchanged(*state)

    ok(workspace, "merge", second, "--into", first)
    state = snapshot(workspace.engine()), len(audit(workspace))
    assert f"merge into {first} instead" in refused("merge", third, "--into", second)
    assert f"{second} merged into {first}: split them first" in refused("merge", first, "--into", third)
    assert f"already merged into {first}" in refused("merge", second, "--into", third)
    assert "split it first" in refused("set-status", second, "ready_for_review")
    unchanged(*state)
    ok(workspace, "split", second)

    for change, message in (({"status": "accepted"}, "is accepted"), ({"purged_at": True}, "was purged")):
        with Session(workspace.engine()) as session:
            case = session.get(Case, third)
            for key, value in change.items():
                setattr(case, key, case.updated_at if value is True else value)
            session.add(case)
            session.commit()
        state = snapshot(workspace.engine()), len(audit(workspace))
        assert f"{third} {message}" in refused("merge", third, "--into", first)
        assert f"{third} {message}" in refused("merge", first, "--into", third)
        unchanged(*state)


def _third_case(workspace) -> str:
    path = workspace.root / "maildir" / "kyogikai"
    deliver(path, sender="山田 一郎 <ichiro@example.co.jp>", subject="お問い合わせ", body="質問です。\n")
    poll(workspace)
    known = {c for c in queue(workspace) if c.startswith("KYOGIKAI-")}
    return max(known)


def test_incident_reports_combine_staff_decisions_and_split_takes_them_back(workspace):
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    assert workspace.cli("init").returncode == 0
    body = "不審なメールを受信しました。\n確認①（秘密指定の有無）：不要です\n"
    deliver(path, to="csc-anken@example.jp", subject="不審なメール", body=body)
    poll(workspace)
    deliver(path, to="csc-anken@example.jp", sender=SECOND, subject="同じ件の補足", body="添付を送ります。\n")
    poll(workspace)
    first, second = sorted(queue(workspace))
    ok(workspace, "decide", second, "--secret", "not_secret", "--scope", "協議会構成員限り")
    ok(workspace, "merge", second, "--into", first)
    with Session(workspace.engine()) as session:
        ours, theirs = session.get(IncidentRecord, first), session.get(IncidentRecord, second)
        assert (ours.decided_secret, ours.decided_scope) == ("not_secret", "協議会構成員限り")
        assert ours.secret_designation == "not_requested"  # the reporter's answer, read from its mail
        assert (theirs.decided_secret, theirs.decided_scope) == ("not_secret", "協議会構成員限り")
    ok(workspace, "split", second)
    with Session(workspace.engine()) as session:
        ours = session.get(IncidentRecord, first)
        assert (ours.decided_secret, ours.decided_scope, ours.decided_by) == (None, None, None)
        assert session.get(IncidentRecord, second).decided_secret == "not_secret"
        assert session.exec(select(OutboxReply.case_id)).all().count(second) == 1
    assert [e["action"] for e in audit(workspace, second)][-1] == "split"
    assert AuditEntry.__tablename__ not in {t.name for t in case_tables()}


@pytest.mark.postgresql_only(reason="two desks writing at once is PostgreSQL's case; SQLite has one writer")
def test_two_staff_merging_the_same_case_at_once_are_done_one_after_the_other(workspace):
    first, second, _ = two_cases(workspace)
    third = _third_case(workspace)
    config, engine = workspace.config(), workspace.engine()
    outcome: dict[str, object] = {}

    def other_desk() -> None:
        with Session(engine) as session:
            try:
                merging.merge(session, second, into=third, by="sato", config=config)
                session.commit()
                outcome["result"] = "merged"
            except MergeRefused as refused:
                outcome["result"] = str(refused)

    with Session(engine) as session:
        merging.merge(session, second, into=first, by="suzuki", config=config)  # not committed yet
        thread = threading.Thread(target=other_desk)
        thread.start()
        deadline = time.monotonic() + 60
        while not _waiting_for_a_lock(engine):
            assert time.monotonic() < deadline and thread.is_alive(), outcome
            time.sleep(0.05)
        session.commit()
    thread.join(60)
    assert outcome["result"] == f"{second} is already merged into {first}"
    assert show(workspace, second)["merged_into"] == first
    assert len(show(workspace, third)["messages"]) == 1  # nothing moved a second time


def _waiting_for_a_lock(engine) -> bool:
    with engine.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return conn.exec_driver_sql(query).scalar() > 0


def test_messages_split_off_into_a_new_case_and_merged_back(workspace):
    path = membership_mailbox(workspace)
    asked = deliver(path, sender=FIRST, subject="加入申込書の送付", attachments=[application_file()])
    poll(workspace)
    deliver(
        path, sender=SECOND, subject="Re: 加入申込書の送付", in_reply_to=asked, attachments=[staff_file()]
    )
    poll(workspace)
    [case_id] = queue(workspace)
    before = snapshot(workspace.engine())
    whole = show(workspace, case_id)
    assert "staff_registration_required" not in whole["open_findings"]
    [answer] = [m for m in whole["messages"] if m["from"] == "taro@example.co.jp"]
    replies_before = {r["id"]: r["case_id"] for r in replies(workspace)}

    out = ok(workspace, "split", case_id, str(answer["id"]))
    [new] = [c for c in queue(workspace) if c != case_id]
    assert f"{case_id} から指定のメールを新しい案件 {new} に分けました。" in out
    kept, split_off = show(workspace, case_id), show(workspace, new)
    assert {m["from"] for m in kept["messages"] if m["direction"] == "in"} == {"hanako@example.co.jp"}
    assert [m["id"] for m in split_off["messages"] if m["direction"] == "in"] == [answer["id"]]
    assert (split_off["sender"], split_off["kind"]) == ("taro@example.co.jp", "staff_registration")
    assert [p["name"] for p in split_off["fields"]["staff"]] == ["協議会　太郎"]
    assert "staff_registration_required" in kept["open_findings"]  # checked again without the form
    moved_replies = {r["id"] for r in replies(workspace) if r["case_id"] == new}
    assert moved_replies  # the reply that answered the message went with it, and its record
    assert {m["message_id"] for m in split_off["messages"] if m["direction"] == "out"} == {
        r["message_id"] for r in replies(workspace) if r["id"] in moved_replies
    }
    assert set(replies_before) == {r["id"] for r in replies(workspace)}  # no reply for it
    [entry] = [e for e in audit(workspace, case_id) if e["action"] == "split_off"]
    assert entry["detail"]["case"] == new and answer["id"] in entry["detail"]["moved"]["message"]

    ok(workspace, "merge", new, "--into", case_id)  # and back
    after = snapshot(workspace.engine())
    after["case"] = [c for c in after["case"] if c["id"] != new]
    index = after.get("searchentry", [])  # the search index's row of the new case itself goes too
    after["searchentry"] = [e for e in index if (e["source"], e["source_id"]) != ("case", new)]
    assert after == before


def test_split_off_refusals(workspace):
    first, second, _ = two_cases(workspace)
    [message] = [m["id"] for m in show(workspace, second)["messages"] if m["direction"] == "in"]
    [reply] = [m["id"] for m in show(workspace, second)["messages"] if m["direction"] == "out"]
    state = snapshot(workspace.engine()), len(audit(workspace))
    for args, said in (
        ((second, "99999"), f"{second} has no message 99999"),
        ((second, str(message), str(reply)), "nothing would be left"),
        ((second, str(reply)), "at least one message that came in"),
        ((first, str(message)), f"{first} has no message {message}"),
    ):
        result = cli(workspace, "split", *args)
        assert result.returncode == 1 and said in result.stderr, result.stderr
    assert (snapshot(workspace.engine()), len(audit(workspace))) == state
