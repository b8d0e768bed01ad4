"""`intake outbox`, `intake outbox show/release/cancel` and `intake send` on a real workspace."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from intake.db.tables import AuditEntry, OutboxReply
from intake.replies.outbox import queue_reply
from support.smtp_server import REPORTER, add_case, configure, free_port, smtp_server

CONTEXT = {"missing": ["確認②（情報の共有範囲）にご回答ください。"]}


def held_reply(workspace, **configure_kw) -> int:
    config = configure(workspace, mode="hold", **configure_kw)
    with Session(workspace.engine()) as session:
        case, trigger = add_case(session)
        reply = queue_reply(
            session, config=config, case=case, trigger=trigger, template="checklist", context=CONTEXT
        )
        session.commit()
        return reply.id


def test_outbox_json_lists_replies_with_the_interface_keys(workspace):
    reply_id = held_reply(workspace)
    result = workspace.cli("outbox", "--json")
    assert result.returncode == 0, result.stderr
    [item] = json.loads(result.stdout)
    assert {"id", "case_id", "to", "subject", "state", "attempts", "last_error"} <= item.keys()
    assert item["id"] == reply_id and item["case_id"] == "CSC-2026-0007"
    assert item["to"] == REPORTER and item["state"] == "held" and item["attempts"] == 0
    assert item["subject"] == "Re: 不審メールの受信について [CSC-2026-0007]" and item["last_error"] is None
    table = workspace.cli("outbox")
    assert table.returncode == 0 and "[CSC-2026-0007]" in table.stdout and "保留（確認待ち）" in table.stdout


def test_show_release_and_send(workspace):
    with smtp_server() as server:
        reply_id = held_reply(workspace, port=server.port)
        shown = workspace.cli("outbox", "show", str(reply_id))
        assert shown.returncode == 0 and "確認②（情報の共有範囲）にご回答ください。" in shown.stdout
        nothing = workspace.cli("send", "--json")
        assert nothing.returncode == 0 and json.loads(nothing.stdout)["sent"] == []
        released = workspace.cli("--by", "suzuki", "outbox", "release", str(reply_id))
        assert released.returncode == 0, released.stderr
        assert f"reply {reply_id}" in released.stdout
        sent = workspace.cli("send", "--json")
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["sent"] == [reply_id]
    assert len(server.handler.received) == 1
    with Session(workspace.engine()) as session:
        assert session.get(OutboxReply, reply_id).state == "sent"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "reply_released")).one()
        assert audit.by == "suzuki"
    again = workspace.cli("outbox", "release", str(reply_id))
    assert again.returncode == 1 and "is sent" in again.stderr


def test_release_and_cancel_of_an_unknown_reply_fail_plainly(workspace):
    held_reply(workspace)
    for action in ("release", "cancel"):
        result = workspace.cli("outbox", action, "999")
        assert result.returncode == 1
        assert "no reply 999" in result.stderr and "Traceback" not in result.stderr


def test_cancel_keeps_a_held_reply_from_ever_going(workspace):
    reply_id = held_reply(workspace)
    assert workspace.cli("outbox", "cancel", str(reply_id)).returncode == 0
    listed = json.loads(workspace.cli("outbox", "--json").stdout)
    assert listed[0]["state"] == "cancelled"
    assert workspace.cli("outbox", "release", str(reply_id)).returncode == 1


def test_send_exits_1_while_the_smtp_server_is_down(workspace):
    config = configure(workspace, port=free_port())
    with Session(workspace.engine()) as session:
        case, trigger = add_case(session)
        queue_reply(session, config=config, case=case, trigger=trigger, template="checklist", context=CONTEXT)
        session.commit()
    result = workspace.cli("send")
    assert result.returncode == 1
    assert "0 sent, 1 to retry later" in result.stdout
    assert "\nintake: replies: SMTPConnectError" in result.stderr
    [item] = json.loads(workspace.cli("outbox", "--json").stdout)
    assert item["state"] == "queued" and item["attempts"] == 1 and item["last_error"]
