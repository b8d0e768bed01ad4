"""Polling a real Dovecot: once-only processing, server marks, resync, failures (issue 2)."""

from __future__ import annotations

import dataclasses
import json

from sqlmodel import Session, func, select

from intake.db.tables import Case, Message, QuarantineEntry
from intake.runner.poller import Poller
from support.mailfactory import make_mail, numbered_mails

PROCESSED = b"$IntakeProcessed"


def count(engine, table) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_first_poll_creates_one_case_per_message_and_second_poll_none(workspace, imap_account):
    imap_account.append(numbered_mails(5))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)

    first = poller.poll(config.mailbox[0])
    assert (first.fetched, first.created) == (5, 5)
    assert count(engine, Case) == 5

    second = poller.poll(config.mailbox[0])
    assert (second.fetched, second.created) == (0, 0)
    assert count(engine, Case) == 5


def test_processed_messages_carry_the_keyword_and_stay_unseen(workspace, imap_account):
    imap_account.append(numbered_mails(3))
    workspace.add_imap(imap_account)
    config = workspace.config()
    Poller(config=config, engine=workspace.engine()).poll(config.mailbox[0])

    flags = imap_account.flags()
    assert len(flags) == 3
    for uid_flags in flags.values():
        assert PROCESSED in uid_flags
        assert b"\\Seen" not in uid_flags


def test_message_appended_between_polls_is_picked_up_next_time(workspace, imap_account):
    imap_account.append(numbered_mails(2))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    poller.poll(config.mailbox[0])

    imap_account.append([make_mail(subject="追加の申込書")])
    report = poller.poll(config.mailbox[0])
    assert (report.fetched, report.created) == (1, 1)
    with Session(engine) as s:
        subjects = set(s.exec(select(Case.subject)))
    assert "追加の申込書" in subjects


def test_case_ids_run_per_prefix_and_year(workspace, imap_account):
    imap_account.append(numbered_mails(3))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    report = Poller(config=config, engine=engine).poll(config.mailbox[0])
    year = report.case_ids[0].split("-")[1]
    assert report.case_ids == [f"KYOGIKAI-{year}-0001", f"KYOGIKAI-{year}-0002", f"KYOGIKAI-{year}-0003"]


def test_uidvalidity_change_creates_no_duplicate_cases(workspace, imap_account):
    mails = numbered_mails(4)
    imap_account.append(mails, folder="Forms")
    workspace.add_imap(imap_account, folder="Forms")
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    poller.poll(config.mailbox[0])

    with imap_account.client(None) as c:
        before = c.folder_status("Forms", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        c.rename_folder("Forms", "Forms-old")
    imap_account.append(mails, folder="Forms")  # the folder recreated with the same messages
    with imap_account.client(None) as c:
        after = c.folder_status("Forms", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
    assert after != before

    report = poller.poll(config.mailbox[0])
    assert report.fetched == 4
    assert (report.created, report.duplicates) == (0, 4)
    assert count(engine, Case) == 4
    assert all(PROCESSED in f for f in imap_account.flags("Forms").values())


def test_reply_joins_the_case_it_answers(workspace, imap_account):
    first = make_mail(subject="加入申込書の提出", message_id="<first@example.co.jp>")
    imap_account.append([first])
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    case_id = poller.poll(config.mailbox[0]).case_ids[0]

    by_header = make_mail(subject="Re: 加入申込書の提出", in_reply_to="<first@example.co.jp>")
    by_tag = make_mail(subject=f"追加資料 [{case_id}]", sender="other@example.co.jp")
    imap_account.append([by_header, by_tag])
    report = poller.poll(config.mailbox[0])
    assert (report.created, report.joined) == (0, 2)
    with Session(engine) as s:
        assert s.exec(select(func.count()).where(Message.case_id == case_id)).one() == 3


def test_move_to_processed_folder_instead_of_keyword(workspace, imap_account):
    imap_account.append(numbered_mails(2))
    workspace.add_imap(imap_account, extra='processed_folder = "Intake-Done"')
    config = workspace.config()
    Poller(config=config, engine=workspace.engine()).poll(config.mailbox[0])
    assert imap_account.flags("INBOX") == {}
    assert len(imap_account.flags("Intake-Done")) == 2


def test_failing_message_is_quarantined_and_the_rest_processed(workspace, imap_account, monkeypatch):
    imap_account.append(numbered_mails(2) + [make_mail(subject="壊れる")] + numbered_mails(1))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()

    import intake.mail.readable as pipeline  # where an arriving message is parsed

    real_parse = pipeline.parse_message

    def faulty(raw, **kwargs):  # the injected fault: processing this one message raises
        parsed = real_parse(raw, **kwargs)
        if parsed.subject == "壊れる":
            raise RuntimeError("injected fault")
        return parsed

    monkeypatch.setattr(pipeline, "parse_message", faulty)
    report = Poller(config=config, engine=engine).poll(config.mailbox[0])
    assert (report.fetched, report.created, report.quarantined) == (4, 3, 1)
    assert all(PROCESSED in f for f in imap_account.flags().values())  # stored safely, so marked

    listing = json.loads(workspace.cli("quarantine", "--json").stdout)
    assert len(listing) == 1
    assert "injected fault" in listing[0]["error"]
    assert listing[0]["mailbox"] == "kyogikai" and listing[0]["size"] > 0

    monkeypatch.setattr(pipeline, "parse_message", real_parse)  # the cause is fixed
    done = workspace.cli("reprocess", str(listing[0]["id"]))
    assert done.returncode == 0, done.stderr
    assert json.loads(workspace.cli("quarantine", "--json").stdout) == []
    with Session(engine) as s:
        assert "壊れる" in set(s.exec(select(Case.subject)))
        assert s.exec(select(QuarantineEntry.state)).one() == "reprocessed"


def test_wrong_credentials_fail_in_one_line_and_change_nothing(workspace, imap_account):
    imap_account.append(numbered_mails(2))
    workspace.add_imap(dataclasses.replace(imap_account, password="wrong-password"))
    assert workspace.cli("init").returncode == 0
    result = workspace.cli("poll")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "login refused" in result.stderr
    assert "wrong-password" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert all(PROCESSED not in f for f in imap_account.flags().values())
    assert count(workspace.engine(), Case) == 0


def test_unreachable_server_fails_in_one_line(workspace, imap_account):
    from support.dovecot import free_port

    imap_account.port = free_port()  # nothing listens there
    workspace.add_imap(imap_account)
    workspace.cli("init")
    result = workspace.cli("poll")
    assert result.returncode == 1
    assert "cannot connect" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert count(workspace.engine(), Case) == 0


def test_marks_lost_to_a_crash_are_repaired_and_then_never_searched_for_again(
    workspace, imap_account, monkeypatch
):
    from intake.db.tables import SourceCursor
    from intake.sources.imap.reader import ImapSource

    imap_account.append(numbered_mails(3))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    with monkeypatch.context() as patch:  # the process dies between the commit and the marks
        patch.setattr(ImapSource, "mark_processed", lambda self, batch: None)
        assert poller.poll(config.mailbox[0]).created == 3
    assert not any(PROCESSED in f for f in imap_account.flags().values())

    searched: list[list] = []
    real_search = ImapSource._repair_marks
    monkeypatch.setattr(
        ImapSource,
        "_repair_marks",
        lambda self, marked, last: searched.append([marked, last]) or real_search(self, marked, last),
    )
    assert poller.poll(config.mailbox[0]).fetched == 0
    assert all(PROCESSED in f for f in imap_account.flags().values())
    assert poller.poll(config.mailbox[0]).fetched == 0
    assert searched == [[0, 3]]  # once, for the range committed but not marked; not on the next poll
    with Session(engine) as s:
        cursor = s.exec(select(SourceCursor)).one()
    assert (cursor.last_uid, cursor.marked_uid) == (3, 3)


def test_a_poll_with_nothing_new_does_not_even_open_the_folder(workspace, imap_account, monkeypatch):
    from imapclient import IMAPClient

    imap_account.append(numbered_mails(2))
    workspace.add_imap(imap_account)
    config, engine = workspace.config(), workspace.engine()
    poller = Poller(config=config, engine=engine)
    assert poller.poll(config.mailbox[0]).created == 2
    assert poller.poll(config.mailbox[0]).fetched == 0  # records that every mark is in place

    opened: list[str] = []
    real = IMAPClient.select_folder
    monkeypatch.setattr(
        IMAPClient, "select_folder", lambda self, *a, **k: opened.append(a[0]) or real(self, *a, **k)
    )
    assert poller.poll(config.mailbox[0]).fetched == 0
    assert opened == []  # STATUS told that nothing came: the cost no longer grows with the folder
    imap_account.append([make_mail(subject="新着")])
    assert poller.poll(config.mailbox[0]).created == 1 and opened == ["INBOX"]
