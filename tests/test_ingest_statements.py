"""A poll's work per message does not grow with what is already stored: a new report costs the
same SQL statements after a backlog of sixty cases as after five, and every lookup it makes is read
off an index narrowed by every column it looks up by (a few small tables aside: see ``SMALL``). Speed itself is measured by
``scripts/bench_poll.py``, never here.
"""

from __future__ import annotations

import mailbox

import pytest

from support.mailfactory import make_mail
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


@pytest.fixture
def reports_workspace(workspace):
    workspace.extra = '[replies]\nmode = "hold"\n'
    path = workspace.add_maildir()
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
