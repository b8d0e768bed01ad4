"""The Maildir source keeps the same once-only rule as IMAP (issue 2)."""

from __future__ import annotations

import mailbox
import shutil

from sqlmodel import Session, func, select

from intake.db.tables import Case, OutboxReply, QuarantineEntry, SearchEntry
from intake.resources import default_rules_dir
from intake.runner.poller import Poller
from support.mailfactory import make_mail, numbered_mails


def deliver(path, mails):
    box = mailbox.Maildir(path, create=False)
    return [box.add(m) for m in mails]


def test_once_only_across_polls(workspace):
    path = workspace.add_maildir()
    deliver(path, numbered_mails(3, to="csc-anken@example.jp"))
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)

    assert poller.poll(config.mailbox[0]).created == 3
    assert poller.poll(config.mailbox[0]).fetched == 0
    deliver(path, [make_mail(subject="新しい報告", to="csc-anken@example.jp")])
    report = poller.poll(config.mailbox[0])
    assert (report.fetched, report.created) == (1, 1)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 4
        assert set(s.exec(select(Case.kind))) == {"incident_report"}


def test_processed_files_move_from_new_to_cur_unread(workspace):
    path = workspace.add_maildir()
    keys = deliver(path, numbered_mails(2))
    config = workspace.config()
    Poller(config=config, engine=workspace.engine()).poll(config.mailbox[0])
    assert list((path / "new").iterdir()) == []
    names = sorted(p.name for p in (path / "cur").iterdir())
    assert names == sorted(f"{k}:2," for k in keys)  # moved, not flagged Seen (no "S")


def test_already_recorded_message_left_in_new_is_moved_not_reprocessed(workspace):
    """A crash between commit and move leaves the file in new/: the next poll only moves it."""
    path = workspace.add_maildir()
    deliver(path, numbered_mails(1))
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    poller.poll(config.mailbox[0])
    (moved,) = (path / "cur").iterdir()
    moved.rename(path / "new" / moved.name.split(":")[0])  # as if the move had not happened

    report = poller.poll(config.mailbox[0])
    assert report.fetched == 0
    assert list((path / "new").iterdir()) == []
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == 1


def test_a_message_that_fails_while_written_goes_alone_to_the_quarantine_and_its_batch_is_kept(
    workspace, tmp_path
):
    """A batch is written at once; when one of its messages fails (here a reply template staff
    edited breaks on one sender's name), the batch is written again one savepoint a message: that
    message alone goes to the quarantine with why, the others are stored, indexed and answered."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    template = rules / "templates" / "checklist.j2"
    broken = "{% if sender_name == '壊れる 人' %}{{ 1 // 0 }}{% endif %}"
    template.write_text(broken + template.read_text(encoding="utf-8"), encoding="utf-8")
    workspace.rules_dir = rules
    path = workspace.add_maildir()
    senders = ["報告 一郎 <ichiro@corp1.example.co.jp>", "壊れる 人 <broken@corp2.example.co.jp>",
               "報告 三郎 <saburo@corp3.example.co.jp>"]  # fmt: skip
    deliver(
        path,
        [
            make_mail(sender=s, to="csc-anken@example.jp", subject=f"不審メール {n}")
            for n, s in enumerate(senders)
        ],
    )
    config, engine = workspace.config(), workspace.engine()

    report = Poller(config=config, engine=engine).poll(config.mailbox[0])

    assert (report.fetched, report.created, report.quarantined) == (3, 2, 1)
    assert list((path / "new").iterdir()) == []  # all three marked: kept, one way or the other
    with Session(engine) as s:
        assert set(s.exec(select(Case.sender))) == {
            "ichiro@corp1.example.co.jp",
            "saburo@corp3.example.co.jp",
        }
        [entry] = s.exec(select(QuarantineEntry)).all()
        assert "ZeroDivisionError" in entry.error
        replies = set(s.exec(select(OutboxReply.to_addr)))
        assert replies == {"ichiro@corp1.example.co.jp", "saburo@corp3.example.co.jp"}
        indexed = set(s.exec(select(SearchEntry.source).where(SearchEntry.case_id == report.case_ids[1])))
        assert indexed == {"case", "message", "reply"}
    year = report.case_ids[0].split("-")[1]
    assert report.case_ids == [f"CSC-{year}-0001", f"CSC-{year}-0002"]  # the number it took was given back
    deliver(path, [make_mail(sender="報告 四郎 <shiro@corp4.example.co.jp>", to="csc-anken@example.jp")])
    assert Poller(config=config, engine=engine).poll(config.mailbox[0]).case_ids == [f"CSC-{year}-0003"]


def test_a_batch_numbers_its_cases_in_order_and_the_next_poll_goes_on_from_the_last(workspace):
    path = workspace.add_maildir()
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    deliver(path, numbered_mails(5, to="csc-anken@example.jp"))
    first = poller.poll(config.mailbox[0]).case_ids
    deliver(path, numbered_mails(2, to="csc-anken@example.jp"))
    second = poller.poll(config.mailbox[0]).case_ids
    year = first[0].split("-")[1]
    assert [*first, *second] == [f"CSC-{year}-{n:04d}" for n in range(1, 8)]


REFUSING = {  # a trigger standing in for any rule the database holds that one message's row breaks
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON message WHEN NEW.subject LIKE '%拒否%' "
        "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF position('拒否' in NEW.subject) > 0 THEN "
        "RAISE EXCEPTION 'refused by the database'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION refuse()",
    ],
}


def test_a_row_the_database_refuses_sends_only_its_message_to_the_quarantine(workspace):
    """A batch's rows reach the database in one flush at its end; when the database refuses one,
    the batch is written again one savepoint a message: that message alone goes to the quarantine,
    said in the database's words (never the statement or the values), the rest are stored."""
    path = workspace.add_maildir()
    config, engine = workspace.config(), workspace.engine()
    with engine.begin() as conn:
        for statement in REFUSING[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    subjects = ["不審メール 一", "拒否される報告", "不審メール 三"]
    deliver(
        path,
        [
            make_mail(to="csc-anken@example.jp", subject=s, sender=f"n{n} <n{n}@corp{n}.example.co.jp>")
            for n, s in enumerate(subjects)
        ],
    )

    report = Poller(config=config, engine=engine).poll(config.mailbox[0])

    assert (report.fetched, report.created, report.quarantined) == (3, 2, 1)
    with Session(engine) as s:
        assert set(s.exec(select(Case.subject))) == {"不審メール 一", "不審メール 三"}
        [entry] = s.exec(select(QuarantineEntry)).all()
    assert "refused by the database" in entry.error
    assert "INSERT" not in entry.error and "n1@corp1" not in entry.error
