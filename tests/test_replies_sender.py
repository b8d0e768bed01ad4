"""Delivering replies to a real SMTP server (aiosmtpd): headers, Japanese text, retries, failures."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import Session

from intake.clock import as_utc
from intake.config import parse_config
from intake.db.tables import OutboxReply, utcnow
from intake.replies import sender
from intake.replies.outbox import queue_reply, release
from intake.replies.sender import send_due
from support.smtp_server import (
    OUR_INCIDENT,
    REPORTER,
    Recorder,
    add_case,
    configure,
    free_port,
    password_checker,
    smtp_server,
)

BLOCK = "【確認①】秘密指定の有無：\n【確認②】情報の共有範囲（TLP 可）：\n【確認③】対応調整の要否："
CONTEXT = {"missing": ["確認①（秘密指定の有無）にご回答ください。㈱①〜"], "confirmation_block": BLOCK}


def enqueue(workspace, config, *, message_id="orig-1@mail.example.co.jp", sender_addr=REPORTER) -> int:
    with Session(workspace.engine()) as session:
        case, trigger = add_case(
            session, message_id=message_id, sender=sender_addr, references="orig-0@mail.example.co.jp"
        )
        reply = queue_reply(
            session, config=config, case=case, trigger=trigger, template="checklist", context=CONTEXT
        )
        session.commit()
        return reply.id


def load(engine, reply_id) -> OutboxReply:
    with Session(engine) as session:
        return session.get(OutboxReply, reply_id)


def test_delivered_reply_is_threaded_marked_automatic_and_japanese_intact(workspace):
    with smtp_server() as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        report = send_due(config=config, engine=engine)
    assert report.sent == [reply_id] and report.failed == [] and report.retrying == []
    [delivery] = server.handler.received
    assert delivery.mail_from == OUR_INCIDENT and delivery.rcpt_tos == [REPORTER]
    msg = delivery.message
    stored = load(engine, reply_id)
    assert msg["From"] == OUR_INCIDENT and msg["To"] == REPORTER
    assert msg["Subject"] == "Re: 不審メールの受信について [CSC-2026-0007]"
    assert msg["Message-ID"] == f"<{stored.message_id}>"
    assert msg["In-Reply-To"] == "<orig-1@mail.example.co.jp>"
    assert msg["References"] == "<orig-0@mail.example.co.jp> <orig-1@mail.example.co.jp>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Date"] is not None
    body = msg.get_content()
    assert body == stored.body
    assert "確認①（秘密指定の有無）にご回答ください。㈱①〜" in body and BLOCK in body
    assert stored.state == "sent" and stored.attempts == 1 and stored.last_error is None
    assert stored.sent_at is not None and "queued as TEST1" in stored.server_reply


def test_a_second_round_sends_nothing_again(workspace):
    with smtp_server() as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        first = enqueue(workspace, config, message_id="a@x")
        second = enqueue(workspace, config, message_id="b@x")
        assert send_due(config=config, engine=engine).sent == [first, second]
        again = send_due(config=config, engine=engine, now=utcnow() + timedelta(days=1))
    assert again.sent == again.retrying == again.failed == []
    ids = [d.message["Message-ID"] for d in server.handler.received]
    assert len(ids) == 2 and len(set(ids)) == 2


def test_server_down_keeps_the_reply_queued_then_it_goes_once(workspace):
    port = free_port()  # nothing listens here yet
    config = configure(workspace, port=port)
    engine = workspace.engine()
    reply_id = enqueue(workspace, config)
    now = utcnow()
    report = send_due(config=config, engine=engine, now=now)
    assert report.retrying == [reply_id] and report.stopped
    down = load(engine, reply_id)
    assert down.state == "queued" and down.attempts == 1 and "connect" in down.last_error.lower()
    assert as_utc(down.next_attempt_at) == now + timedelta(minutes=1)
    with smtp_server(port=port) as server:
        early = send_due(config=config, engine=engine, now=now + timedelta(seconds=30))
        assert early.sent == [] and server.handler.received == []  # not due yet
        assert send_due(config=config, engine=engine, now=now + timedelta(minutes=2)).sent == [reply_id]
        assert send_due(config=config, engine=engine, now=now + timedelta(hours=9)).sent == []
    assert len(server.handler.received) == 1
    up = load(engine, reply_id)
    assert up.state == "sent" and up.attempts == 2 and up.last_error is None


def test_server_down_records_the_attempt_and_error_of_every_due_reply(workspace):
    config = configure(workspace, port=free_port())  # nothing listens
    engine = workspace.engine()
    ids = [enqueue(workspace, config, message_id=f"m{i}@x") for i in range(3)]
    report = send_due(config=config, engine=engine, now=utcnow())
    assert report.retrying == ids and report.stopped
    for reply_id in ids:
        row = load(engine, reply_id)
        assert row.state == "queued" and row.attempts == 1 and "connect" in row.last_error.lower()


def test_4xx_is_retried_with_growing_waits_then_sent(workspace):
    handler = Recorder(data=["451 4.3.0 try again later", "452 4.3.1 insufficient storage"])
    with smtp_server(handler) as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        now = utcnow()
        assert send_due(config=config, engine=engine, now=now).retrying == [reply_id]
        first = load(engine, reply_id)
        assert first.last_error.startswith("451")
        assert as_utc(first.next_attempt_at) == now + timedelta(minutes=1)
        later = now + timedelta(minutes=1)
        assert send_due(config=config, engine=engine, now=later).retrying == [reply_id]
        second = load(engine, reply_id)
        assert second.last_error.startswith("452")
        assert as_utc(second.next_attempt_at) == later + timedelta(minutes=2)
        assert send_due(config=config, engine=engine, now=later + timedelta(minutes=2)).sent == [reply_id]
    assert handler.data_attempts == 3 and len(handler.received) == 1
    assert load(engine, reply_id).attempts == 3


def test_temporary_failures_give_up_after_the_attempt_limit(workspace):
    handler = Recorder(rcpt=["450 4.2.1 mailbox busy"] * 5)
    with smtp_server(handler) as server:
        config = configure(workspace, port=server.port, replies_extra="max_attempts = 3")
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        when = utcnow()
        for expected in ("retrying", "retrying", "failed"):
            report = send_due(config=config, engine=engine, now=when)
            assert getattr(report, expected) == [reply_id]
            when += timedelta(hours=5)
    failed = load(engine, reply_id)
    assert failed.state == "failed" and failed.attempts == 3
    assert "gave up after 3 attempts" in failed.last_error and "450" in failed.last_error
    assert handler.received == []


def test_backoff_is_capped():
    config = parse_config({})
    assert sender.backoff(1, config) == timedelta(minutes=1)
    assert sender.backoff(4, config) == timedelta(minutes=8)
    assert sender.backoff(30, config) == timedelta(hours=4)


def test_5xx_recipient_refusal_fails_at_once(workspace):
    handler = Recorder(rcpt=["550 5.1.1 no such user"])
    with smtp_server(handler) as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        report = send_due(config=config, engine=engine)
        again = send_due(config=config, engine=engine, now=utcnow() + timedelta(days=1))
    assert report.failed == [reply_id] and again.failed == again.sent == []
    failed = load(engine, reply_id)
    assert failed.state == "failed" and failed.attempts == 1 and failed.last_error.startswith("550")
    assert handler.received == []


def test_5xx_to_the_data_fails_and_the_round_goes_on(workspace):
    handler = Recorder(data=["554 5.6.0 message content rejected"])
    with smtp_server(handler) as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        first = enqueue(workspace, config, message_id="a@x")
        second = enqueue(workspace, config, message_id="b@x")
        report = send_due(config=config, engine=engine)
    assert report.failed == [first] and report.sent == [second]
    assert load(engine, first).last_error.startswith("554")


def test_hold_mode_sends_only_what_staff_released(workspace):
    with smtp_server() as server:
        config = configure(workspace, port=server.port, mode="hold")
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        assert send_due(config=config, engine=engine).sent == []
        with Session(engine) as session:
            release(session, reply_id, "suzuki")
            session.commit()
        assert send_due(config=config, engine=engine).sent == [reply_id]
    assert len(server.handler.received) == 1


def test_off_mode_sends_nothing_even_if_queued(workspace):
    with smtp_server() as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        enqueue(workspace, config)
        off = config.model_copy(update={"replies": config.replies.model_copy(update={"mode": "off"})})
        assert send_due(config=off, engine=engine).stopped == "replies.mode is off"
    assert server.handler.received == []


def test_crash_after_delivery_gives_one_recognisable_duplicate(workspace, monkeypatch):
    real_record = sender._record

    def crash(*args, **kwargs):
        raise RuntimeError("power cut after the server said 250")

    with smtp_server() as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        now = utcnow()
        monkeypatch.setattr(sender, "_record", crash)
        try:
            send_due(config=config, engine=engine, now=now)
        except RuntimeError:
            pass
        monkeypatch.setattr(sender, "_record", real_record)
        assert load(engine, reply_id).state == "queued"
        assert send_due(config=config, engine=engine, now=now + timedelta(minutes=1)).sent == []  # leased
        assert send_due(
            config=config, engine=engine, now=now + timedelta(seconds=config.replies.claim_lease_seconds)
        ).sent == [reply_id]
    ids = [d.message["Message-ID"] for d in server.handler.received]
    assert len(ids) == 2 and ids[0] == ids[1] == f"<{load(engine, reply_id).message_id}>"


def test_login_uses_the_password_from_the_environment_and_never_shows_it(workspace, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", "Wrong-Pass-42")
    checker = password_checker("intake", "Right-Pass-42")
    with smtp_server(auth_require_tls=False, authenticator=checker) as server:
        config = configure(
            workspace,
            port=server.port,
            smtp_extra='username = "intake"\npassword_env = "INTAKE_TEST_SMTP_PASSWORD"',
        )
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        now = utcnow()
        refused = send_due(config=config, engine=engine, now=now)
        assert refused.retrying == [reply_id] and "login refused" in refused.stopped
        assert "535" in load(engine, reply_id).last_error
        monkeypatch.setenv("INTAKE_TEST_SMTP_PASSWORD", "Right-Pass-42")
        assert send_due(config=config, engine=engine, now=now + timedelta(minutes=1)).sent == [reply_id]
    assert "Wrong-Pass-42" not in caplog.text and "Right-Pass-42" not in caplog.text
    assert "Wrong-Pass-42" not in (load(engine, reply_id).last_error or "")


def test_a_reply_claimed_by_another_sender_is_skipped(workspace, monkeypatch):
    with smtp_server() as server:
        config = configure(workspace, port=server.port)
        engine = workspace.engine()
        reply_id = enqueue(workspace, config)
        now = utcnow()
        monkeypatch.setattr(sender, "_due_ids", lambda engine, now: [reply_id])  # both saw it due
        assert sender._claim(
            engine, reply_id, now, timedelta(minutes=10)
        )  # the other sender (e.g. `intake run`) took it
        report = send_due(config=config, engine=engine, now=now)
    assert report.sent == report.retrying == report.failed == []
    assert server.handler.received == [] and load(engine, reply_id).attempts == 0
