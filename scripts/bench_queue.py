"""How fast the review queue comes up with many cases in the database (target: `intake queue`
under 0.5 s wall with 10,000 cases).

    python scripts/bench_queue.py [N] [--runs 5] [--profile]

Fills a temporary SQLite database, migrated the real way, with N cases (default 10,000) straight
through bulk inserts: two mailboxes, every kind and status, one to three messages and an audit
entry or two per case, an attachment on most membership cases, open and resolved findings, robot
mail, and a member register of organisations. Then prints the median wall time of five runs of

* ``intake queue``, ``intake queue --json``, ``intake queue --status ready_for_review`` and
  ``intake queue --all --json``, each as a separate process (what staff wait for);
* ``python -c "import intake.cli"`` alone, the start-up every command pays before any query;
* the desk's queue page (``GET /``, signed in, served by uvicorn in this process);
* :func:`intake.secretariat.views.queue` with :func:`~intake.secretariat.views.count_cases` and
  :func:`~intake.secretariat.views.status_counts` in this process (what the command line and the desk's
  page ask of the database), with the number of SQL statements they sent.

Each process is timed by the wall clock and by the CPU time it used (user + system), which a busy
machine disturbs less.

``--profile`` prints the top of a cProfile of the in-process call. Timing lives here, never in tests.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from intake.config import load_config  # noqa: E402
from intake.db import make_engine, reading, upgrade  # noqa: E402
from intake.db.tables import (  # noqa: E402
    Attachment,
    AuditEntry,
    Case,
    Finding,
    Message,
    Organisation,
    RegisteredPerson,
    ServerHealth,
)
from intake.secretariat import views  # noqa: E402
from support.desk import add_staff, desk_server  # noqa: E402

MAILBOXES = (
    ("kyogikai", "KYOGIKAI", "membership", ("membership_application", "staff_registration", "other")),
    ("anken", "CSC", "incident", ("incident_report", "other")),
)
STATUSES = (  # roughly how a year's cases are spread
    ("new", 3),
    ("waiting_for_password", 4),
    ("waiting_for_sender", 10),
    ("ready_for_review", 12),
    ("accepted", 30),
    ("rejected", 3),
    ("closed", 38),
)
CODES = {
    "membership_application": (
        "required_field:poc.email",
        "required_field:corporate_number",
        "choice_required:participation",
        "encryption_required",
        "filename_format",
        "corporate_number_invalid",
        "staff_registration_required",
        "poc_not_registered",
    ),
    "staff_registration": ("continuing_unknown", "abolished_not_removed", "new_already_registered"),
    "incident_report": ("secret_designation", "sharing_scope", "external_coordination", "non_member"),
    "other": ("sender_not_on_file", "reply_bounced"),
}
ORG_WORDS = ("サンプル", "テスト", "東都", "北陸", "瀬戸内", "みらい", "中央", "関西", "九州", "新日本")
ORG_KINDS = ("電力", "ガス", "物流", "通信", "銀行", "工業", "鉄道", "情報システム", "製薬", "化学")
ORG_FORMS = ("株式会社{}", "{}株式会社", "合同会社{}", "一般財団法人{}", "{}大学")
SUBJECTS = {
    "membership_application": "加入申込書の送付（{org}）",
    "staff_registration": "事務従事者登録届（{org}）",
    "incident_report": "不審な通信の検知について（{org}）",
    "other": "お問い合わせ（{org}）",
}


def organisations(count: int) -> list[str]:
    names = [
        form.format(a + b) for a in ORG_WORDS for b in ORG_KINDS for form in ORG_FORMS
    ]  # 500 distinct names
    return names[:count]


def fill(engine, count: int, seed: int = 20261130) -> dict[str, int]:
    """``count`` cases and what goes with them; returns how many rows of each table."""
    rnd = random.Random(seed)
    orgs = organisations(400)
    now = datetime.now(UTC).replace(microsecond=0)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    rows: dict[type, list[dict]] = {t: [] for t in (Case, Message, Attachment, Finding, AuditEntry)}
    counters: dict[tuple[str, int], int] = {}
    message_id = attachment_id = 0
    # oldest first, so the case numbers of a year rise with time as they do in real use
    moments = sorted(now - timedelta(seconds=rnd.randrange(0, 730 * 86400)) for _ in range(count))
    for received in moments:
        mailbox, prefix, _profile, kinds = rnd.choice(MAILBOXES)
        kind = rnd.choices(kinds, weights=(6, 3, 1)[: len(kinds)])[0]
        robot = kind == "other" and rnd.random() < 0.7
        status = "closed" if robot else rnd.choices(statuses, weights=weights)[0]
        year = received.year
        counters[(prefix, year)] = number = counters.get((prefix, year), 0) + 1
        case_id = f"{prefix}-{year}-{number:04d}"
        org = None if kind == "incident_report" and rnd.random() < 0.5 or robot else rnd.choice(orgs)
        sender = f"user{rnd.randrange(5000)}@example{rnd.randrange(300)}.co.jp"
        rows[Case].append(
            {
                "id": case_id,
                "mailbox": mailbox,
                "kind": kind,
                "status": status,
                "sender": "mailer-daemon@example.jp" if robot else sender,
                "sender_name": "" if robot else "山田 太郎",
                "org_name": org,
                "subject": "Undeliverable: 受付のお知らせ"
                if robot
                else SUBJECTS[kind].format(org=org or "個人"),
                "forwarded": False,
                "received_at": received,
                "updated_at": received + timedelta(hours=rnd.randrange(1, 200)),
                "acknowledged_at": None if robot else received + timedelta(minutes=1),
                "robot": robot,
            }
        )
        for n in range(1 if robot else rnd.choice((1, 1, 2, 3))):
            message_id += 1
            at = received + timedelta(hours=24 * n)
            rows[Message].append(
                {
                    "id": message_id,
                    "case_id": case_id,
                    "mailbox": mailbox,
                    "direction": "out" if n % 2 else "in",
                    "message_id": f"<{message_id}.{rnd.randrange(10**9)}@example.co.jp>",
                    "in_reply_to": "",
                    "references": "",
                    "sha256": f"{rnd.getrandbits(256):064x}",
                    "size": rnd.randrange(2_000, 400_000),
                    "subject": rows[Case][-1]["subject"],
                    "from_addr": sender,
                    "from_name": "",
                    "date": at,
                    "received_at": at,
                    "source_ref": f"imap:INBOX:1:{message_id}",
                }
            )
            if kind in ("membership_application", "staff_registration") and n == 0:
                attachment_id += 1
                rows[Attachment].append(
                    {
                        "id": attachment_id,
                        "case_id": case_id,
                        "message_pk": message_id,
                        "part_index": 2,
                        "filename": f"協議会加入申込書（{org}）.docx",
                        "content_type": "application/vnd.openxmlformats-officedocument."
                        "wordprocessingml.document",
                        "size": 48_000,
                        "sha256": f"{rnd.getrandbits(256):064x}",
                        "format": "docx",
                        "encrypted": True,
                        "state": "password_pending" if status == "waiting_for_password" else "decrypted",
                        "document": "application" if kind == "membership_application" else kind,
                    }
                )
        if not robot:
            settled = status in ("accepted", "rejected", "closed")
            for code in rnd.sample(CODES[kind], k=rnd.randrange(0, min(4, len(CODES[kind])) + 1)):
                still_open = not settled and rnd.random() < 0.8 or settled and rnd.random() < 0.1
                rows[Finding].append(
                    {
                        "case_id": case_id,
                        "code": code,
                        "severity": "missing" if code.startswith("required") else "warning",
                        "message_ja": f"{code} の指摘",
                        "message_en": f"finding {code}",
                        "open": still_open,
                        "opened_at": received,
                        "resolved_at": None if still_open else received + timedelta(days=2),
                    }
                )
        rows[AuditEntry].append(
            {"at": received, "by": "intake", "case_id": case_id, "action": "case.opened", "detail": ""}
        )
        if status != "new":
            rows[AuditEntry].append(
                {
                    "at": received + timedelta(days=1),
                    "by": "staff-kimura",
                    "case_id": case_id,
                    "action": "status",
                    "detail": f'{{"from": "new", "to": "{status}"}}',
                }
            )
    register = [
        {
            "id": i + 1,
            "name": name,
            "name_key": name,
            "corporate_number": f"{rnd.randrange(10**12, 10**13)}",
            "category": "重要社会基盤事業者",
            "sector": rnd.choice(ORG_KINDS),
            "participation": "一般の構成員",
            "roster_publication": rnd.random() < 0.5,
            "poc_email": f"poc@org{i}.example.jp",
            "is_member": True,
            "updated_at": now,
        }
        for i, name in enumerate(orgs)
    ]
    people = [
        {
            "organisation_id": o["id"],
            "name": f"担当　{j}",
            "name_key": f"担当{j}",
            "email": f"staff{j}@org{o['id']}.example.jp",
            "status": "active",
            "source": "import",
            "updated_at": now,
        }
        for o in register
        for j in range(3)
    ]
    health = [
        {"name": f"mailbox:{name}", "auth_kind": "password", "state": "ok", "last_success_at": now}
        for name, *_ in MAILBOXES
    ]
    with Session(engine) as session:
        for table, items in (
            (Organisation, register),
            (RegisteredPerson, people),
            (ServerHealth, health),
            *rows.items(),
        ):
            for start in range(0, len(items), 5000):
                session.execute(insert(table), items[start : start + 5000])
        session.commit()
    return {
        "cases": len(rows[Case]),
        "robot": sum(c["robot"] for c in rows[Case]),
        "messages": len(rows[Message]),
        "attachments": len(rows[Attachment]),
        "findings": len(rows[Finding]),
        "open findings": sum(f["open"] for f in rows[Finding]),
        "audit entries": len(rows[AuditEntry]),
        "organisations": len(register),
    }


def write_config(root: Path) -> Path:
    lines = [
        "[storage]",
        f'database = "sqlite:///{root}/intake.db"',
        f'archive_dir = "{root}/messages"',
        "[replies]",
        'mode = "hold"',
    ]
    for name, prefix, profile, _ in MAILBOXES:
        path = root / "maildir" / name
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        lines += [
            "[[mailbox]]",
            f'name = "{name}"',
            f'profile = "{profile}"',
            f'address = "{name}@example.jp"',
            f'case_prefix = "{prefix}"',
            'source = "maildir"',
            f'path = "{path}"',
        ]
    config = root / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def median_wall(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float, str]:
    """Median wall seconds and median CPU seconds of ``argv`` run ``runs`` times; its last output."""
    walls, cpus, out = [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
        out = done.stdout
    return statistics.median(walls), statistics.median(cpus), out


def desk_page(config_file: Path, runs: int) -> tuple[float, int]:
    """Median seconds of the desk's queue page, signed in; the size of the page."""
    config = load_config(config_file)
    add_staff(config)
    times, size = [], 0
    with desk_server(config) as desk:
        client = desk.signed_in()
        for _ in range(runs + 1):  # the first renders the template cold: not counted
            started = time.perf_counter()
            response = client.get("/")
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            size = len(response.content)
    return statistics.median(times[1:]), size


def in_process(engine, runs: int) -> tuple[float, int, int]:
    """Median seconds of the queue's page of 100, its count and the status counts; statements sent."""
    statements = 0

    def counted(*_args) -> None:
        nonlocal statements
        statements += 1

    engine = reading(engine)
    times = []
    for _ in range(runs):
        event.listen(engine, "before_cursor_execute", counted)
        statements = 0
        started = time.perf_counter()
        with Session(engine) as session:
            items = views.queue(session, limit=100)
            views.count_cases(session)
            views.status_counts(session)
        times.append(time.perf_counter() - started)
        event.remove(engine, "before_cursor_execute", counted)
    return statistics.median(times), statements, len(items)


def profile(engine) -> None:
    engine = reading(engine)
    profiler = cProfile.Profile()
    with Session(engine) as session:
        profiler.enable()
        for _ in range(5):
            views.queue(session, limit=100)
            views.count_cases(session)
            views.status_counts(session)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of views.queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = write_config(root)
        engine = make_engine(f"sqlite:///{root}/intake.db")
        upgrade(engine)
        started = time.perf_counter()
        made = fill(engine, args.cases)
        print(
            f"set-up: {', '.join(f'{v:,} {k}' for k, v in made.items())} in {time.perf_counter() - started:.1f} s"
        )
        env = {**os.environ, "INTAKE_CONFIG": str(config), "COLUMNS": "200"}
        intake = [sys.executable, "-m", "intake"]
        print(f"median of {args.runs} runs:{'wall':>37} {'CPU':>8}")
        wall, cpu, _ = median_wall([sys.executable, "-c", "import intake.cli"], env, args.runs)
        print(f"  {'import intake.cli (start-up alone)':40} {wall:6.3f} s {cpu:6.3f} s")
        for extra in ([], ["--json"], ["--status", "ready_for_review"], ["--all", "--json"]):
            wall, cpu, out = median_wall([*intake, "queue", *extra], env, args.runs)
            shown = f"{len(out.splitlines()):,} lines out"
            print(f"  {' '.join(['intake queue', *extra]):40} {wall:6.3f} s {cpu:6.3f} s   ({shown})")
        seconds, size = desk_page(config, args.runs)
        print(
            f"  {'desk queue page (GET /, in process)':40} {seconds * 1000:6.1f} ms            ({size:,} bytes)"
        )
        seconds, statements, shown = in_process(engine, max(args.runs, 5))
        print(
            f"  {'views.queue+count_cases+status_counts':40} {seconds * 1000:6.1f} ms "
            f"({shown} cases, {statements} SQL statements)"
        )
        if args.profile:
            profile(engine)
        engine.dispose()


if __name__ == "__main__":
    main()
