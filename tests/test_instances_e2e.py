"""Several ``intake run`` instances (as on two or three hosts) on one PostgreSQL database and the same
mailbox, against a real Dovecot and aiosmtpd: 300 messages arrive in bursts while three instances
run, one is killed with SIGKILL in the middle of a poll, and still every message is in exactly one
case, case numbers are unique and consecutive, every reply goes out once (at most one duplicate,
with the same Message-ID, from the killed instance), and the two others carry on at once.

On SQLite the same code runs one instance: a second ``intake run`` says so and waits.

How fast, measured: ``scripts/bench_instances`` (messages/s with one and with two instances).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from intake.clock import JST
from support.mailfactory import make_mail
from support.smtp_server import smtp_server

pytestmark = pytest.mark.e2e  # intake run as separate processes

MESSAGES, BURSTS = 300, 6
WITHIN = 180.0  # seconds to wait for all the work; an idle machine needs about 10


def start(workspace, name: str) -> subprocess.Popen:
    log = (workspace.root / f"{name}.log").open("ab")
    with log:
        return subprocess.Popen(
            [sys.executable, "-m", "intake", "run"],
            env={**os.environ, **workspace.environment},
            cwd=workspace.root,
            stdout=log,
            stderr=log,
        )


def report(i: int) -> bytes:
    return make_mail(
        subject=f"インシデント報告 {i:03d}",
        sender=f"報告者{i} <reporter{i}@example.co.jp>",
        to="csc-anken@example.jp",
        body=f"不審な通信を検知しました（{i}件目）。\n",
    )


def configure(workspace, imap_account, smtp_port: int) -> None:
    workspace.poll_interval = 2
    workspace.extra = f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout = 5
[replies]
mode = "send"
max_per_sender_per_day = 0
"""
    workspace.add_imap(
        imap_account, name="anken", profile="incident", prefix="CSC", address="csc-anken@example.jp"
    )
    assert workspace.cli("init").returncode == 0


def rows(workspace, sql: str) -> list:
    engine = create_engine(workspace.database)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def mid_poll_instance(workspace, instances: dict[int, subprocess.Popen]) -> int | None:
    """The pid of an instance whose transaction has written and not committed yet: in a poll."""
    found = rows(
        workspace,
        "SELECT application_name FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
        "AND application_name LIKE 'intake %'",
    )
    pids = [int(name.rsplit(" ", 1)[1]) for (name,) in found]
    return next((pid for pid in pids if pid in instances), None)


def wait_for(predicate, timeout: float = WITHIN) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.postgresql_only(reason="several instances share a database only on PostgreSQL")
def test_three_instances_one_killed_mid_poll_every_message_once_every_reply_once(workspace, imap_account):
    with smtp_server() as smtp:
        configure(workspace, imap_account, smtp.port)
        instances = {p.pid: p for p in (start(workspace, f"instance{n}") for n in range(3))}
        killed = None
        try:
            per_burst = MESSAGES // BURSTS
            for burst in range(BURSTS):
                imap_account.append([report(i) for i in range(burst * per_burst, (burst + 1) * per_burst)])
                if burst == 2:  # one instance dies in the middle of a poll
                    assert wait_for(lambda: mid_poll_instance(workspace, instances) is not None)
                    killed = mid_poll_instance(workspace, instances)
                    assert killed is not None
                    instances[killed].send_signal(signal.SIGKILL)
                    instances[killed].wait(10)
                time.sleep(0.5)

            def all_done() -> bool:
                cases = rows(workspace, 'SELECT count(*) FROM "case"')[0][0]
                due = rows(workspace, "SELECT count(*) FROM outboxreply WHERE state <> 'sent'")[0][0]
                return cases == MESSAGES and due == 0

            assert wait_for(all_done), "the surviving instances did not finish the work"
            time.sleep(1)  # a duplicate, if any, would be in flight now
        finally:
            for pid, process in instances.items():
                if pid != killed:
                    process.send_signal(signal.SIGTERM)
            survivors = [p.wait(30) for pid, p in instances.items() if pid != killed]
        deliveries = [d.message["Message-ID"] for d in smtp.handler.received]

    assert killed is not None and survivors == [0, 0]
    case_ids = [r[0] for r in rows(workspace, 'SELECT id FROM "case" ORDER BY id')]
    year = datetime.now(JST).year
    assert case_ids == [f"CSC-{year}-{n:04d}" for n in range(1, MESSAGES + 1)]  # unique, consecutive
    per_case = rows(
        workspace, "SELECT case_id, count(*) FROM message WHERE direction = 'in' GROUP BY case_id"
    )
    assert len(per_case) == MESSAGES and {count for _, count in per_case} == {1}
    subjects = rows(workspace, "SELECT DISTINCT subject FROM message WHERE direction = 'in'")
    assert len(subjects) == MESSAGES  # every message, each in exactly one case
    assert rows(workspace, "SELECT count(*) FROM quarantineentry")[0][0] == 0
    sent = {r[0] for r in rows(workspace, "SELECT message_id FROM outboxreply WHERE state = 'sent'")}
    assert len(sent) == MESSAGES  # one acknowledgement per report
    copies = Counter(deliveries)
    assert set(copies) == {f"<{m}>" if not m.startswith("<") else m for m in sent}
    assert sum(copies.values()) - len(copies) <= 1  # at most one duplicate: the killed one's reply


def test_a_second_instance_on_sqlite_says_so_and_waits(workspace):
    if not workspace.database.startswith("sqlite"):
        pytest.skip("about SQLite: several instances on PostgreSQL are the test above")
    workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    assert workspace.cli("init").returncode == 0
    first = start(workspace, "first")
    try:
        assert wait_for(lambda: "polling" in (workspace.root / "first.log").read_text())
        second = start(workspace, "second")
        said = "another `intake run` is polling this SQLite database"
        assert wait_for(lambda: said in (workspace.root / "second.log").read_text())
        assert "polling 1 mailbox" not in (workspace.root / "second.log").read_text()  # it waits
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
        assert wait_for(lambda: "polling 1 mailbox" in (workspace.root / "second.log").read_text())
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        for process in (first, locals().get("second")):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert json.loads(workspace.cli("queue", "--json").stdout) == []
