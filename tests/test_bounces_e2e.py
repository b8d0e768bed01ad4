"""Robots answering our replies belong to the case they answer (end to end, Dovecot and aiosmtpd).

A reporter writes; intake's checklist goes out through a real SMTP server; the reporter's server
bounces it, in the layout of Postfix, Exim, Exchange, Gmail or qmail (:mod:`support.bounces`). The
bounce joins the reply's case, the reply is marked ``bounced`` with the status and the server's
words, staff get ``reply_bounced`` (never a reply: there is nobody to send it to), and the case's
status stays. An out-of-office answer joins its case the same way without marking anything. A
later reply that reaches a new address settles the finding. Robot mail that answers nothing of
ours is kept but stays out of the review queue (``intake queue --robots`` lists it).
"""

from __future__ import annotations

import pytest

from support import bounces
from support.conversation import INCIDENT, cli_json, delivered, poll, reply_to, setup
from support.mailfactory import make_mail
from support.smtp_server import smtp_server

REPORTER = "田中 一郎 <ichiro.tanaka@example.co.jp>"
COLLEAGUE = "田中 二郎 <jiro.tanaka@example.com>"
REPORT = "サイバーセキュリティ協議会事務局 御中\n\n不審なメールが届きましたのでご報告します。\n"


def first_checklist(workspace, dovecot, server):
    incident, _ = setup(workspace, dovecot, smtp_port=server.port)
    incident.append([make_mail(sender=REPORTER, to=INCIDENT, subject="不審メールのご報告", body=REPORT)])
    poll(workspace)
    [case] = cli_json(workspace, "queue")
    [checklist] = server.handler.received
    return incident, case["id"], checklist


@pytest.mark.parametrize("server_kind", sorted(bounces.FORMATS))
def test_a_bounce_joins_its_case_and_marks_the_reply(workspace, dovecot, server_kind):
    with smtp_server() as server:
        incident, case_id, checklist = first_checklist(workspace, dovecot, server)
        incident.append([bounces.FORMATS[server_kind](checklist.content)])
        report = poll(workspace)
        assert (report["mailboxes"][0]["joined"], report["mailboxes"][0]["created"]) == (1, 0)
        assert len(server.handler.received) == 1  # nothing more went out
    shown = cli_json(workspace, "show", case_id)
    assert [m["direction"] for m in shown["messages"]] == ["in", "out", "in"]
    assert shown["messages"][-1]["no_reply_reason"] is not None
    [reply] = cli_json(workspace, "outbox")
    assert reply["state"] == "bounced" and reply["last_error"].startswith("5.1.1 ")
    assert "550" in reply["last_error"]
    [bounced] = [f for f in shown["findings"] if f["code"] == "reply_bounced"]
    assert bounced["open"] and bounced["severity"] == "warning"
    assert "ichiro.tanaka@example.co.jp" in bounced["message_ja"] and "電話" in bounced["message_ja"]
    assert shown["status"] == "waiting_for_sender"  # as before: the checklist is still unanswered
    assert cli_json(workspace, "queue", "--robots") == []


def test_an_out_of_office_answer_joins_its_case_and_changes_nothing(workspace, dovecot):
    with smtp_server() as server:
        incident, case_id, checklist = first_checklist(workspace, dovecot, server)
        before = cli_json(workspace, "show", case_id)
        incident.append([bounces.out_of_office(checklist.content)])
        report = poll(workspace)
        assert report["mailboxes"][0]["joined"] == 1
        assert len(server.handler.received) == 1
    shown = cli_json(workspace, "show", case_id)
    assert len(shown["messages"]) == 3 and shown["messages"][-1]["no_reply_reason"] == "auto_submitted"
    assert [r["state"] for r in cli_json(workspace, "outbox")] == ["sent"]
    assert (shown["status"], shown["open_findings"]) == (before["status"], before["open_findings"])


def test_a_later_reply_that_reaches_a_new_address_settles_the_bounce(workspace, dovecot):
    with smtp_server() as server:
        incident, case_id, checklist = first_checklist(workspace, dovecot, server)
        incident.append([bounces.postfix(checklist.content)])
        poll(workspace)
        assert "reply_bounced" in cli_json(workspace, "show", case_id)["open_findings"]
        text = "確認①：不要\n確認②：協議会構成員限り\n確認③：不要"
        answer = reply_to(checklist.message, text, sender=COLLEAGUE)
        incident.append([answer])
        poll(workspace)
        ack = delivered(server)[-1]
        assert ack["To"].addresses[0].addr_spec == "jiro.tanaka@example.com"
    shown = cli_json(workspace, "show", case_id)
    [bounced] = [f for f in shown["findings"] if f["code"] == "reply_bounced"]
    assert not bounced["open"]


def test_robot_mail_that_answers_nothing_of_ours_is_kept_out_of_the_queue(workspace, dovecot):
    stranger = make_mail(sender=REPORTER, to="someone@example.org", subject="別件", body="本文\n")
    with smtp_server() as server:
        incident, _ = setup(workspace, dovecot, smtp_port=server.port)
        incident.append([bounces.qmail(stranger)])  # a bounce of mail we never sent
        poll(workspace)
        assert server.handler.received == []
    assert cli_json(workspace, "queue") == []
    [robot] = cli_json(workspace, "queue", "--robots")
    assert robot["robot"] and robot["sender"].lower().startswith("mailer-daemon")
    assert [c["id"] for c in cli_json(workspace, "queue", "--all")] == [robot["id"]]
    assert cli_json(workspace, "show", robot["id"])["messages"][0]["no_reply_reason"]
