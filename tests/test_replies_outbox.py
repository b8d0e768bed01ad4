"""Queueing replies: loop safety, the per-sender cap, backlog, hold and release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from intake.db.tables import AuditEntry, OutboxReply, utcnow
from intake.errors import IntakeError, NotFound
from intake.replies.outbox import cancel, list_replies, queue_reply, release
from support.smtp_server import OUR_INCIDENT, OUR_MEMBERSHIP, REPORTER, add_case, configure

CONTEXT = {"missing": ["確認①（秘密指定の有無）にご回答ください。"], "confirmation_block": "確認①："}


def queue(session, config, case, trigger, **kw):
    return queue_reply(
        session, config=config, case=case, trigger=trigger, template="checklist", context=CONTEXT, **kw
    )


def count(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxReply)).all())


def test_a_reply_is_queued_threaded_and_addressed(workspace):
    config, engine = configure(workspace), workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session, references="orig-0@mail.example.co.jp")
        reply = queue(session, config, case, trigger)
        session.commit()
        assert reply is not None and reply.id is not None
        assert reply.state == "queued"
        assert reply.to_addr == REPORTER
        assert reply.mailbox == "anken" and reply.template == "checklist"
        assert reply.subject == "Re: 不審メールの受信について [CSC-2026-0007]"
        assert reply.in_reply_to == "orig-1@mail.example.co.jp"
        assert reply.references == "orig-0@mail.example.co.jp orig-1@mail.example.co.jp"
        assert reply.message_id.endswith("@example.jp")
        assert reply.body.startswith("山田 太郎 様\n")  # display name from the From header
        assert "確認①（秘密指定の有無）にご回答ください。" in reply.body


def test_the_reply_lives_and_dies_with_the_callers_transaction(workspace):
    config, engine = configure(workspace), workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session)
        assert queue(session, config, case, trigger) is not None
        session.rollback()
    assert count(engine) == 0


@pytest.mark.parametrize("reason", ["auto_submitted", "bounce", "mailing_list"])
def test_no_reply_to_robots(workspace, reason):
    config, engine = configure(workspace), workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session, no_reply_reason=reason)
        assert queue(session, config, case, trigger) is None
        session.commit()
    assert count(engine) == 0


@pytest.mark.parametrize(
    "sender", [OUR_INCIDENT, OUR_MEMBERSHIP.upper(), "csc-anken+loop@example.jp", "relay@example.jp"]
)
def test_no_reply_to_our_own_addresses(workspace, sender):
    config = configure(workspace, smtp_extra='username = "relay@example.jp"')
    with Session(workspace.engine()) as session:
        case, trigger = add_case(session, sender=sender)
        assert queue(session, config, case, trigger) is None


def test_no_reply_when_mode_is_off_and_held_in_hold_mode(workspace):
    off = configure(workspace, mode="off")
    engine = workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session)
        assert queue(session, off, case, trigger) is None
        hold = off.model_copy(update={"replies": off.replies.model_copy(update={"mode": "hold"})})
        reply = queue(session, hold, case, trigger)
        assert reply is not None and reply.state == "held"


def test_per_sender_cap_counts_the_last_24_hours_of_live_replies(workspace):
    config, engine = configure(workspace, cap=2), workspace.engine()
    now = utcnow()
    with Session(engine) as session:
        case, _ = add_case(session, message_id="m0@x")
        old = OutboxReply(
            case_id=case.id, mailbox="anken", template="checklist", to_addr=REPORTER, subject="s",
            message_id="old@example.jp", body="b", state="sent", created_at=now - timedelta(hours=25),
        )  # fmt: skip
        failed = OutboxReply(
            case_id=case.id, mailbox="anken", template="checklist", to_addr=REPORTER, subject="s",
            message_id="f@example.jp", body="b", state="failed", created_at=now - timedelta(hours=1),
        )  # fmt: skip
        session.add_all([old, failed])
        results = []
        for i in range(3):
            _, trigger = add_case(session, message_id=f"m{i + 1}@x")
            results.append(queue(session, config, case, trigger, now=now))
        assert [r is not None for r in results] == [True, True, False]
        _, other = add_case(session, case_id="CSC-2026-0008", sender="hanako@example.org", message_id="h@x")
        assert queue(session, config, session.get(type(case), "CSC-2026-0008"), other, now=now) is not None
        # a day later the sender may be answered again
        _, later = add_case(session, message_id="m9@x", received_at=now + timedelta(hours=24))
        assert queue(session, config, case, later, now=now + timedelta(hours=25)) is not None


def test_backlog_messages_get_no_reply(workspace):
    config, engine = configure(workspace, backlog=24), workspace.engine()
    now = utcnow()
    with Session(engine) as session:
        case, stale = add_case(session, message_id="stale@x", received_at=now - timedelta(hours=25))
        assert queue(session, config, case, stale, now=now) is None
        _, fresh = add_case(session, message_id="fresh@x", received_at=now - timedelta(hours=23))
        assert queue(session, config, case, fresh, now=now) is not None


def test_backlog_and_cap_of_zero_turn_those_guards_off(workspace):
    config, engine = configure(workspace, backlog=0, cap=0), workspace.engine()
    now = utcnow()
    with Session(engine) as session:
        case, _ = add_case(session, message_id="seed@x")
        for i in range(7):
            _, trigger = add_case(session, message_id=f"z{i}@x", received_at=now - timedelta(days=30))
            assert queue(session, config, case, trigger, now=now) is not None


def test_the_same_reply_to_the_same_message_is_queued_once(workspace):
    config, engine = configure(workspace), workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session)
        assert queue(session, config, case, trigger) is not None
        assert queue(session, config, case, trigger) is None
        other = queue_reply(
            session, config=config, case=case, trigger=trigger, template="acknowledgement", context={}
        )
        assert other is not None


def test_release_moves_a_held_reply_to_the_queue_with_an_audit_entry(workspace):
    config, engine = configure(workspace, mode="hold"), workspace.engine()
    with Session(engine) as session:
        case, trigger = add_case(session)
        reply_id = queue(session, config, case, trigger).id
        session.commit()
    with Session(engine) as session:
        reply = release(session, reply_id, "suzuki")
        session.commit()
        assert reply.state == "queued"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "reply_released")).one()
        assert audit.by == "suzuki" and audit.case_id == "CSC-2026-0007" and str(reply_id) in audit.detail
        with pytest.raises(IntakeError, match="only a held or failed reply"):
            release(session, reply_id, "suzuki")
        with pytest.raises(NotFound):
            release(session, 999, "suzuki")


def test_cancel_and_list(workspace):
    config, engine = configure(workspace), workspace.engine()
    with Session(engine) as session:
        case, first = add_case(session, message_id="a@x")
        _, second = add_case(session, message_id="b@x")
        one, two = queue(session, config, case, first), queue(session, config, case, second)
        cancel(session, one.id, "suzuki")
        session.commit()
        assert [r.id for r in list_replies(session)] == [two.id, one.id]
        assert [r.id for r in list_replies(session, state="cancelled")] == [one.id]
        with pytest.raises(IntakeError):
            cancel(session, one.id, "suzuki")
