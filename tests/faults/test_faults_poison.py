"""No message takes the poller hostage: a report of megabytes costs time in proportion to its size,
no message may take longer than ``[limits] max_message_seconds``, and staff write on the desk while
such a message is being processed.

The reports are one long paragraph of short lines (:mod:`support.longmail`), in every shape the
generator knows. CPU time is compared between sizes, never against a clock: a quadratic stage
makes 16 times the text cost 256 times as much, a linear one about 16 times, so the bounds below
are generous and hold on a busy machine.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.archive import Archive
from intake.checks import read_confirmations
from intake.config import load_config
from intake.db.tables import Case, Finding, QuarantineEntry
from intake.mail import parse_message
from intake.runner.poller import Poller
from support.desk import add_staff, csrf_of, desk_server
from support.longmail import MB, SHAPES, Shape, long_report
from support.mailfactory import make_mail

LINEAR_BOUND = 32  # 16 × the text may cost at most this many times as much (linear: ~16, quadratic: 256)


def ordinary_report() -> bytes:
    return make_mail(
        subject="不審メールのご報告",
        sender="佐藤 花子 <sato@example.co.jp>",
        to="csc-anken@example.jp",
        body="お世話になっております。\n不審なメールを受信しましたのでご報告します。\n",
    )


def deliver_in_order(path: Path, mails: list[bytes]) -> None:
    """Into the Maildir, oldest first in the order given (the poller reads by file time)."""
    box = mailbox.Maildir(path, create=False)
    start = time.time() - len(mails)
    for i, raw in enumerate(mails):
        key = box.add(raw)
        os.utime(path / "new" / key, (start + i, start + i))


def cpu_to_read(raw: bytes) -> float:
    """CPU seconds to parse a message and read its whole text for answers (no cap)."""
    before = time.process_time()
    parsed = parse_message(raw)
    read_confirmations([parsed.body_text], [parsed.subject])
    return time.process_time() - before


@pytest.mark.parametrize("shape", SHAPES, ids=[s.name for s in SHAPES])
def test_reading_a_text_costs_in_proportion_to_its_size(shape: Shape):
    small = cpu_to_read(long_report(shape, MB // 8))
    large = cpu_to_read(long_report(shape, 2 * MB))  # the old reader: 79 × as long here
    assert large <= LINEAR_BOUND * max(small, 0.01), (shape.name, small, large)


@pytest.fixture
def anken(workspace) -> Path:
    path = workspace.add_maildir()
    workspace.extra = '[replies]\nmode = "hold"\n'
    workspace.cli("init")
    return path


def open_codes(engine, case_id: str) -> set[str]:
    with Session(engine) as session:
        found = session.exec(select(Finding.code).where(Finding.case_id == case_id, Finding.open == True))  # noqa: E712
        return set(found)


def test_reports_of_1_4_and_16_mb_are_read_in_part_in_linear_time_and_the_next_report_follows(
    workspace, anken
):
    shape = SHAPES[0]  # the shape that was quadratic
    mails = [long_report(shape, size * MB) for size in (1, 4, 16)] + [ordinary_report()]
    deliver_in_order(anken, mails)
    config = load_config(workspace.write())
    engine = workspace.engine()
    marks: list[float] = [time.process_time()]
    poller = Poller(config=config, engine=engine, progress=lambda *_: marks.append(time.process_time()))

    report = poller.poll(config.get_mailbox("anken"))

    assert (report.fetched, report.created, report.quarantined) == (4, 4, 0)
    one, four, sixteen = (marks[i + 1] - marks[i] for i in range(3))
    assert sixteen <= LINEAR_BOUND * one, (one, four, sixteen)
    *long_cases, ordinary = report.case_ids
    for case_id in long_cases:
        assert "text_read_in_part" in open_codes(engine, case_id)
    assert "text_read_in_part" not in open_codes(engine, ordinary)
    archive = Archive(config.storage.archive_dir)
    assert all(archive.load(hashlib.sha256(raw).hexdigest()) == raw for raw in mails)


def test_a_message_past_its_time_budget_goes_to_the_quarantine_and_the_poll_goes_on(workspace, anken):
    workspace.extra += "[limits]\nmax_message_seconds = 1\nmax_text_chars = 100000000\n"
    slow = long_report(SHAPES[0], 16 * MB)  # read whole, it takes far more than a second anywhere
    deliver_in_order(anken, [slow, ordinary_report()])
    config = load_config(workspace.write())
    engine = workspace.engine()
    threads = threading.active_count()

    report = Poller(config=config, engine=engine).poll(config.get_mailbox("anken"))

    assert (report.fetched, report.created, report.quarantined) == (2, 1, 1)
    assert threading.active_count() == threads  # nothing was left running
    with Session(engine) as session:
        (entry,) = session.exec(select(QuarantineEntry)).all()
        (case,) = session.exec(select(Case)).all()
    assert entry.state == "open" and entry.size == len(slow)
    assert entry.error.startswith("took longer than 1 s (")
    assert case.subject == "不審メールのご報告"
    assert Archive(config.storage.archive_dir).load(entry.sha256) == slow
    assert os.listdir(anken / "new") == []  # both marked: the poll went past the slow one

    workspace.extra = workspace.extra.replace("max_message_seconds = 1\n", "")
    workspace.extra = workspace.extra.replace("max_text_chars = 100000000\n", "")
    again = workspace.cli("reprocess", str(entry.id))
    assert again.returncode == 0, again.stderr


def test_staff_write_on_the_desk_while_long_reports_are_processed(workspace, anken):
    deliver_in_order(anken, [ordinary_report()])
    assert workspace.cli("poll").returncode == 0
    (case,) = json.loads(workspace.cli("queue", "--json").stdout)
    deliver_in_order(anken, [long_report(shape, 8 * MB) for shape in SHAPES[:3]])
    config = load_config(workspace.write())
    add_staff(config)
    env = {**os.environ, **workspace.environment}
    with desk_server(config) as desk:
        client = desk.signed_in()
        poll = subprocess.Popen(
            [sys.executable, "-m", "intake", "poll"], env=env, cwd=workspace.root, stderr=subprocess.PIPE
        )
        answers = []
        while poll.poll() is None:
            token = csrf_of(client.get(f"/cases/{case['id']}").text)
            text = f"電話で確認済み {len(answers) + 1}"
            answers.append(client.post(f"/cases/{case['id']}/note", data={"text": text, "csrf": token}))
        _, errors = poll.communicate(timeout=60)
    assert poll.returncode == 0, errors.decode()
    assert answers, "the poll ended before the desk could write"
    assert [r.status_code for r in answers] == [303] * len(answers)
    shown = json.loads(workspace.cli("show", case["id"], "--json").stdout)
    assert len(shown["notes"]) == len(answers)
    assert len(json.loads(workspace.cli("queue", "--json").stdout)) == 4
