"""A poll's work per message does not grow with what is already stored: a new report costs the
same SQL statements after a backlog of sixty cases as after five, and every lookup it makes is read
off an index narrowed by every column it looks up by (a few small tables aside: see ``SMALL``). Speed itself is measured by
``scripts/bench_poll.py``, never here.
"""

from __future__ import annotations

import mailbox
import re

import pytest

from intake.forms import write_application
from support.mailfactory import DOCX_TYPE, make_mail
from support.samples import application
from support.statements import counted, narrows_to_key, plan_of

# Tables a poll may read whole, none of which grows with the mail: the member check matches the
# sender's domain (LIKE '%@domain') against the register of the Council's members and their staff;
# the passwords phoned in ahead are a handful, each forgotten once used or expired; the schema
# version is one row.
SMALL = {"organisation", "registeredperson", "expectedpassword", "alembic_version"}


def reports(first: int, count: int) -> list[bytes]:
    """Incident reports from different senders (no daily cap in the way)."""
    return [
        make_mail(
            sender=f"報告者{n} <reporter{n}@corp{n}.example.co.jp>",
            to="csc-anken@example.jp",
            subject=f"不審メールのご報告 {n}",
            body="本日、不審なメールが届きました。添付ファイルは開いていません。\n",
        )
        for n in range(first, first + count)
    ]


def polling(workspace, path):
    """A poll of ``mails`` delivered to the Maildir at ``path``: the statements it sent."""
    assert workspace.cli("init").returncode == 0

    def poll(mails: list[bytes]) -> list[tuple[str, object]]:
        box = mailbox.Maildir(path, create=False)
        for raw in mails:
            box.add(raw)
        with counted() as sent:
            result = workspace.cli("poll", "--json")
        assert result.returncode == 0, result.stderr
        assert f'"created": {len(mails)}' in result.stdout
        return sent

    return workspace, poll


@pytest.fixture
def reports_workspace(workspace):
    workspace.extra = '[replies]\nmode = "hold"\n'
    return polling(workspace, workspace.add_maildir())


def test_three_new_reports_cost_the_same_statements_after_sixty_cases_as_after_five(reports_workspace):
    _workspace, poll = reports_workspace
    poll(reports(1, 5))
    early = len(poll(reports(100, 3)))
    poll(reports(200, 60))
    late = len(poll(reports(300, 3)))
    assert late == early


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by its own statistics")
def test_every_lookup_of_a_poll_is_read_off_an_index_that_narrows_to_its_key(reports_workspace):
    workspace, poll = reports_workspace
    poll(reports(1, 40))
    sent = poll(reports(100, 2))
    engine = workspace.engine()
    wide = {}
    with engine.connect() as conn:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
                continue
            plan = plan_of(conn, statement, parameters)
            if any(not narrows_to_key(step, statement, small=SMALL) for step in plan):
                wide[" ".join(statement.split())] = plan
    engine.dispose()
    assert wide == {}


@pytest.mark.parametrize(
    ("step", "statement", "narrows"),
    [
        (
            "SEARCH message USING INDEX ix_message_mailbox (mailbox=?)",
            "SELECT message.id \nFROM message \nWHERE message.sha256 = ? AND message.mailbox = ?\n LIMIT ?",
            False,
        ),
        (
            "SEARCH message USING COVERING INDEX ix_message_same_bytes (mailbox=? AND sha256=?)",
            "SELECT message.id FROM message WHERE message.sha256 = ? AND message.mailbox = ? LIMIT ?",
            True,
        ),
        (
            "SEARCH casecounter USING INDEX sqlite_autoindex_casecounter_1 (prefix=?)",
            "UPDATE casecounter SET last = last + 1 WHERE prefix = ? AND year = ? RETURNING last",
            False,
        ),
        (
            "SEARCH message USING INDEX ix_message_case_id (case_id=?)",
            "SELECT message.id FROM message WHERE message.case_id = ? AND message.direction = ?",
            True,
        ),
        ("SCAN message", "SELECT message.id FROM message WHERE message.sha256 = ?", False),
        ("SCAN organisation", "SELECT count(*) FROM organisation WHERE organisation.is_member = 1", True),
    ],
)
def test_a_step_narrows_to_its_key_only_by_every_column_asked_for(step, statement, narrows):
    assert narrows_to_key(step, statement, small=SMALL) is narrows


def applications(first: int, count: int) -> list[bytes]:
    """Membership applications of different organisations, each with its Word form."""
    mails = []
    for n in range(first, first + count):
        form = write_application(
            application(org_name=f"試験工業{n:04d}株式会社", poc_email=f"poc{n}@org{n}.example.co.jp")
        )
        name = f"協議会加入申込書（試験工業{n:04d}株式会社）.docx"
        mails.append(
            make_mail(sender=f"担当 {n} <poc{n}@org{n}.example.co.jp>", attachments=[(name, form, DOCX_TYPE)])
        )
    return mails


@pytest.fixture
def applications_workspace(workspace):
    workspace.extra = '[replies]\nmode = "hold"\n[membership]\nrecruitment_periods = [{start = "2026-01-01", end = "2027-12-31"}]\n'
    path = workspace.add_maildir(
        name="kyogikai", profile="membership", prefix="KYOGIKAI", address="kyogikai-shomu@example.jp"
    )
    return polling(workspace, path)


def test_three_new_applications_cost_the_same_statements_after_thirty_in_hand_as_after_three(
    applications_workspace,
):
    _workspace, poll = applications_workspace
    poll(applications(1, 3))
    early = len(poll(applications(100, 3)))
    poll(applications(200, 30))
    late = len(poll(applications(300, 3)))
    assert late == early


@pytest.mark.sqlite_only(reason="reads SQLite's EXPLAIN QUERY PLAN; PostgreSQL plans by its own statistics")
def test_a_membership_poll_reads_the_applications_in_hand_off_an_index(applications_workspace):
    """Q5's other departments: the applications in hand are not read whole for every message
    (a backlog poll grew with their square), only those stored since the last question, by id."""
    workspace, poll = applications_workspace
    poll(applications(1, 12))
    sent = poll(applications(100, 3))
    engine = workspace.engine()
    reads, scanned = 0, {}
    with engine.connect() as conn:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith("SELECT") or "FROM applicationform" not in statement:
                continue
            reads += 1
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            if any(re.match(r"SCAN applicationform", step) for step in plan):
                scanned[statement[:120]] = plan
    engine.dispose()
    assert reads > 0 and scanned == {}


def test_a_batch_asks_once_whether_its_messages_are_stored_already(reports_workspace):
    """The duplicate check reads the batch's hashes and Message-IDs in one statement each; a
    message is looked up alone only when one of its keys is found (here: a copy of one sent
    again), and the copy is still told apart."""
    workspace, poll = reports_workspace
    poll(reports(1, 3))
    mails = reports(100, 8)
    sent = poll(mails)
    by_hash = [s for s, _ in sent if re.search(r"FROM message\s+WHERE .*message\.sha256", s, re.S)]
    by_id = [s for s, _ in sent if re.search(r"FROM message\s+WHERE .*message\.message_id", s, re.S)]
    assert (len(by_hash), len(by_id)) == (1, 1)
    box = mailbox.Maildir(workspace.root / "maildir" / "anken", create=False)
    box.add(mails[0])
    result = workspace.cli("poll", "--json")
    assert '"duplicates": 1' in result.stdout and '"created": 0' in result.stdout


def test_a_batch_asks_once_whether_its_senders_had_replies_and_still_keeps_the_daily_cap(workspace):
    """The outbox is read once for the batch's senders and Message-IDs; a sender answered by a poll
    before, or earlier in the same batch, is still held to ``max_per_sender_per_day``."""
    workspace.extra = '[replies]\nmode = "hold"\nmax_per_sender_per_day = 1\n'
    workspace, poll = polling(workspace, workspace.add_maildir())

    def follow_up(n: int, subject: str) -> bytes:
        sender = f"報告者{n} <reporter{n}@corp{n}.example.co.jp>"
        return make_mail(sender=sender, to="csc-anken@example.jp", subject=subject, body="続報です。\n")

    poll(reports(1, 3))
    sent = poll([*reports(10, 4), follow_up(1, "続報"), follow_up(50, "第一報"), follow_up(50, "第二報")])
    by_sender = [
        s for s, _ in sent if re.search(r"FROM outboxreply\s+WHERE .*outboxreply\.to_addr IN", s, re.S)
    ]
    by_id = [
        s for s, _ in sent if re.search(r"FROM outboxreply\s+WHERE .*outboxreply\.in_reply_to IN", s, re.S)
    ]
    assert (len(by_sender), len(by_id)) == (1, 1)
    with workspace.engine().connect() as conn:
        rows = conn.exec_driver_sql("SELECT to_addr, count(*) FROM outboxreply GROUP BY to_addr").fetchall()
    replies = dict(rows)
    assert replies["reporter1@corp1.example.co.jp"] == 1  # the poll before answered it already
    assert replies["reporter50@corp50.example.co.jp"] == 1  # answered earlier in the batch
    assert all(replies[f"reporter{n}@corp{n}.example.co.jp"] == 1 for n in (2, 3, 10, 11, 12, 13))


def test_a_batch_of_new_reports_goes_to_the_database_in_one_insert_a_table(reports_workspace):
    """New reports: their cases, messages, replies, findings and search rows are each written with
    one statement for the batch, and nothing is read back, so eight cost the statements of two."""
    workspace, poll = reports_workspace
    poll(reports(1, 2))
    two = poll(reports(10, 2))
    eight = poll(reports(100, 8))
    inserts = [" ".join(s.split()[:3]) for s, _ in eight if s.lstrip().upper().startswith("INSERT")]
    for table in (
        '"case"',
        "message",
        "outboxreply",
        "finding",
        "incidentrecord",
        "auditentry",
        "searchentry",
    ):
        assert inserts.count(f"INSERT INTO {table}") == 1, (table, inserts)
    assert len(eight) == len(two), [" ".join(s.split())[:80] for s, _ in eight]


def test_a_batch_asks_once_which_messages_its_mail_answers_and_still_threads_each(workspace):
    """The Message-IDs a batch's mail refers to are looked up in one statement; a message is
    threaded by its own lookup only when one of its IDs is stored, by an earlier poll or earlier in
    the same batch — and a reference to a thread we never saw costs nothing."""
    workspace.extra = '[replies]\nmode = "hold"\n'
    path = workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    box = mailbox.Maildir(path, create=False)
    first = make_mail(
        sender="報告者 <first@corp1.example.co.jp>",
        to="csc-anken@example.jp",
        message_id="<r1@corp1.example.co.jp>",
    )
    box.add(first)
    assert '"created": 1' in workspace.cli("poll", "--json").stdout

    def answer(sender: str, to: str, subject: str, mid: str) -> bytes:
        return make_mail(
            sender=sender, to="csc-anken@example.jp", subject=subject, message_id=mid, in_reply_to=to
        )

    batch = [
        answer(
            "報告者 <first@corp1.example.co.jp>",
            "<r1@corp1.example.co.jp>",
            "続報",
            "<r1b@corp1.example.co.jp>",
        ),
        answer(
            "転送者 <fw@corp2.example.co.jp>",
            "<elsewhere@other.example.com>",
            "転送",
            "<fw@corp2.example.co.jp>",
        ),
        make_mail(
            sender="新規 <new@corp3.example.co.jp>",
            to="csc-anken@example.jp",
            subject="新規",
            message_id="<n1@corp3.example.co.jp>",
        ),
        answer(
            "新規 <new@corp3.example.co.jp>", "<n1@corp3.example.co.jp>", "追記", "<n2@corp3.example.co.jp>"
        ),
    ]
    for raw in batch:
        box.add(raw)
    with counted() as sent:
        result = workspace.cli("poll", "--json")
    assert '"created": 2' in result.stdout and '"joined": 2' in result.stdout, result.stdout
    at_once = [
        s
        for s, _ in sent
        if re.search(r"SELECT message\.message_id\s+FROM message\s+WHERE message\.message_id IN", s)
    ]
    alone = [s for s, _ in sent if re.search(r"SELECT message\.case_id, message\.mailbox\s+FROM message", s)]
    assert (len(at_once), len(alone)) == (1, 2)
    with workspace.engine().connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT message_id, case_id FROM message WHERE direction = 'in'"
        ).fetchall()
    case_of = {f"<{mid}>": case for mid, case in rows}  # stored without the brackets
    assert case_of["<r1b@corp1.example.co.jp>"] == case_of["<r1@corp1.example.co.jp>"]
    assert case_of["<n2@corp3.example.co.jp>"] == case_of["<n1@corp3.example.co.jp>"]
    assert case_of["<fw@corp2.example.co.jp>"] not in (
        case_of["<r1@corp1.example.co.jp>"],
        case_of["<n1@corp3.example.co.jp>"],
    )
