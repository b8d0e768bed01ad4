"""How long the month in figures takes (the 状況 page, ``intake report``) with a year of cases.

    python scripts/bench_report.py [N] [--runs 3]

Fills a temporary SQLite database, migrated the real way, with N cases (default 20,000, 26
minutes apart through 2026) straight through bulk inserts: each with its ``message_received``,
a staff reply, an acceptance and a note in the audit log (four entries a case), and a missing POC
e-mail on every third. Then prints the median wall and CPU time of
:func:`intake.secretariat.report.month_report` for June and for December. Timing lives here,
never in tests.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from intake.db import make_engine, upgrade
from intake.db.tables import AuditEntry, Case, Finding
from intake.resources import default_rules_dir
from intake.secretariat.report import month_report

KINDS = ("membership_application", "staff_registration", "incident_report")
STATUSES = ("waiting_for_sender", "ready_for_review", "accepted", "closed")


def fill(engine, count: int) -> None:
    rng, start = random.Random(1), datetime(2026, 1, 1, tzinfo=UTC)
    cases, audits, findings = [], [], []
    for i in range(count):
        at, case_id = start + timedelta(minutes=i * 26), f"KYOGIKAI-2026-{i:05d}"
        cases.append({"id": case_id, "mailbox": "kyogikai", "kind": rng.choice(KINDS),
                      "status": rng.choice(STATUSES), "received_at": at, "updated_at": at})  # fmt: skip
        accepted = json.dumps({"from": "ready_for_review", "to": "accepted"})
        for action, hours, detail in (("message_received", 0, "message"), ("staff_reply", rng.randint(1, 48), "{}"),
                                      ("status", rng.randint(24, 200), accepted), ("note", 2, "memo")):  # fmt: skip
            audits.append({"at": at + timedelta(hours=hours), "case_id": case_id, "action": action,
                           "by": "suzuki", "detail": detail})  # fmt: skip
        if i % 3 == 0:
            findings.append({"case_id": case_id, "code": "required_field:poc.email", "severity": "missing",
                             "opened_at": at})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Case), cases)
        conn.execute(insert(AuditEntry), audits)
        conn.execute(insert(Finding), findings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", nargs="?", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        fill(engine, args.count)
        print(f"{args.count} cases, {args.count * 4} audit entries")
        for month in ("2026-06", "2026-12"):
            walls, cpus = [], []
            for _ in range(args.runs):
                wall, cpu = time.perf_counter(), time.process_time()
                with Session(engine) as session:
                    figures = month_report(session, month, as_of=datetime(2026, 12, 31, tzinfo=UTC),
                                           rules_dir=default_rules_dir())  # fmt: skip
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            print(f"{month}: {figures.total} cases received, median {statistics.median(walls) * 1000:.0f} ms wall, "
                  f"{statistics.median(cpus) * 1000:.0f} ms CPU")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
