"""Replies staff write in their own mail program join the case from the mailbox's ``sent_folder``:
once, as outgoing mail, with nothing sent and nothing changed (real Dovecot, real aiosmtpd, a
Maildir on disk, the command line as staff run it)."""

from __future__ import annotations

import html
import json
import mailbox
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlmodel import Session, col, select

from intake.archive import Archive
from intake.db.tables import AuditEntry, Case, Message, QuarantineEntry, SourceCursor
from intake.errors import SourceError
from intake.runner.poller import Poller
from support.conversation import INCIDENT, case_tag, cli_json, delivered, poll, setup
from support.desk import add_staff, desk_server
from support.mailfactory import make_mail
from support.smtp_server import smtp_server

REPORTER = "鈴木 一郎 <ichiro.suzuki@example.co.jp>"
STAFF_TEXT = "鈴木様\n\n事務局の田中です。ご報告ありがとうございます。担当者より改めてご連絡いたします。\n"
PROCESSED = b"$IntakeProcessed"
SENT_LINE = ("sent_folder", "no sent_folder")  # the doctor's line on it


def staff_reply(report: bytes, case_id: str, *, address: str = INCIDENT, text: str = STAFF_TEXT) -> bytes:
    """What Thunderbird keeps in Sent when staff answer ``report`` from the shared mailbox."""
    parent = message_from_bytes(report, policy=policy.default)
    msg = EmailMessage()
    msg["From"] = f"サイバーセキュリティ協議会事務局 <{address}>"
    msg["To"] = parent["From"]
    msg["Subject"] = f"Re: {parent['Subject']} [{case_id}]"
    msg["Message-ID"] = make_msgid(domain="example.jp")
    msg["In-Reply-To"] = parent["Message-ID"]
    msg["References"] = parent["Message-ID"]
    msg.set_content(text)
    return msg.as_bytes()


def with_sent_folder(workspace, name: str, folder: str) -> None:
    """Give the mailbox ``name`` the key ``sent_folder = folder``."""
    for i, block in enumerate(workspace.mailboxes):
        if f'name = "{name}"' in block:
            workspace.mailboxes[i] = block + f'sent_folder = "{folder}"\n'


def sent_messages(engine, case_id: str) -> list[Message]:
    with Session(engine) as s:
        query = select(Message).where(Message.case_id == case_id, Message.direction == "out")
        return [m for m in s.exec(query) if not m.source_ref.startswith("outbox:")]


def audit_actions(engine, case_id: str) -> list[str]:
    with Session(engine) as s:
        query = select(AuditEntry.action).where(AuditEntry.case_id == case_id).order_by(col(AuditEntry.id))
        return list(s.exec(query))


def make_folder(account, name: str) -> None:
    """An empty folder, as a new mailbox's Sent folder is."""
    with account.client(None) as c:
        c.create_folder(name)


def archived(workspace) -> set[str]:
    return {p.name for p in (workspace.root / "messages").rglob("*.eml")}


def cases(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(Case.id)))


def incident_report(workspace, dovecot, server):
    """A report arrives on the incident mailbox (its Sent folder read too) and intake answers it."""
    incident, _ = setup(workspace, dovecot, smtp_port=server.port)
    with_sent_folder(workspace, "anken", "Sent")
    make_folder(incident, "Sent")
    report = make_mail(
        sender=REPORTER, to=INCIDENT, subject="不審メールの受信について", body="ご報告です。\n"
    )
    incident.append([report])
    polled = poll(workspace)
    assert polled["errors"] == [] and len(polled["replies"]["sent"]) == 1
    [checklist] = delivered(server)
    return incident, report, case_tag(checklist), checklist


# -- over IMAP, as staff run it ------------------------------------------------------------------


def test_a_reply_sent_from_a_mail_program_joins_its_case_once(workspace, dovecot):
    with smtp_server() as server:
        incident, report, case_id, _ = incident_report(workspace, dovecot, server)
        engine = workspace.engine()
        before = cli_json(workspace, "show", case_id)
        reply = staff_reply(report, case_id)
        incident.append([reply], folder="Sent")

        polled = poll(workspace)
        [anken] = [m for m in polled["mailboxes"] if m["mailbox"] == "anken"]
        assert (anken["sent_joined"], anken["created"], anken["joined"]) == (1, 0, 0)
        assert len(delivered(server)) == 1  # nothing was sent for it

        shown = cli_json(workspace, "show", case_id)
        assert (shown["status"], shown["open_findings"]) == (before["status"], before["open_findings"])
        [ours] = [m for m in shown["messages"] if m["sent_elsewhere"]]
        assert ours["direction"] == "out" and ours["from"] == INCIDENT
        assert ours["subject"].endswith(f"[{case_id}]")
        [joined] = sent_messages(engine, case_id)
        parsed = message_from_bytes(
            Archive(workspace.root / "messages").load(joined.sha256), policy=policy.default
        )
        assert parsed["Message-ID"] == message_from_bytes(reply, policy=policy.default)["Message-ID"]
        assert audit_actions(engine, case_id).count("sent_elsewhere") == 1
        plain = workspace.cli("show", case_id).stdout
        assert "返信（メールソフトから送信）" in plain and "返信を記録" in plain

        again = poll(workspace)  # the next poll, then a new process: nothing added
        restarted = workspace.cli_process("poll", "--json")
        assert restarted.returncode == 0, restarted.stderr
        for later in (again, json.loads(restarted.stdout)):
            [anken] = [m for m in later["mailboxes"] if m["mailbox"] == "anken"]
            assert (anken["fetched"], anken["sent_joined"]) == (0, 0)
        assert len(sent_messages(engine, case_id)) == 1
        assert audit_actions(engine, case_id).count("sent_elsewhere") == 1
        assert len(delivered(server)) == 1
        assert cli_json(workspace, "show", case_id)["status"] == before["status"]
    [flags] = incident.flags("Sent").values()  # staff's folder is left as it was: no mark, not read
    assert PROCESSED not in flags and b"\\Seen" not in flags


def test_our_own_reply_saved_into_sent_and_a_recreated_folder_add_nothing(workspace, dovecot):
    with smtp_server() as server:
        incident, report, case_id, checklist = incident_report(workspace, dovecot, server)
        engine = workspace.engine()
        incident.append([checklist.as_bytes()], folder="Sent")  # the server kept a copy of our reply
        polled = poll(workspace)
        [anken] = [m for m in polled["mailboxes"] if m["mailbox"] == "anken"]
        assert (anken["fetched"], anken["duplicates"], anken["sent_joined"]) == (1, 1, 0)
        assert sent_messages(engine, case_id) == []

        reply = staff_reply(report, case_id)
        incident.append([reply], folder="Sent")
        assert poll(workspace)["mailboxes"][0]["sent_joined"] == 1
        with incident.client(None) as c:  # the folder recreated (UIDVALIDITY changes), same mail in it
            before = c.folder_status("Sent", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
            c.rename_folder("Sent", "Sent-old")
        incident.append([checklist.as_bytes(), reply], folder="Sent")
        with incident.client(None) as c:
            assert c.folder_status("Sent", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != before
        polled = poll(workspace)
        [anken] = [m for m in polled["mailboxes"] if m["mailbox"] == "anken"]
        assert (anken["fetched"], anken["duplicates"], anken["sent_joined"]) == (2, 2, 0)
        assert len(sent_messages(engine, case_id)) == 1
        assert len(delivered(server)) == 1
        with Session(engine) as s:
            ours = s.exec(select(Message).where(Message.case_id == case_id, Message.direction == "out"))
            assert len([m for m in ours if m.source_ref.startswith("outbox:")]) == 1


def test_a_sent_message_that_answers_no_case_opens_nothing(workspace, dovecot):
    with smtp_server() as server:
        incident, _, case_id, _ = incident_report(workspace, dovecot, server)
        engine = workspace.engine()
        other = make_mail(
            sender=INCIDENT, to="kaigi@example.com", subject="来週の会議について", body="日程の件です。\n"
        )
        incident.append([other], folder="Sent")
        kept = archived(workspace)
        polled = poll(workspace)
        [anken] = [m for m in polled["mailboxes"] if m["mailbox"] == "anken"]
        assert (anken["sent_unmatched"], anken["created"], anken["sent_joined"]) == (1, 0, 0)
        assert cases(engine) == [case_id]
        assert len(delivered(server)) == 1
        with Session(engine) as s:
            assert s.exec(select(Message).where(Message.subject == "来週の会議について")).first() is None
        assert archived(workspace) == kept  # staff's other mail is not kept
        assert poll(workspace)["mailboxes"][0]["fetched"] == 0

        incident.append([make_mail(sender=INCIDENT, to="kaigi@example.com", subject="議事録")], folder="Sent")
        plain = workspace.cli("poll")
        assert "anken: 1 fetched, 0 new cases" in plain.stdout
        assert "0 sent replies joined, 1 sent skipped (no case)" in plain.stdout
        assert cases(engine) == [case_id]


# -- with the Poller, straight --------------------------------------------------------------------


def _open_case(workspace, account, sent_folder: str) -> tuple:
    workspace.add_imap(account, extra=f'sent_folder = "{sent_folder}"')
    config, engine = workspace.config(), workspace.engine()
    report = make_mail(subject="協議会加入申込書の提出について")
    account.append([report])
    make_folder(account, sent_folder)
    poller = Poller(config=config, engine=engine)
    [case_id] = poller.poll(config.mailbox[0]).case_ids
    return config, engine, poller, report, case_id


def test_a_japanese_named_sent_folder_is_read(workspace, imap_account):
    config, engine, poller, report, case_id = _open_case(workspace, imap_account, "送信済みアイテム")
    with Session(engine) as s:
        status = s.get(Case, case_id).status
    reply = staff_reply(report, case_id, address="kyogikai-shomu@example.jp")
    imap_account.append([reply], folder="送信済みアイテム")

    polled = poller.poll(config.mailbox[0])
    assert (polled.sent_joined, polled.created) == (1, 0)
    assert len(sent_messages(engine, case_id)) == 1
    assert poller.poll(config.mailbox[0]).fetched == 0
    with Session(engine) as s:
        assert s.get(SourceCursor, ("kyogikai", "送信済みアイテム")).last_uid == 1
        assert s.get(Case, case_id).status == status


def test_a_missing_sent_folder_does_not_stop_the_inbox_and_doctor_names_it(workspace, imap_account):
    workspace.add_imap(imap_account, extra='sent_folder = "送信済み"')
    config, engine = workspace.config(), workspace.engine()
    imap_account.append([make_mail(subject="申込書の提出")])

    with pytest.raises(SourceError, match="folder '送信済み'"):
        Poller(config=config, engine=engine).poll(config.mailbox[0])
    assert len(cases(engine)) == 1  # the inbox was read all the same
    assert all(PROCESSED in f for f in imap_account.flags().values())

    workspace.extra = '[smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\ntimeout = 5\n'
    checks = json.loads(workspace.cli("doctor", "--json").stdout)
    [line] = [c for c in checks if c["detail"].startswith(SENT_LINE)]
    assert (line["state"], line["detail"]) == ("fail", "no sent_folder '送信済み'")
    assert "INBOX" in line["fix"]

    make_folder(imap_account, "送信済み")
    checks = json.loads(workspace.cli("doctor", "--json").stdout)
    [line] = [c for c in checks if c["detail"].startswith(SENT_LINE)]
    assert line["state"] == "ok" and line["detail"].startswith("sent_folder '送信済み': found")


def test_a_missing_inbox_does_not_stop_the_sent_folder(workspace, imap_account):
    workspace.add_imap(imap_account, folder="受付", extra='sent_folder = "Sent"')
    config, engine = workspace.config(), workspace.engine()
    imap_account.append([make_mail(sender="kyogikai-shomu@example.jp", subject="会議の件")], folder="Sent")

    with pytest.raises(SourceError, match="folder '受付'"):
        Poller(config=config, engine=engine).poll(config.mailbox[0])
    with Session(engine) as s:
        assert s.get(SourceCursor, ("kyogikai", "Sent")).last_uid == 1  # read, answered no case
    assert cases(engine) == []


def test_a_malformed_sent_message_goes_to_the_quarantine(workspace, imap_account):
    config, engine, poller, _, case_id = _open_case(workspace, imap_account, "Sent")
    imap_account.append([b"\r\n\r\nno header lines at all\r\n"], folder="Sent")
    polled = poller.poll(config.mailbox[0])
    assert (polled.quarantined, polled.sent_joined) == (1, 0)
    with Session(engine) as s:
        [entry] = s.exec(select(QuarantineEntry))
        assert entry.source_ref.startswith("imap:Sent:")
        assert Archive(workspace.root / "messages").load(entry.sha256)  # kept for intake reprocess
    assert cases(engine) == [case_id]


# -- Maildir --------------------------------------------------------------------------------------


def maildir_case(workspace):
    """A report in a Maildir answered by intake (its reply queued), and its Sent sub-folder."""
    path = workspace.add_maildir(extra='sent_folder = "Sent"\n')
    sent = mailbox.Maildir(path / ".Sent", create=True)
    config, engine = workspace.config(), workspace.engine()
    report = make_mail(sender=REPORTER, to=INCIDENT, subject="不審メールの受信について")
    mailbox.Maildir(path, create=False).add(report)
    poller = Poller(config=config, engine=engine)
    [case_id] = poller.poll(config.mailbox[0]).case_ids
    return path, sent, config, engine, poller, report, case_id


def test_a_maildir_sent_folder_joins_replies_once_and_leaves_the_files(workspace):
    path, sent, config, engine, poller, report, case_id = maildir_case(workspace)
    with Session(engine) as s:
        status = s.get(Case, case_id).status
        ours = s.exec(select(Message).where(Message.case_id == case_id, Message.direction == "out")).all()
    [queued] = ours  # the reply intake queued: a copy of it in Sent is not added again

    copy = make_mail(
        sender=INCIDENT, to=REPORTER, subject=f"[{case_id}] ご確認", message_id=queued.message_id
    )
    reply = staff_reply(report, case_id)
    keys = [sent.add(copy), sent.add(reply)]
    polled = poller.poll(config.mailbox[0])
    assert (polled.sent_joined, polled.duplicates, polled.created) == (1, 1, 0)
    assert poller.poll(config.mailbox[0]).fetched == 0
    assert sorted(p.name for p in (path / ".Sent" / "new").iterdir()) == sorted(keys)  # not moved
    with Session(engine) as s:
        assert s.get(Case, case_id).status == status
    [joined] = sent_messages(engine, case_id)
    assert joined.source_ref.startswith("maildir:.Sent/")


def test_the_desk_shows_the_reply_in_the_case_history(workspace):
    _, sent, config, _, poller, report, case_id = maildir_case(workspace)
    sent.add(staff_reply(report, case_id))
    assert poller.poll(config.mailbox[0]).sent_joined == 1
    add_staff(config)
    with desk_server(config) as desk:
        page = desk.signed_in().get(f"/cases/{case_id}").text
    [article] = re.findall(
        r'<article class="message out">(?:(?!</article>).)*data-sent-elsewhere.*?</article>', page, re.S
    )
    assert "返信（メールソフトから送信）" in article
    assert html.escape(STAFF_TEXT.splitlines()[2]) in article  # staff's words, read from the archive
    history = page.split("<h2>履歴</h2>", 1)[1]
    assert (
        '<td data-action="sent_elsewhere">返信を記録（メールソフトから送信・送信済みフォルダー）</td>'
        in history
    )
    assert '<td data-action="message_received">メール受信</td>' in history


def test_a_maildir_folder_a_server_named_in_modified_utf7_is_found(tmp_path):
    from intake.sources.maildir import sub_folder

    assert sub_folder(tmp_path, "送信済みアイテム") == tmp_path / ".送信済みアイテム"  # neither exists yet
    (tmp_path / ".&kAFP4W4IMH8wojCkMMYw4A-").mkdir()  # as Dovecot writes 送信済みアイテム on disk
    assert sub_folder(tmp_path, "送信済みアイテム") == tmp_path / ".&kAFP4W4IMH8wojCkMMYw4A-"
    (tmp_path / ".送信済みアイテム").mkdir()
    assert sub_folder(tmp_path, "送信済みアイテム") == tmp_path / ".送信済みアイテム"
