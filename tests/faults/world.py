"""The world the crash trials run in, shared by ``tests/faults`` and ``scripts/trials``.

Two real IMAP mailboxes on Dovecot hold a backlog of 60 mixed messages (incident reports that get
a checklist, follow-ups that answer them and join their case, membership mails with encrypted
forms whose passwords were phoned in ahead, others still waiting for theirs, plain forms, a PDF
instead of Word, robots), a real aiosmtpd server takes the replies, and a workspace configures
``intake`` for quick restarts (batches of 5, a 3-second claim lease). With a :class:`GraphWay` the
incident mailbox is read through the Microsoft Graph stand-in instead of IMAP (a real MSAL token
from the test IdP), under the same promises. :func:`run_trial` starts
``intake run`` or ``intake poll``, kills it with SIGKILL at seeded random moments, restarts it
until the backlog is done, and :func:`verify` checks every promise against a run that was never
killed. Everything is invented: ``example.co.jp`` / ``example.jp`` addresses, made-up people.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path

from measured import Measured
from sqlalchemy import create_engine
from sqlmodel import Session

from intake.cases.expected import PasswordVault
from intake.checks.corporate import check_digit
from intake.config import load_config
from intake.db import make_engine, upgrade
from intake.forms import write_application
from support import postgres
from support.dovecot import Dovecot, ImapAccount
from support.graph_standin import GraphStandIn
from support.mailfactory import DOCX_TYPE, JST, make_mail
from support.office_fixtures import encrypt_agile, make_pdf
from support.samples import application
from support.smtp_server import Recorder

PASSWORD = "Hikari#2026-Trial"
INCIDENT = "csc-anken@example.jp"
MEMBERSHIP = "kyogikai-shomu@example.jp"
PROCESSED = b"$IntakeProcessed"
REPORT = (
    "本日、弊社宛てに取引先を装った不審なメールが複数届きました。\n調査中のため取り急ぎご報告いたします。\n"
)
ANSWERS = "確認①：不要\n確認②：協議会構成員限り\n確認③：不要\n"


# ---- the backlog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backlog:
    incident: list[bytes]
    membership: list[bytes]
    phoned_in: list[str]  # senders whose password was phoned in before their mail

    @property
    def total(self) -> int:
        return len(self.incident) + len(self.membership)


def make_backlog() -> Backlog:
    """30 incident mails (20 reports, 10 answers to them) and 30 membership mails."""
    reports = []
    for i in range(20):
        sender = f"報告者{i:02d} <reporter{i:02d}@corp{i:02d}.example.co.jp>"
        body = REPORT + ("確認①：不要\n" if i % 3 == 0 else "")
        reports.append((sender, make_msgid(domain=f"corp{i:02d}.example.co.jp"), body))
    incident = [
        make_mail(sender=s, to=INCIDENT, subject=f"不審メールのご報告 {i:02d}", body=b, message_id=mid)
        for i, (s, mid, b) in enumerate(reports)
    ]
    incident += [
        make_mail(
            sender=s, to=INCIDENT, subject=f"Re: 不審メールのご報告 {i:02d}", body=ANSWERS, in_reply_to=mid
        )
        for i, (s, mid, _) in enumerate(reports[:10])
    ]
    membership, phoned = _membership_mails()
    return Backlog(incident, membership, phoned)


def _membership_mails() -> tuple[list[bytes], list[str]]:
    mails, phoned = [], []
    today = datetime.now(JST).strftime("%y%m%d")
    for i in range(25):
        org = f"試験工業{i:02d}株式会社"
        address = f"poc{i:02d}@org{i:02d}.example.co.jp"
        values = application(
            org_name=org,
            corporate_number=_corporate_number(i),
            receive_secrets="希望しない",
            poc_name=f"担当　{i:02d}郎",
            poc_email=address,
        )
        plain = write_application(values)
        encrypted = i < 15
        data = encrypt_agile(plain, PASSWORD) if encrypted else plain
        if i < 10:
            phoned.append(address)
        mails.append(
            make_mail(
                sender=f"担当 {i:02d}郎 <{address}>",
                attachments=[(f"{today}_協議会加入申込書（{org}）.docx", data, DOCX_TYPE)],
            )
        )
    mails.append(
        make_mail(
            sender="山本 一 <yamamoto@pdf.example.co.jp>",
            attachments=[("申込書.pdf", make_pdf(), "application/pdf")],
        )
    )
    for n in range(4):
        mails.append(
            make_mail(
                sender="MAILER-DAEMON@mx.example.jp",
                subject=f"Undelivered Mail Returned to Sender {n}",
                body="This is the mail system.\n",
                headers={"Auto-Submitted": "auto-replied"},
            )
        )
    return mails, phoned


def _corporate_number(i: int) -> str:
    base = f"{5_200_000_000 + i:012d}"
    return f"{check_digit(base)}{base}"


# ---- the workspace ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphWay:
    """The way to the incident mailbox through Graph: the stand-in, the IdP's authority, the CA
    that signed both, and the app's client id and secret."""

    stand_in: GraphStandIn
    authority: str
    ca_file: Path
    client_id: str
    secret: str


class Reader:
    """``execute(SQL)`` on a connection, its rows as tuples (what the trials read)."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def execute(self, sql: str):
        return self.conn.exec_driver_sql(sql)


@dataclass
class World:
    """A workspace folder with its two IMAP accounts, the SMTP sink's port and the backlog."""

    root: Path
    kyogikai: ImapAccount
    anken: ImapAccount
    smtp_port: int
    backlog: Backlog
    env: dict[str, str] = field(default_factory=dict)
    database: str = ""  # SQLite in the folder, or a fresh PostgreSQL database (--db=postgresql)
    graph: GraphWay | None = None  # set: the incident mailbox is read through Graph, not IMAP

    @classmethod
    def create(
        cls, root: Path, dovecot: Dovecot, smtp_port: int, backlog: Backlog, *, graph: GraphWay | None = None
    ) -> World:
        world = cls(root, dovecot.add_account(), dovecot.add_account(), smtp_port, backlog, graph=graph)
        world.database = postgres.database_url(root)
        world.env = {
            **os.environ,
            "INTAKE_CONFIG": str(root / "config.toml"),
            "INTAKE_TRIAL_KYOGIKAI": world.kyogikai.password,
            "INTAKE_TRIAL_ANKEN": world.anken.password,
            "INTAKE_TRIAL_GRAPH": graph.secret if graph else "",
        }
        world.write_config()
        if graph is not None:
            for raw in backlog.incident:  # with CRLF line ends, as Exchange (and Dovecot) hand it out
                graph.stand_in.deliver(INCIDENT, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        else:
            world.anken.append(backlog.incident)
        world.kyogikai.append(backlog.membership)
        world.phone_in(backlog.phoned_in)
        return world

    def phone_in(self, senders: list[str]) -> None:
        """``intake init``, then the passwords phoned in before the mail (``expect-password``)."""
        config = load_config(self.root / "config.toml")
        engine = make_engine(config.storage.database)
        upgrade(engine)
        vault = PasswordVault(config.storage.key_file)
        with Session(engine) as session:
            for sender in senders:
                vault.expect(
                    session,
                    sender=sender,
                    org=None,
                    password=PASSWORD,
                    ttl_hours=24,
                    by="trial",
                    rules_dir=config.rules_path,
                )
            session.commit()
        engine.dispose()

    def write_config(self) -> None:
        today = datetime.now(JST).date()
        start, end = today - timedelta(days=30), today + timedelta(days=30)
        text = f"""poll_interval = 1
[storage]
database = "{self.database}"
archive_dir = "{self.root}/messages"
key_file = "{self.root}/intake.key"
[imap]
batch_size = 5
[smtp]
host = "127.0.0.1"
port = {self.smtp_port}
security = "none"
timeout = 5
[replies]
mode = "send"
max_per_sender_per_day = 0
backlog_age_hours = 0
retry_base_seconds = 1
claim_lease_seconds = 3
[membership]
recruitment_periods = [{{ start = "{start}", end = "{end}" }}]
{_imap_mailbox("kyogikai", "membership", "KYOGIKAI", MEMBERSHIP, self.kyogikai, "INTAKE_TRIAL_KYOGIKAI")}
{self._incident_mailbox()}
"""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "config.toml").write_text(text, encoding="utf-8")

    def _incident_mailbox(self) -> str:
        if self.graph is None:
            return _imap_mailbox("anken", "incident", "CSC", INCIDENT, self.anken, "INTAKE_TRIAL_ANKEN")
        return f"""[[mailbox]]
name = "anken"
profile = "incident"
address = "{INCIDENT}"
case_prefix = "CSC"
source = "graph"
graph_url = "{self.graph.stand_in.base}"
ca_file = "{self.graph.ca_file}"
[mailbox.oauth]
flow = "app"
client_id = "{self.graph.client_id}"
authority = "{self.graph.authority}"
client_secret_env = "INTAKE_TRIAL_GRAPH"
"""

    def incident_mails(self) -> list[bytes]:
        """Every message of the incident mailbox, as it holds it."""
        if self.graph is not None:
            return [m.raw for m in self.graph.stand_in.in_folder(INCIDENT, "inbox")]
        with self.anken.client() as client:
            return [item[b"BODY[]"] for item in client.fetch(client.search("ALL"), [b"BODY.PEEK[]"]).values()]

    def unmarked_incident_mails(self) -> int:
        if self.graph is not None:
            inbox = self.graph.stand_in.in_folder(INCIDENT, "inbox")
            return sum(1 for m in inbox if "intake-processed" not in m.categories)
        return sum(1 for flags in self.anken.flags().values() if PROCESSED not in flags)

    # -- running intake ------------------------------------------------------------------------
    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "intake", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            input=input,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"intake {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def start(self, *args: str) -> Measured:
        with (self.root / "intake.log").open("ab") as log:
            return Measured.start(list(args), env=self.env, cwd=self.root, stdout=log, stderr=log)

    # -- reading the outcome -------------------------------------------------------------------
    @contextmanager
    def db(self) -> Iterator[Reader]:
        """The database as it is now, read with plain SQL (either backend)."""
        engine = create_engine(self.database)
        try:
            with engine.connect() as conn:
                yield Reader(conn)
        finally:
            engine.dispose()

    def done(self) -> bool:
        """Every message is in a case or the quarantine, and no reply waits to be sent."""
        with self.db() as conn:
            stored = conn.execute("SELECT count(*) FROM message WHERE direction = 'in'").fetchone()[0]
            set_aside = conn.execute("SELECT count(*) FROM quarantineentry WHERE state = 'open'").fetchone()[
                0
            ]
            waiting = conn.execute("SELECT count(*) FROM outboxreply WHERE state = 'queued'").fetchone()[0]
        return stored + set_aside == self.backlog.total and waiting == 0

    def json(self, *args: str):
        return json.loads(self.cli(*args, "--json").stdout)


def _imap_mailbox(name: str, profile: str, prefix: str, address: str, account: ImapAccount, env: str) -> str:
    return f"""[[mailbox]]
name = "{name}"
profile = "{profile}"
address = "{address}"
case_prefix = "{prefix}"
source = "imap"
host = "{account.host}"
port = {account.port}
security = "none"
username = "{account.username}"
password_env = "{env}"
"""


# ---- killing and measuring --------------------------------------------------------------------


@dataclass
class Trial:
    seed: int
    command: str
    kills: int = 0
    set_aside: int = 0
    peak_rss_mb: float = 0.0
    problems: list[str] = field(default_factory=list)
    duplicates: int = 0
    lost: int = 0
    set_aside_shas: list[str] = field(default_factory=list)
    apart: int = 0  # cases left out of the exact comparison: a set-aside message's conversation

    @property
    def exact(self) -> bool:
        return not self.problems


def run_trial(world: World, seed: int, *, window: float = 4.0) -> Trial:
    """SIGKILL ``intake run`` (even seeds) or ``intake poll`` (odd) at 2–5 random moments, then let
    it finish the backlog; a message set aside after killing the poller twice is put back with
    ``intake reprocess`` as staff would, and the replies that calls for are sent."""
    rng = random.Random(seed)
    trial = Trial(seed, "run" if seed % 2 == 0 else "poll")
    if trial.command == "poll":
        window = min(window, 2.5)  # a poll ends once the backlog is done: kill it before
    for _ in range(rng.randint(2, 5)):
        process = world.start(trial.command)
        time.sleep(rng.uniform(0.2, window))
        if alive := process.running():
            process.kill()
        process.wait()
        trial.peak_rss_mb = max(trial.peak_rss_mb, process.peak_mb)
        trial.kills += alive
    _finish(world, trial)
    with world.db() as conn:
        trial.set_aside_shas = [sha for (sha,) in conn.execute("SELECT sha256 FROM quarantineentry")]
    for entry in world.json("quarantine"):
        trial.set_aside += 1
        world.cli("reprocess", str(entry["id"]))
    if trial.set_aside:
        world.cli("send")
    return trial


def _finish(world: World, trial: Trial, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    if trial.command == "poll":
        while True:
            process = world.start("poll")
            process.wait()
            trial.peak_rss_mb = max(trial.peak_rss_mb, process.peak_mb)
            if world.done() or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # a reply claimed by a killed poll waits for its lease
        world.cli("poll")  # the marks of the last batch, if a kill came between commit and mark
        return
    process = world.start("run")
    while not world.done() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.5)  # two more ticks: the marks of the last batch
    process.terminate()
    process.wait()
    trial.peak_rss_mb = max(trial.peak_rss_mb, process.peak_mb)


# ---- what must hold ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A world's result keyed by what does not depend on timing: each case by the hash of the
    message that opened it (case numbers shift when a message was set aside and put back)."""

    cases: dict[str, tuple]  # first message's sha256 → (mailbox, kind, status, sender, open findings)
    replies: Counter  # (first message's sha256, template, to) of every reply not cancelled
    deliveries: dict[str, int]  # Message-ID of each reply the outbox calls sent → times the server got it
    unsent: list[str]  # replies not sent (queued, held, failed)
    strays: list[str]  # Message-IDs the server got that the outbox does not call sent


def outcome(world: World, sink: Recorder, since: int = 0) -> Outcome:
    with world.db() as conn:
        first = dict(
            conn.execute(
                "SELECT m.case_id, m.sha256 FROM message m WHERE m.direction = 'in' AND m.id = "
                "(SELECT min(id) FROM message WHERE case_id = m.case_id AND direction = 'in')"
            ).fetchall()
        )
        findings: dict[str, list[str]] = {}
        for case_id, code in conn.execute("SELECT case_id, code FROM finding WHERE open ORDER BY code"):
            findings.setdefault(case_id, []).append(code)
        query = 'SELECT id, mailbox, kind, status, sender FROM "case"'
        cases = {
            first[cid]: (mailbox, kind, status, sender, tuple(findings.get(cid, ())))
            for cid, mailbox, kind, status, sender in conn.execute(query)
        }
        rows = conn.execute(
            "SELECT case_id, template, to_addr, state, message_id FROM outboxreply WHERE state != 'cancelled'"
        ).fetchall()
    got = Counter(d.message["Message-ID"].strip("<>") for d in sink.received[since:])
    sent = {mid for *_, state, mid in rows if state == "sent"}
    return Outcome(
        cases=cases,
        replies=Counter((first[cid], template, to) for cid, template, to, _, _ in rows),
        deliveries={mid: got.get(mid, 0) for mid in sent},
        unsent=[mid for *_, state, mid in rows if state != "sent"],
        strays=sorted(set(got) - sent),
    )


def verify(world: World, trial: Trial, expected: Outcome, sink: Recorder, since: int) -> Trial:
    """Check the promises; every broken one is a line in ``trial.problems``.

    A message set aside after two deaths is processed only when staff put it back: an answer to it
    that came in meanwhile opens a case of its own, and the replies of that conversation follow
    from that order. Those cases (``trial.apart``) are left out of the exact comparison; every
    other promise holds for them too (stored once, replies at most twice, none left unsent)."""
    got = outcome(world, sink, since)
    apart = _conversations_of(world, trial.set_aside_shas)
    trial.apart = len(apart & set(got.cases))
    _every_message_once(world, trial)
    _same_cases(trial, _without(expected, apart), _without(got, apart))
    expected_replies = Counter({k: n for k, n in expected.replies.items() if k[0] not in apart})
    got_replies = Counter({k: n for k, n in got.replies.items() if k[0] not in apart})
    if got_replies != expected_replies:
        missing, extra = expected_replies - got_replies, got_replies - expected_replies
        trial.problems.append(f"replies differ: missing {dict(missing)}, extra {dict(extra)}")
    for message_id, count in got.deliveries.items():
        if not 1 <= count <= 2:
            trial.problems.append(f"reply {message_id} reached the server {count} times")
        trial.duplicates += max(count - 1, 0)
    if got.unsent:
        trial.problems.append(f"{len(got.unsent)} replies left unsent")
    if got.strays:
        trial.problems.append(
            f"{len(got.strays)} messages reached the server that the outbox does not call sent"
        )
    _all_marked(world, trial)
    return trial


def _conversations_of(world: World, shas: list[str]) -> set[str]:
    """The set-aside messages and those that answer them (by In-Reply-To / References)."""
    if not shas:
        return set()
    with world.db() as conn:
        rows = conn.execute(
            "SELECT sha256, message_id, in_reply_to, \"references\" FROM message WHERE direction = 'in'"
        ).fetchall()
    ids = {mid for sha, mid, _, _ in rows if sha in shas and mid}
    answers = {sha for sha, _, irt, refs in rows if ids & set(f"{irt} {refs}".split())}
    return set(shas) | answers


def _without(outcome_: Outcome, keys: set[str]) -> Outcome:
    return replace(outcome_, cases={k: v for k, v in outcome_.cases.items() if k not in keys})


def _same_cases(trial: Trial, expected: Outcome, got: Outcome) -> None:
    missing = set(expected.cases) - set(got.cases)
    extra = set(got.cases) - set(expected.cases)
    if missing or extra:
        trial.lost += len(missing)
        trial.problems.append(
            f"cases differ: missing {[expected.cases[k] for k in missing]}, extra {[got.cases[k] for k in extra]}"
        )
    for key in sorted(set(expected.cases) & set(got.cases)):
        if expected.cases[key] != got.cases[key]:
            trial.problems.append(f"case differs: expected {expected.cases[key]}, got {got.cases[key]}")


def _every_message_once(world: World, trial: Trial) -> None:
    """Each message of the mailboxes is stored exactly once: in one case or in the quarantine."""
    wanted: Counter = Counter()
    with world.kyogikai.client() as client:
        items = client.fetch(client.search("ALL"), [b"BODY.PEEK[]"]).values()
        wanted.update(hashlib.sha256(item[b"BODY[]"]).hexdigest() for item in items)
    wanted.update(hashlib.sha256(raw).hexdigest() for raw in world.incident_mails())
    with world.db() as conn:
        stored = Counter(sha for (sha,) in conn.execute("SELECT sha256 FROM message WHERE direction = 'in'"))
        stored.update(
            sha for (sha,) in conn.execute("SELECT sha256 FROM quarantineentry WHERE state = 'open'")
        )
    lost = wanted - stored
    if lost:
        trial.lost += sum(lost.values())
        trial.problems.append(f"{sum(lost.values())} messages stored nowhere")
    twice = [sha for sha, n in stored.items() if n > 1]
    if twice or set(stored) - set(wanted):
        trial.problems.append(
            f"messages stored twice: {len(twice)}, unknown: {len(set(stored) - set(wanted))}"
        )


def _all_marked(world: World, trial: Trial) -> None:
    unmarked = [uid for uid, flags in world.kyogikai.flags().items() if PROCESSED not in flags]
    if unmarked:
        trial.problems.append(f"{world.kyogikai.username}: {len(unmarked)} messages not marked processed")
    if left := world.unmarked_incident_mails():
        trial.problems.append(f"{INCIDENT}: {left} messages not marked processed")
