"""kill -9 anywhere: the promises of "What it guarantees" hold however often intake is killed.

Ten seeded trials run ``intake run`` or ``intake poll`` over a real Dovecot backlog of 60 mixed
messages with a real SMTP server, SIGKILL it at random moments and restart it until the backlog is
done (:mod:`world`). Each is compared with a run that was never killed: every message stored
exactly once (a case or the quarantine), exactly the same cases with the same status and open
findings, the same replies, each reply the outbox calls sent received by the server once or twice
(the one allowed duplicate, same Message-ID), none left unsent, every message marked processed.
The same trials run again with the incident mailbox read through Microsoft Graph (the stand-in,
with a real MSAL token): its delta links and marks keep the same promises.
``scripts/trials --kills 200`` runs the same trials many more times and prints the tally.

Staff actions are killed too: ``intake unlock`` and ``intake register import`` leave the case and
the register either as before or as after, never half.
"""

from __future__ import annotations

import csv
import random
import subprocess
import time

import pytest
from measured import Measured, environment
from sqlmodel import Session, func, select
from world import GraphWay, World, make_backlog, outcome, run_trial, verify

from intake.db.tables import (
    ApplicationForm,
    Attachment,
    AuditEntry,
    Case,
    Organisation,
    OutboxReply,
    RegisteredPerson,
)
from support.graph_standin import GraphStandIn
from support.idp import GRAPH_APP
from support.smtp_server import smtp_server
from support.unlocking import PASSWORD, make_pending

pytestmark = pytest.mark.e2e  # starts intake as a separate process

SEEDS = range(10)


@pytest.fixture(scope="module")
def sink():
    with smtp_server() as server:
        yield server


@pytest.fixture
def way(request, ca, idp, tmp_path_factory):
    """How the incident mailbox is read: IMAP (None) or through Graph (a fresh stand-in)."""
    if request.param == "imap":
        yield None
        return
    with GraphStandIn(ca.issue(tmp_path_factory.mktemp("graph")), key=idp.key) as stand_in:
        yield GraphWay(
            stand_in=stand_in,
            authority=idp.authority,
            ca_file=ca.cert_file,
            client_id=GRAPH_APP.client_id,
            secret=GRAPH_APP.client_secret,
        )


@pytest.fixture(scope="module")
def backlog():
    return make_backlog()


@pytest.fixture(scope="module")
def expected(dovecot, sink, backlog, tmp_path_factory):
    """The outcome of one poll that nobody killed."""
    world = World.create(tmp_path_factory.mktemp("reference"), dovecot, sink.port, backlog)
    since = len(sink.handler.received)
    world.cli("poll")
    world.cli("poll")
    assert world.done()
    reference = outcome(world, sink.handler, since)
    assert not reference.unsent and not reference.strays and set(reference.deliveries.values()) == {1}
    return reference


@pytest.mark.parametrize("way", ["imap", "graph"], indirect=True)
@pytest.mark.parametrize("seed", SEEDS)
def test_killed_at_random_moments_nothing_is_lost_or_done_twice(
    seed, way, dovecot, sink, backlog, expected, tmp_path
):
    world = World.create(tmp_path, dovecot, sink.port, backlog, graph=way)
    since = len(sink.handler.received)
    trial = verify(world, run_trial(world, seed), expected, sink.handler, since)
    assert trial.kills >= 1, "intake finished before any kill: the trial tried nothing"
    assert trial.problems == [], "\n".join([str(trial), *trial.problems])
    assert len(expected.cases) == 50 and sum(expected.replies.values()) == 41


# ---- staff actions killed half-way ------------------------------------------------------------


def start(workspace, *args: str, stdin: str = "") -> Measured:
    workspace.write()
    env = environment(workspace.config_file, workspace.env)
    feed = workspace.root / "stdin.txt"
    feed.write_text(stdin, encoding="utf-8")
    with feed.open("rb") as given:
        return Measured.start(
            list(args),
            env=env,
            cwd=workspace.root,
            stdin=given,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def kill_until_done(workspace, args: tuple[str, ...], stdin: str, check, seed: int, tries: int = 8) -> int:
    """Kill the command at seeded moments after it has opened the database (its work has begun)
    until one run completes; after each kill ``check()`` must find the state entirely before or
    entirely after. Returns the kills."""
    rng = random.Random(seed)
    database = workspace.root / "intake.db" if workspace.database.startswith("sqlite") else None
    kills = 0
    for _ in range(tries):
        process = start(workspace, *args, stdin=stdin)
        if database is None:  # PostgreSQL: no file to watch; a moment after the imports instead
            time.sleep(rng.uniform(0.6, 1.6))
        elif process.opened(database):
            time.sleep(rng.uniform(0, 0.08))
        if alive := process.running():
            process.kill()
        process.wait()
        kills += alive
        if check() == "after":
            return kills
    process = start(workspace, *args, stdin=stdin)
    process.wait()
    assert check() == "after"
    return kills


def test_unlock_killed_half_way_leaves_the_case_before_or_after(workspace):
    pending = make_pending(workspace)
    engine = workspace.engine()

    def check() -> str:
        with Session(engine) as session:
            session.expire_all()
            case = session.get(Case, pending.case_id)
            attachment = session.get(Attachment, pending.id)
            forms = session.exec(select(func.count()).select_from(ApplicationForm)).one()
            unlocked = session.exec(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "unlocked")
            ).one()
            replies = session.exec(select(func.count()).select_from(OutboxReply)).one()
            seen = (attachment.state, attachment.attempts, forms, unlocked, case.status, replies)
        before = ("password_pending", 0, 0, 0, "waiting_for_password", 0)
        assert seen == before or (seen[:4] == ("decrypted", 1, 1, 1) and seen[4] != before[4]), seen
        return "before" if seen == before else "after"

    kills = kill_until_done(
        workspace, ("unlock", str(pending.id), "--password-stdin"), PASSWORD + "\n", check, 11
    )
    assert kills >= 1


def test_register_import_killed_half_way_leaves_the_register_before_or_after(workspace):
    workspace.add_maildir()
    assert workspace.cli("init").returncode == 0
    path = workspace.root / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "org_name",
                "corporate_number",
                "department",
                "name",
                "email",
                "phone",
                "system_registration",
                "poc",
            ]
        )
        for org in range(150):
            for person in range(4):
                writer.writerow(
                    [
                        f"登録試験{org:03d}株式会社",
                        "",
                        "情報システム部",
                        f"試験　{org:03d}{person}郎",
                        f"p{person}@org{org:03d}.example.co.jp",
                        "03-5555-0000",
                        "要",
                        "する" if person == 0 else "しない",
                    ]
                )
    engine = workspace.engine()

    def check() -> str:
        with Session(engine) as session:
            orgs = session.exec(select(func.count()).select_from(Organisation)).one()
            people = session.exec(select(func.count()).select_from(RegisteredPerson)).one()
            audits = session.exec(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "register.import")
            ).one()
        assert (orgs, people, audits) in ((0, 0, 0), (150, 600, 1)), (orgs, people, audits)
        return "before" if orgs == 0 else "after"

    assert kill_until_done(workspace, ("register", "import", str(path)), "", check, 12) >= 1
