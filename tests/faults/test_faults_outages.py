"""Outages, one at a time, and the catch-up once each is over ("Prove the guarantees").

Every test breaks one part for real — an IMAP server that is not there, an IMAP connection cut
inside a FETCH (a TCP proxy, ``tcpproxy.py``), an SMTP server that refuses, answers 4xx / 5xx,
never answers or hangs up after DATA (aiosmtpd and raw sockets), an archive disk that is full (a
small tmpfs), a database held by a staff transaction (``BEGIN IMMEDIATE`` from another connection)
— runs the product as staff do (``intake poll`` / ``intake send`` as subprocesses) and checks:

* one error line naming the mailbox or the part that failed, and the documented exit code;
* nothing lost: every message is archived and in exactly one case, or still waiting at its source
  (IMAP: without the keyword ``$IntakeProcessed``; Maildir: still in ``new/``);
* catch-up: once the fault is gone, the next run processes or sends everything exactly once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select
from tcpproxy import TcpProxy

from intake import clock
from intake.clock import as_utc
from intake.db import make_engine, reading
from intake.db.tables import Case, MaildirSeen, Message, OutboxReply, QuarantineEntry, utcnow
from intake.replies.sender import send_due
from intake.runner.poller import Poller
from intake.runner.service import poll_round
from support.mailfactory import make_mail, numbered_mails
from support.smtp_server import Delivery, Recorder, free_port, smtp_server

PROCESSED = b"$IntakeProcessed"
INCIDENT = "csc-anken@example.jp"
MEMBERSHIP = "kyogikai-shomu@example.jp"
REPORTERS = ["Ichiro <ichiro@example.co.jp>", "Jiro <jiro@example.com>", "Saburo <saburo@example.net>"]
REPORT_BODY = (
    "お世話になっております。株式会社サンプル情報システム部です。\n"
    "本日、取引先を装った不審なメールが届き、添付ファイルを開いた端末が1台あります。\n"
    "取り急ぎご報告いたします。\n"
)
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+: ")


# -- running the product ------------------------------------------------------------------------


def configure(
    workspace,
    *,
    smtp_port: int | None = None,
    smtp_timeout: float = 5,
    replies: str = "send",
    storage: str = "",
    imap: str = "",
) -> None:
    """``workspace.extra``: storage keys first (they follow ``[storage]``), then SMTP and replies."""
    smtp = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\ntimeout = {smtp_timeout}\n'
        if smtp_port
        else ""
    )
    workspace.extra = f"""{storage}
{smtp}
[replies]
mode = "{replies}"
retry_base_seconds = 1
max_per_sender_per_day = 10
{imap}
"""


def init(workspace) -> None:
    workspace.write()
    workspace.engine().dispose()  # `intake init`'s migrations, in-process


def run(workspace, *args: str, code: int) -> subprocess.CompletedProcess:
    result = workspace.cli(*args)
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def run_json(workspace, *args: str, code: int = 0):
    return json.loads(run(workspace, *args, "--json", code=code).stdout)


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """The command's own error lines (``intake: …``). Everything else on stderr must be a log
    record, so a traceback or an error spread over several lines fails here."""
    errors, stray = [], []
    for line in result.stderr.splitlines():
        if line.startswith("intake: "):
            errors.append(line)
        elif not LOG_RECORD.match(line):
            stray.append(line)
    assert stray == [], result.stderr
    return errors


def reader(workspace):
    """The workspace's database for reading (plain BEGIN: never waits for a writer)."""
    return reading(make_engine(workspace.database))


def rows(workspace, model) -> list:
    engine = reader(workspace)
    try:
        with Session(engine) as session:
            return list(session.exec(select(model)))
    finally:
        engine.dispose()


def archived(workspace) -> dict[str, bytes]:
    """The archive's messages by SHA-256 (the state folder ``.state`` is not mail)."""
    return {p.stem: p.read_bytes() for p in (workspace.root / "messages").glob("??/*.eml")}


# -- mail ---------------------------------------------------------------------------------------


def drop_in_maildir(maildir: Path, mails: list[bytes]) -> list[bytes]:
    """Deliver into ``new/`` as a local MTA does (unique names, oldest first)."""
    for i, raw in enumerate(mails):
        (maildir / "new" / f"1700000000.M{i:04d}P1.test").write_bytes(raw)
    return mails


def incident_reports() -> dict[str, bytes]:
    """Three incident reports from three people: each gets a checklist reply."""
    return {
        parseaddr(sender)[1]: make_mail(
            sender=sender, to=INCIDENT, subject="不審メールの受信", body=REPORT_BODY
        )
        for sender in REPORTERS
    }


def padded_mails(count: int, lines: int) -> list[bytes]:
    return [
        make_mail(
            subject=f"ご相談 {i + 1}",
            to=INCIDENT,
            body=f"本文 {i + 1}\n" + "お世話になっております。\n" * lines,
        )
        for i in range(count)
    ]


def message_id(raw: bytes) -> str:
    return re.search(rb"^Message-ID: (\S+)", raw, re.M | re.I).group(1).decode()


def sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def assert_each_message_in_one_case(workspace, mails: list[bytes]) -> None:
    """Every message is archived byte for byte and belongs to exactly one case."""
    messages = Counter(m.sha256 for m in rows(workspace, Message))
    assert {sha(raw): messages[sha(raw)] for raw in mails} == {sha(raw): 1 for raw in mails}
    assert len(rows(workspace, Case)) == len(mails)
    store = archived(workspace)
    assert all(store.get(sha(raw)) == raw for raw in mails)


def held_by(account) -> list[bytes]:
    """The messages of the account's INBOX as Dovecot holds them (line ends and all), by UID."""
    with account.client() as client:
        items = client.fetch(client.search("ALL"), [b"BODY.PEEK[]"])
    return [items[uid][b"BODY[]"] for uid in sorted(items)]


def maildir_state(maildir: Path) -> tuple[set[str], set[str]]:
    """SHA-256 of the files in ``new/`` and in ``cur/``."""
    return tuple({sha(p.read_bytes()) for p in (maildir / sub).iterdir()} for sub in ("new", "cur"))


# -- 1. IMAP down at the start ------------------------------------------------------------------


def test_imap_server_down_fails_its_mailbox_in_one_line_while_the_maildir_is_polled_and_answered(
    workspace, imap_account
):
    imap_account.append(numbered_mails(3))
    dead_port = free_port()  # nothing listens there
    with smtp_server() as server:
        configure(workspace, smtp_port=server.port)
        workspace.add_imap(
            replace(imap_account, port=dead_port), name="kyogikai", address=MEMBERSHIP, prefix="KYOGIKAI"
        )
        maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
        [incident] = drop_in_maildir(maildir, [make_mail(sender=REPORTERS[0], to=INCIDENT, body=REPORT_BODY)])
        init(workspace)

        down = run(workspace, "poll", code=1)
        [line] = error_lines(down)
        assert line.startswith(f"intake: mailbox kyogikai: 127.0.0.1:{dead_port}: cannot connect ("), line
        assert "anken: 1 fetched, 1 new cases" in down.stdout  # the other mailbox was polled after it
        [reply] = [d.message for d in server.handler.received]  # and its reply was sent
        assert parseaddr(reply["To"])[1] == "ichiro@example.co.jp"
        assert parseaddr(reply["From"])[1] == INCIDENT
        assert all(PROCESSED not in flags for flags in imap_account.flags().values())
        assert {c.mailbox for c in rows(workspace, Case)} == {"anken"}

        # the server is back (the mailbox points at the real Dovecot): everything, once
        workspace.mailboxes.clear()
        workspace.add_imap(imap_account, name="kyogikai", address=MEMBERSHIP, prefix="KYOGIKAI")
        workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
        up = run_json(workspace, "poll")
        assert up["errors"] == []
        counts = {m["mailbox"]: (m["fetched"], m["created"], m["duplicates"]) for m in up["mailboxes"]}
        assert counts == {"kyogikai": (3, 3, 0), "anken": (0, 0, 0)}
        to_reporter = [d for d in server.handler.received if d.rcpt_tos == ["ichiro@example.co.jp"]]
        assert len(to_reporter) == 1  # the incident reply was not sent again

    flags = imap_account.flags()
    assert len(flags) == 3 and all(PROCESSED in f for f in flags.values())
    queue = run_json(workspace, "queue")
    assert sorted(c["mailbox"] for c in queue) == ["anken", "kyogikai", "kyogikai", "kyogikai"]
    assert_each_message_in_one_case(workspace, [incident, *held_by(imap_account)])


# -- 2. IMAP connection cut in the middle of a FETCH --------------------------------------------


def test_imap_connection_cut_inside_a_fetch_keeps_the_committed_batch_and_the_next_poll_finishes(
    workspace, imap_account
):
    mails = padded_mails(20, lines=60)
    imap_account.append(mails)
    cut_at = 4000  # bytes of the server's answer to the 2nd batch's FETCH (five whole messages)
    assert cut_at < 5 * min(len(m) for m in mails)  # so the line goes dead inside that answer
    with TcpProxy(imap_account.host, imap_account.port) as proxy:
        configure(workspace, replies="off", imap="[imap]\nbatch_size = 5")
        workspace.add_imap(replace(imap_account, port=proxy.port), name="kyogikai", address=MEMBERSHIP)
        init(workspace)
        proxy.cut_once(marker=b"BODY.PEEK[]", occurrence=2, server_bytes=cut_at)

        cut = run(workspace, "poll", code=1)
        assert proxy.cuts == 1
        [line] = error_lines(cut)
        assert line.startswith(
            "intake: mailbox kyogikai: the server stopped answering while fetching messages ("
        ), line
        uids = sorted(imap_account.flags())
        first_batch = uids[:5]
        assert sorted(uid for uid, f in imap_account.flags().items() if PROCESSED in f) == first_batch
        assert_each_message_in_one_case(workspace, held_by(imap_account)[:5])
        assert rows(workspace, QuarantineEntry) == []

        again = run_json(workspace, "poll")  # the same way in, the line good again
        assert proxy.cuts == 1
    assert again["errors"] == []
    [report] = again["mailboxes"]
    assert (report["fetched"], report["created"], report["duplicates"]) == (15, 15, 0)
    assert all(PROCESSED in f for f in imap_account.flags().values())
    assert_each_message_in_one_case(workspace, held_by(imap_account))
    queue = run_json(workspace, "queue")
    assert sorted(c["subject"] for c in queue) == sorted(f"ご相談 {i + 1}" for i in range(20))


# -- 3. SMTP outages ----------------------------------------------------------------------------


class HangUpAfterData(Recorder):
    """Receives the message, then drops the connection instead of answering the DATA: the
    client cannot know the message arrived. Only the first ``drops`` messages."""

    drops: int = 1

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        self.received.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        if self.drops:
            self.drops -= 1
            server.transport.close()
        return "250 2.0.0 queued as TEST1"


@contextmanager
def refusing(port: int) -> Iterator[list[Delivery]]:
    yield []  # nothing listens on the port


@contextmanager
def silent(port: int) -> Iterator[list[Delivery]]:
    """A socket that takes connections (the kernel's backlog) and never says a word."""
    with socket.create_server(("127.0.0.1", port), backlog=16):
        yield []


@contextmanager
def answering(handler: Recorder, port: int) -> Iterator[list[Delivery]]:
    with smtp_server(handler, port=port) as running:
        yield running.handler.received


# fault: (the server during the outage, what last_error says, whether the server as a whole is out)
TEMPORARY = {
    "connection refused": (
        refusing,
        r"SMTPConnectError: Error connecting to 127\.0\.0\.1 on port \d+: \[Errno 111\]",
        True,
    ),
    "451 to the DATA": (
        lambda port: answering(Recorder(data=["451 4.3.0 try again later"] * 3), port),
        r"451 4\.3\.0 try again later$",
        False,
    ),
    "450 to the RCPT": (
        lambda port: answering(Recorder(rcpt=["450 4.2.1 mailbox busy"] * 3), port),
        r"450 4\.2\.1 mailbox busy$",
        False,
    ),
    "no answer (timeout)": (silent, r"SMTP\w*Timeout\w*: ", True),
    "hang-up after DATA": (
        lambda port: answering(HangUpAfterData(), port),
        r"SMTPServerDisconnected: ",
        True,
    ),
}


def send_two_days_later(workspace):
    """A sending round (in-process) long after every retry time: what would still go."""
    config = workspace.config()
    engine = make_engine(config.storage.database)
    try:
        return send_due(config=config, engine=engine, now=utcnow() + timedelta(days=2))
    finally:
        engine.dispose()


@pytest.fixture
def wait_until_due(monkeypatch):
    """Move intake's clock just past the last queued reply's retry time, instead of waiting."""

    def move(workspace) -> None:
        due = max(as_utc(r.next_attempt_at) for r in rows(workspace, OutboxReply) if r.state == "queued")
        real = clock.utcnow
        shift = max(due - real(), timedelta()) + timedelta(seconds=0.05)
        monkeypatch.setattr(clock, "utcnow", lambda: real() + shift)

    return move


@pytest.mark.parametrize("fault", list(TEMPORARY))
def test_smtp_temporary_outage_keeps_every_reply_then_each_goes_once(workspace, fault, wait_until_due):
    """Three incident reports come in while SMTP is out: the poll itself succeeds (exit 0), each
    reply records one attempt and the server's answer; once the server is good, ``intake send``
    delivers each exactly once — after a hang-up after DATA, the message the server had already
    taken comes once more with the same Message-ID, the one duplicate allowed."""
    outage, error, server_unusable = TEMPORARY[fault]
    port = free_port()
    configure(workspace, smtp_port=port, smtp_timeout=1 if "timeout" in fault else 5)
    maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    reports = incident_reports()
    drop_in_maildir(maildir, list(reports.values()))
    init(workspace)

    with outage(port) as during:
        polled = run_json(workspace, "poll")
    assert polled["errors"] == []
    assert polled["mailboxes"][0]["created"] == 3
    outbox = run_json(workspace, "outbox")
    ids = sorted(r["id"] for r in outbox)
    assert (polled["replies"]["sent"], sorted(polled["replies"]["retrying"])) == ([], ids)
    assert polled["replies"]["failed"] == []
    assert bool(polled["replies"]["stopped"]) is server_unusable  # the round ends at a dead server
    assert sorted(parseaddr(r["to"])[1] for r in outbox) == sorted(reports)
    for reply in outbox:
        assert (reply["template"], reply["state"], reply["attempts"]) == ("checklist", "queued", 1), reply
        assert re.match(error, reply["last_error"]), reply["last_error"]
    assert_each_message_in_one_case(workspace, list(reports.values()))

    wait_until_due(workspace)
    with smtp_server(port=port) as good:
        sent = run_json(workspace, "send")
        assert (sorted(sent["sent"]), sent["retrying"], sent["failed"], sent["stopped"]) == (
            ids,
            [],
            [],
            None,
        )
        later = send_two_days_later(workspace)
        assert (later.sent, later.retrying, later.failed) == ([], [], [])  # nothing goes twice
    outbox = rows(workspace, OutboxReply)
    assert [(r.state, r.attempts, r.last_error) for r in outbox] == [("sent", 2, None)] * 3
    ours = Counter(f"<{r.message_id}>" for r in outbox)
    got = Counter(d.message["Message-ID"] for d in [*during, *good.handler.received])
    assert set(got) == set(ours)  # every reply arrived, and nothing else
    assert Counter(d.message["Message-ID"] for d in good.handler.received) == ours  # once each after
    if fault == "hang-up after DATA":
        assert sorted(got.values()) == [1, 1, 2]  # the message taken before the hang-up, once more
    else:
        assert got == ours
    for delivery in good.handler.received:
        [rcpt] = delivery.rcpt_tos
        assert delivery.message["In-Reply-To"] == message_id(reports[rcpt])


def test_smtp_5xx_fails_each_reply_at_once_and_nothing_is_sent_later(workspace):
    port = free_port()
    configure(workspace, smtp_port=port)
    maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    reports = incident_reports()
    drop_in_maildir(maildir, list(reports.values()))
    init(workspace)
    with smtp_server(Recorder(data=["554 5.6.0 message refused"] * 3), port=port) as refusing_server:
        polled = run_json(workspace, "poll")
    assert polled["errors"] == [] and polled["replies"]["sent"] == []
    outbox = run_json(workspace, "outbox")
    assert sorted(polled["replies"]["failed"]) == sorted(r["id"] for r in outbox)
    assert len(outbox) == 3
    for reply in outbox:
        assert (reply["state"], reply["attempts"]) == ("failed", 1), reply
        assert reply["last_error"].startswith("5"), reply["last_error"]
        assert reply["last_error"] == "554 5.6.0 message refused"
    assert refusing_server.handler.received == [] and refusing_server.handler.data_attempts == 3

    with smtp_server(port=port) as good:  # a permanent refusal is not retried, however long
        later = send_two_days_later(workspace)
    assert (later.sent, later.retrying, later.failed) == ([], [], [])
    assert good.handler.received == []
    assert [r["state"] for r in run_json(workspace, "outbox")] == ["failed"] * 3
    assert_each_message_in_one_case(workspace, list(reports.values()))


def test_intake_send_during_an_smtp_outage_exits_1_and_says_why(workspace, wait_until_due):
    port = free_port()  # nothing listens
    configure(workspace, smtp_port=port)
    maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    drop_in_maildir(maildir, list(incident_reports().values()))
    init(workspace)
    run(workspace, "poll", code=0)
    wait_until_due(workspace)

    result = run(workspace, "send", code=1)
    assert "0 sent, 3 to retry later, 0 failed" in result.stdout
    [stopped] = error_lines(result)
    assert re.match(rf"intake: replies: SMTPConnectError: .*127\.0\.0\.1.*{port}", stopped), stopped
    outbox = run_json(workspace, "outbox")
    assert [(r["state"], r["attempts"]) for r in outbox] == [("queued", 2)] * 3


# -- 4. the archive disk full -------------------------------------------------------------------

PAGE = os.sysconf("SC_PAGE_SIZE")  # tmpfs gives space by the page
DISK_PAGES = 64
_mount_refused: list[str] = []  # why mounting failed, once found out


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (root only); skips the test if mounting is refused."""
    if _mount_refused:
        pytest.skip(_mount_refused[0])
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        _mount_refused.append(f"cannot mount a tmpfs on this machine: {done.stderr.strip()}")
        pytest.skip(_mount_refused[0])
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def grow(folder: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


def poll_onto_a_full_disk(workspace, mails: list[bytes]):
    """Poll ``mails`` from a Maildir into an archive of 64 pages (256 KiB), then grow the disk
    and poll again; returns the two results and the state after the first poll."""
    configure(workspace, replies="off")
    maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    drop_in_maildir(maildir, mails)
    init(workspace)
    with small_disk(workspace.root / "messages", str(DISK_PAGES * PAGE)) as archive:
        full = workspace.cli("poll")
        new, cur = maildir_state(maildir)
        state = {
            "new": new,
            "cur": cur,
            "cases": Counter(m.sha256 for m in rows(workspace, Message)),
            "seen": len(rows(workspace, MaildirSeen)),
            "quarantined": rows(workspace, QuarantineEntry),
            "archived": set(archived(workspace)),
        }
        grow(archive, "64m")
        after = workspace.cli("poll", "--json")
        assert_each_message_in_one_case(workspace, mails)  # while the grown tmpfs still holds them
    assert maildir_state(maildir) == (set(), {sha(raw) for raw in mails})
    return full, state, after


def assert_nothing_lost(mails: list[bytes], state: dict) -> None:
    """Each message is processed (one case, archived, moved to cur/) or untouched (in new/)."""
    assert state["quarantined"] == []
    assert state["new"] | state["cur"] == {sha(raw) for raw in mails} and not state["new"] & state["cur"]
    assert set(state["cases"]) == state["cur"] and set(state["cases"].values()) <= {1}
    assert state["seen"] == len(state["cur"])
    assert state["cur"] <= state["archived"]


def pages(raw: bytes) -> int:
    return -(-len(raw) // PAGE)


LARGE = int((2.8 * PAGE - 400) / 37)  # body lines (37 bytes of UTF-8 each) for a three-page message


@pytest.mark.parametrize(
    ("count", "lines"),
    [
        pytest.param(40, LARGE, id="large messages: the archive write fails"),
        pytest.param(100, 10, id="small messages: the in-flight marker write fails"),
    ],
)
def test_archive_disk_full_stops_the_poll_in_one_line_and_the_next_poll_catches_up(workspace, count, lines):
    mails = padded_mails(count, lines)
    # more than the disk holds; three pages a message leave one page free, too small for the next
    assert sum(pages(raw) for raw in mails) > DISK_PAGES
    assert {pages(raw) for raw in mails} == ({3} if lines == LARGE else {1})
    full, state, after = poll_onto_a_full_disk(workspace, mails)

    assert full.returncode == 1, full.stderr
    [line] = error_lines(full)
    archive = workspace.root / "messages"
    assert line.startswith(f"intake: mailbox anken: archive_dir {archive}: "), line
    assert "No space left on device" in line
    assert_nothing_lost(mails, state)
    assert 0 < len(state["cur"]) < len(mails)  # what was stored before the disk filled was kept

    assert after.returncode == 0, after.stderr
    [report] = json.loads(after.stdout)["mailboxes"]
    rest = len(mails) - len(state["cur"])
    assert (report["fetched"], report["created"], report["duplicates"]) == (rest, rest, 0)


# -- 5. the database held by a long staff transaction -------------------------------------------


@contextmanager
def database_held(workspace) -> Iterator[None]:
    """Another program (a staff tool) holds the workspace's database: SQLite's write lock, or on
    PostgreSQL the tables a round writes — cases, messages, replies, passwords phoned in — as a
    VACUUM FULL or a REINDEX would."""
    if not workspace.database.startswith("sqlite"):
        with tables_held(workspace.database, '"case"', "message", "outboxreply", "expectedpassword"):
            yield
        return
    staff = sqlite3.connect(workspace.root / "intake.db", isolation_level=None)
    try:
        staff.execute("BEGIN IMMEDIATE")
        yield
        staff.execute("ROLLBACK")
    finally:
        staff.close()


@contextmanager
def tables_held(url: str, *tables: str) -> Iterator[None]:
    engine = create_engine(url)
    try:
        with engine.connect() as staff, staff.begin() as transaction:
            staff.execute(text(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"))
            yield
            transaction.rollback()
    finally:
        engine.dispose()


def busy_workspace(workspace) -> tuple[Path, list[bytes]]:
    configure(workspace, replies="off", storage="lock_timeout_seconds = 1")
    maildir = workspace.add_maildir(name="anken", profile="incident", prefix="CSC", address=INCIDENT)
    mails = drop_in_maildir(maildir, list(incident_reports().values()))
    init(workspace)
    return maildir, mails


def test_database_held_by_staff_stops_the_poll_without_losing_or_marking_anything(workspace):
    maildir, mails = busy_workspace(workspace)
    with database_held(workspace):
        busy = workspace.cli("poll")
    assert busy.returncode == 1, busy.stderr
    assert maildir_state(maildir) == ({sha(raw) for raw in mails}, set())  # all still in new/
    assert rows(workspace, Case) == [] and rows(workspace, MaildirSeen) == []
    assert rows(workspace, QuarantineEntry) == []

    again = run_json(workspace, "poll")
    assert again["errors"] == []
    [report] = again["mailboxes"]
    assert (report["fetched"], report["created"], report["quarantined"]) == (3, 3, 0)
    assert maildir_state(maildir) == (set(), {sha(raw) for raw in mails})
    assert_each_message_in_one_case(workspace, mails)


def test_database_held_by_staff_is_one_line_naming_the_lock_timeout_setting(workspace):
    busy_workspace(workspace)
    with database_held(workspace):
        busy = workspace.cli("poll")
    assert busy.returncode == 1
    errors = error_lines(busy)
    assert errors, busy.stderr
    for line in errors:
        assert "the database is busy" in line and "storage.lock_timeout_seconds" in line, line


def test_database_held_during_a_round_fails_each_part_in_one_line_and_quarantines_nothing(workspace):
    """The poller's own handling (what ``intake run`` meets when staff take the lock between
    two rounds): the mailbox and the reply step each say "database is busy"; nothing is lost."""
    maildir, mails = busy_workspace(workspace)
    config = workspace.config()
    engine = make_engine(config.storage.database, lock_timeout=config.storage.lock_timeout_seconds)
    with database_held(workspace):
        round_ = poll_round(Poller(config=config, engine=engine), config)
    engine.dispose()
    busy = (
        "the database is busy: another program has held it for more than 1 s "
        "(storage.lock_timeout_seconds); nothing was lost, try again or let the next poll catch up"
    )
    assert round_.failures == [f"mailbox anken: {busy}", f"replies: {busy}"]
    assert maildir_state(maildir) == ({sha(raw) for raw in mails}, set())
    assert rows(workspace, QuarantineEntry) == [] and rows(workspace, Case) == []

    report = run_json(workspace, "poll")["mailboxes"][0]
    assert (report["fetched"], report["created"], report["quarantined"]) == (3, 3, 0)
    assert_each_message_in_one_case(workspace, mails)
