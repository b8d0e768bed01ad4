"""The Maildir source keeps the same once-only rule as IMAP (issue 2)."""

from __future__ import annotations

import mailbox

from sqlmodel import Session, func, select

from intake.db.tables import Case
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
